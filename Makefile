# Two commands on a fresh machine: `make lab` (JupyterLab on the quickstart) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: lab app test test-quick bench bench-quick lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

lab: $(STAMP)  ## JupyterLab on notebooks/00_quickstart.ipynb with the sample data
	$(VENV)/bin/workbench lab

app: $(STAMP)  ## the Workbench as a standalone page (Voila)
	$(VENV)/bin/workbench app

test: $(STAMP)  ## the whole suite: unit, formats, engines, notebooks, real browser
	$(PY) -m pytest

test-quick: $(STAMP)  ## no browser, nothing marked slow (notebooks, fleets, scale, big LoCoMo runs): a few minutes
	$(PY) -m pytest -m "not browser and not slow"

bench: $(STAMP)  ## every benchmark, full size; rewrites BENCHMARKS.md
	$(PY) -m benchmarks

bench-quick: $(STAMP)  ## every benchmark at CI size (does not rewrite BENCHMARKS.md)
	$(PY) -m benchmarks --quick

lint: $(STAMP)
	$(VENV)/bin/ruff check workbench tests benchmarks

clean:
	rm -rf $(VENV) .workbench test-output
