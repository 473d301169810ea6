# Every target sets itself up: a fresh .venv from pyproject.toml on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

test: install
	$(PY) -m pytest -q

demo: install
	$(VENV)/bin/bankconnect demo

bench: install
	$(PY) -m benchmarks.run
	$(PY) -m benchmarks.report_page

clean:
	rm -rf $(VENV) bank.duckdb bank-report .bankconnect .pytest_cache
