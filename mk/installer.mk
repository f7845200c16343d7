# The installable app (included by the top-level Makefile; see installer/README.md).
#   make dist        dist/aigcverify/ (GUI + CLI, one folder) and dist/aigcverify-VERSION-linux-ARCH.tar.gz
#   make dist-test   the frozen smoke test (tests/dist/, skipped by `make test`)
# The build uses only the source tree and the virtualenv: PyInstaller downloads nothing.
# Rebuilt only when a source, resource, model or the lock file changed (a build takes minutes).

DIST_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' desktop/aigcverify/__init__.py)
DIST_DIR     := dist/aigcverify
DIST_TAR     := dist/aigcverify-$(DIST_VERSION)-linux-$(shell uname -m).tar.gz
DIST_WORK    := build/pyinstaller
# everything the bundle is made of (training code and caches excluded)
DIST_INPUTS  := $(shell find desktop resources models installer -type f \
                  -not -path '*/__pycache__/*' -not -path 'models/train/*' 2>/dev/null) \
                pyproject.toml requirements-lock.txt mk/installer.mk
# a fixed timestamp makes the archive depend only on its contents
DIST_EPOCH    = $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: dist dist-test

# PyInstaller comes from the optional extra "dist" (pinned in pyproject.toml). It is installed
# only when missing, so a machine that has it builds without any network.
$(DIST_TAR): $(STAMP) $(DIST_INPUTS)
	@test -x $(BIN)/pyinstaller || \
	  $(BIN)/pip install --disable-pip-version-check -q -c requirements-lock.txt -e '.[dist]'
	rm -rf $(DIST_DIR) dist/aigcverify-*.tar.gz
	PYINSTALLER_CONFIG_DIR=$(CURDIR)/$(DIST_WORK)/config nice -n 10 \
	  $(BIN)/pyinstaller --noconfirm --clean --log-level WARN \
	  --distpath dist --workpath $(DIST_WORK) installer/aigcverify.spec
	$(DIST_DIR)/aigcverify --version
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(DIST_EPOCH) \
	  -C dist -cf - aigcverify | gzip -n -6 > $@.part
	mv $@.part $@
	@du -sh $(DIST_DIR) $@

dist: install $(DIST_TAR)

dist-test: dist
	AIGCVERIFY_DIST=$(CURDIR)/$(DIST_DIR) QT_QPA_PLATFORM=offscreen \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/dist
