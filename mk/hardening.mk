# Hardening: malformed-file corpora and fuzzing (included by the top-level Makefile; see
# bench/README.md "Hostile files").
#   make corpus-test   Pillow's + mutagen's test files and mutants of our fixtures, every stage
#   make fuzz-smoke    every fuzz harness for FUZZ_SMOKE_SECONDS (>= 60 s each, ~30 min in all)
#   make fuzz          long runs: FUZZ_SECONDS per harness, FUZZ_HARNESS to pick some
#                      (e.g. make fuzz FUZZ_SECONDS=3600 FUZZ_HARNESS="carrier-png labels-json")
# Corpora, crash inputs and logs go to FUZZ_WORK / the corpus cache, outside the work tree.

BENCH_CACHE        ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/aigcverify-bench
FUZZ_WORK          ?= $(BENCH_CACHE)/fuzz
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_SECONDS       ?= 1800
FUZZ_HARNESS       ?=
FUZZ_ENGINE        ?= auto
CORPUS_ARGS        ?=
# coverage-guided fuzzing; the cp311 manylinux wheel needs no compiler. Kept out of the runtime
# dependencies; pin it in pyproject's optional extra "fuzz" as well.
ATHERIS            := atheris==3.0.0

.PHONY: corpus-test fuzz-smoke fuzz fuzz-deps fuzz-list

# atheris only when missing; when it cannot be installed bench/fuzz.py falls back to its
# mutation loop (no coverage feedback) and says so
fuzz-deps: install
	@$(BIN)/python -c "import atheris" 2>/dev/null || \
	  $(BIN)/pip install --disable-pip-version-check -q $(ATHERIS) || \
	  echo "fuzz-deps: $(ATHERIS) could not be installed; using the mutation loop" >&2

corpus-test: install
	nice -n 10 $(BIN)/python bench/corpus_test.py --cache $(BENCH_CACHE)/corpus $(CORPUS_ARGS)

fuzz-smoke: fuzz-deps
	nice -n 10 $(BIN)/python bench/fuzz.py --seconds $(FUZZ_SMOKE_SECONDS) \
	  --engine $(FUZZ_ENGINE) --work $(FUZZ_WORK)

fuzz: fuzz-deps
	nice -n 10 $(BIN)/python bench/fuzz.py --seconds $(FUZZ_SECONDS) --engine $(FUZZ_ENGINE) \
	  --work $(FUZZ_WORK) $(if $(FUZZ_HARNESS),--harness $(FUZZ_HARNESS))

fuzz-list: install
	@$(BIN)/python bench/fuzz.py --list
