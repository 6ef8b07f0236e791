# The two commands of the README:
#   make demo   set up everything and run the demo on SQLite
#   make test   set up what the tests need and run the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SAO_VERSION := 8.0.11

.PHONY: demo test install install-test sao serve bench clean

demo: install
	$(BIN)/serial-mes demo --out var/demo

test: install-test
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-tests.sh

install: $(VENV)/.installed sao

install-test: install $(VENV)/.installed-test
	scripts/install-chromium.sh

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

sao:
	scripts/install-sao.sh $(SAO_VERSION) var/sao

serve: install
	$(BIN)/serial-mes serve

bench: install-test
	$(BIN)/python tests/bench/bench_status.py

clean:
	rm -rf $(VENV) var test-output
