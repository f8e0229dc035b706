# patchlens: the two commands in the README, plus the real-tree suites.
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# Real Debian kernel trees are unpacked once into this cache.
KERNEL_CACHE ?= $(HOME)/.cache/patchlens/kernels
# A shell that sets PYTHONDONTWRITEBYTECODE makes every patchlens process
# (each CLI test, each parse worker, each benchmark run) compile all its
# modules again: about 0.9 s of CPU per process here.  The suites and
# benchmarks run with Python's normal caching, as an installed package has.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-min lint test-kernel kernels bench fuzz clean man

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# report exits 1 when it has findings (the demo has some on purpose);
# only 2 (unusable input) or worse fails the demo.
demo: $(STAMP)
	$(BIN)/patchlens report fixtures/demo/series.mbox --tree fixtures/demo/tree \
	  || [ $$? -eq 1 ]

# The unit suite on both cores, then types and layering (make lint).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m 'not kernel'
	$(MAKE) --no-print-directory lint

# The unit suite against the lowest versions pyproject.toml allows.
test-min:
	test -x .venv-min/bin/python || $(PYTHON) -m venv .venv-min
	.venv-min/bin/pip install -q -c .ci/min-versions.txt -e '.[test]'
	.venv-min/bin/python -m pytest -q -n 2 -m 'not kernel' -p no:cacheprovider

# Types (mypy, strict on patchlens/) and the stage layering (import-linter).
lint: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The man page, generated from the parser (tests/cli/test_cli_manners.py
# checks the shipped one is current).
man: $(STAMP)
	$(BIN)/python -c 'import sys; from patchlens.cli import man_page; sys.stdout.write(man_page())' > docs/man/patchlens.1

kernels: $(STAMP)
	$(BIN)/python -m benchmarks.kernels --cache $(KERNEL_CACHE)

test-kernel: kernels
	PATCHLENS_KERNEL_TREE=$(KERNEL_CACHE)/linux-6.12 \
	PATCHLENS_KERNEL_TREE_6_1=$(KERNEL_CACHE)/linux-6.1 \
	PATCHLENS_KERNEL_GIT=$(KERNEL_CACHE)/linux.git \
	$(BIN)/python -m pytest -q -m kernel

bench: kernels
	$(BIN)/python -m benchmarks.run --cache $(KERNEL_CACHE)

fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz

clean:
	rm -rf $(VENV) .venv-min build *.egg-info
