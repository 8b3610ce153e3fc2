# Kruispunt: `make run` starts the app on the embedded SQLite database; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup migrate run test bench clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

migrate: setup
	$(BIN)/python -m store

run: migrate
	$(BIN)/python -m ui.serve --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

# The browser tests drive Debian's Chromium (no browser downloads are possible here).
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

test: setup $(CHROMIUM)
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
