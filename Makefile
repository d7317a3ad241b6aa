# Every target bootstraps .venv from the pinned requirements.lock and reuses it afterwards.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_ARGS ?=
# `make run` plays the simulated market at 10x: sol_day (fitted to a real SOL market). The shipped
# config quotes only where the edge model finds edge: a couple of fills an hour (README). SPEED=1 for real
# time; a --speed in RUN_ARGS wins (the last one counts).
SPEED ?= 10
TEST_ARGS ?=

.PHONY: run test lint bench venv venv-ray native clean clean-native

$(STAMP): pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# The optional Ray extra (sweep/matrix --ray-address) into the same venv, from its own lock.
RAY_STAMP := $(VENV)/.ray-installed
$(RAY_STAMP): $(STAMP) requirements-ray.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-ray.lock
	touch $(RAY_STAMP)

venv-ray: $(RAY_STAMP)

# The per-event path compiled with mypyc (src/lighter_bot/native.py; ~2 min on 2 cores), rebuilt when a
# listed source changes; run, test and bench use it. Without a C compiler it warns and the sources run
# interpreted (NATIVE_REQUIRED=1, as CI sets, makes that an error). `make clean-native` removes it.
NATIVE_REQUIRED ?= 0
NATIVE_SRC := $(shell sed -e 's/\#.*//' native-modules.txt)
NATIVE_STAMP := build/native/.built
$(NATIVE_STAMP): $(STAMP) native-modules.txt src/lighter_bot/native.py $(NATIVE_SRC)
	@echo "compiling the engine's per-event path (mypyc; make clean-native to run the sources interpreted)"
	$(BIN)/python src/lighter_bot/native.py build native-modules.txt $(if $(filter 1,$(NATIVE_REQUIRED)),--required)
	@mkdir -p $(@D) && touch $@

native: $(NATIVE_STAMP)

clean-native:
	$(BIN)/python src/lighter_bot/native.py clean
	rm -rf build/native

run: $(NATIVE_STAMP)
	$(BIN)/lighter-bot run --speed $(SPEED) $(RUN_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks scripts)
	$(BIN)/mypy

test: lint $(NATIVE_STAMP)
	$(BIN)/python -m pytest $(TEST_ARGS)

# hftbacktest needs numpy < 2.3 while the bot pins a newer numpy: it gets its own venv, which
# benchmarks/bench_vs_hftbacktest.py runs it in (the bot's venv is left untouched).
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: requirements-bench.lock
	$(PY) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	touch $@

bench: $(NATIVE_STAMP) $(BENCH_VENV)/.installed
	$(BIN)/python -m benchmarks.run

clean: clean-native
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
