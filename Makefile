# Set-up and everyday commands.  `make demo` and `make test` each work as the
# only command on a fresh clone: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= 2

.PHONY: venv demo demo-api test bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py drivers/hwsim/kernel/build.py $(wildcard drivers/hwsim/kernel/_medium*.[ch]) \
          drivers/hwsim/external/build_fastpath.py $(wildcard drivers/hwsim/external/_fastpath.[ch])
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: venv
	$(VENV)/bin/wlanctl run examples/demo.toml

# The older API walk-through: a device written the FreeBSD way, refused creates.
demo-api: venv
	$(PY) examples/demo.py

test: venv
	$(PY) -m pytest -n $(JOBS) -q tests

bench: venv
	$(PY) tests/bench/run_all.py

lint: venv
	$(PY) -m ruff check ic net80211 drivers tests examples
	$(PY) -m mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
