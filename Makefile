# Two commands do everything on a fresh machine: `make run` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml requirements-lock.txt requirements-nodeps.txt 2>/dev/null | sha256sum | cut -c1-16)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install system-deps cli-help bench clean

# Feature targets live beside their code: hardening (corpus-test, fuzz-smoke, fuzz), the
# detector's training (train-detector) and the installer (dist, dist-test).
-include mk/*.mk models/train/train.mk

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml requirements-lock.txt requirements-nodeps.txt
	$(BIN)/pip install --disable-pip-version-check -q -c requirements-lock.txt -e '.[test]'
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -r requirements-nodeps.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Debian tools the tests use as independent writers and readers (exiftool, ffmpeg, poppler,
# a CJK font). Installed only when missing and only where we may (root with apt).
system-deps:
	@bash scripts/system-deps.sh

run: install
	$(BIN)/aigcverify-gui

test: install system-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests

cli-help: install
	$(BIN)/aigcverify --help

bench: install
	$(BIN)/python bench/metadata_throughput.py

clean:
	rm -rf $(VENV) build dist *.egg-info
