# `make demo` and `make test` each create .venv when missing, install the project, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo demo-quick test lint bench real-bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[plot,text]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/causalpref demo --out runs/demo --overwrite

demo-quick: $(VENV)/.demo-installed
	$(BIN)/causalpref demo --quick --out runs/demo-quick --overwrite

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/train_throughput.py

# The real-text robustness benchmark (docs/benchmarks.md): both shipped specs on the HH data.
DATA ?= ../shared/data
real-bench: $(VENV)/.demo-installed
	@test -f $(DATA)/hh_rlhf/harmless_base_test.jsonl.gz -a -f $(DATA)/relabeled_hh_rlhf/test.jsonl.gz \
	  || { echo "real-bench: HH files not found under DATA=$(DATA) (see ../shared/data/README)"; exit 2; }
	$(BIN)/causalpref study hh-length-selection --overwrite --out runs/hh-length-selection \
	  --set study.length.data=$(DATA)/hh_rlhf/harmless_base_test.jsonl.gz
	$(BIN)/causalpref study hh-confounding-robust --overwrite --out runs/hh-confounding-robust \
	  --set study.robust.data=$(DATA)/relabeled_hh_rlhf/test.jsonl.gz

clean:
	rm -rf $(VENV) runs .pytest_cache
