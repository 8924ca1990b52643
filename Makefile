# Two commands do everything: `make run` and `make test` (see README.md).
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
PORT   ?= 5000
CRM    := $(VENV)/bin/crm
export CRM_INSTANCE_DIR ?= $(CURDIR)/instance

.PHONY: install run test lint bench clean

EXAMPLE := examples/crm-acme-consents

$(VENV)/.stamp-install: setup.cfg pyproject.toml $(EXAMPLE)/setup.cfg $(EXAMPLE)/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q -e ./$(EXAMPLE)
	touch $@

install: $(VENV)/.stamp-install

run: install
	$(CRM) init-db
	$(CRM) demo
	@echo "Open http://127.0.0.1:$(PORT)/ and log in with one of the logins above (Ctrl+C stops)."
	$(CRM) run --host 127.0.0.1 --port $(PORT)

# Two worker processes (one a core here), a module's tests kept on one worker so its
# shared fixtures are built once. PYTEST_ARGS='tests/core -x' (say) replaces these.
PYTEST_ARGS ?= -n 2 --dist loadscope

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

$(VENV)/.stamp-bench: $(VENV)/.stamp-install setup.cfg
	$(PY) -m pip install -q -e '.[bench]'
	touch $@

bench: $(VENV)/.stamp-bench
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
