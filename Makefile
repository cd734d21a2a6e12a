# Two commands on a fresh machine: `make lab` (JupyterLab on the quickstart) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The BERTopic side-by-side benchmark (benchmarks/bertopic.py), pinned; --no-deps keeps torch and
# sentence-transformers out: it is given the analysis's own vectors. Its other imports are ours already.
BENCH_EXTRAS := bertopic==0.17.4 hdbscan==0.8.44

.PHONY: lab app test test-quick bench bench-quick bench-extras lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

lab: $(STAMP)  ## JupyterLab on notebooks/00_quickstart.ipynb with the sample data
	$(VENV)/bin/workbench lab

app: $(STAMP)  ## the Workbench as a standalone page (Voila)
	$(VENV)/bin/workbench app

# Two workers (pytest-xdist), one test module per unit of work so that a module's servers and other module
# fixtures are built once and its tests run in order; tests/conftest.py hands out the browser modules first.
# `make test PYTEST_WORKERS=` runs in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile --no-loadscope-reorder

# The package byte-compiled once up front: the suite starts hundreds of Python processes (CLI runs, kernels,
# servers, Dask workers) that would each compile it again where PYTHONDONTWRITEBYTECODE is set.
test: $(STAMP)  ## the whole suite: unit, formats, engines, notebooks, real browser
	$(PY) -m compileall -q workbench benchmarks > /dev/null
	$(PY) -m pytest $(PYTEST_WORKERS) --durations=25

test-quick: $(STAMP)  ## no browser, nothing marked slow (notebooks, fleets, scale, big LoCoMo runs): a few minutes
	$(PY) -m pytest $(PYTEST_WORKERS) -m "not browser and not slow"

bench: $(STAMP) bench-extras  ## every benchmark, full size; rewrites BENCHMARKS.md
	$(PY) -m benchmarks

bench-quick: $(STAMP)  ## every benchmark at CI size (does not rewrite BENCHMARKS.md)
	$(PY) -m benchmarks --quick

bench-extras: $(STAMP)  ## what only the benchmarks import; a failed install is not fatal (that section skips, saying why)
	$(PY) -m pip install -q --no-deps $(BENCH_EXTRAS) || echo "bench: could not install $(BENCH_EXTRAS); the bertopic benchmark will skip"

lint: $(STAMP)
	$(VENV)/bin/ruff check workbench tests benchmarks

clean:
	rm -rf $(VENV) .workbench test-output
