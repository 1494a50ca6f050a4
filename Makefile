# Finds a Python >= 3.12 (mitmproxy 12 needs it; 3.13 preferred: 3.12.1 prints an asyncio traceback
# at proxy shutdown), builds .venv with it and runs everything from there.
SHELL := /bin/bash
VENV := .venv
CANDIDATES := python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) \
	$(wildcard /usr/local/bin/python3.13 /usr/bin/python3.13) \
	python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) \
	$(wildcard /usr/local/bin/python3.12 /usr/bin/python3.12) python3
PYTHON ?= $(shell for p in $(CANDIDATES); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
STAMP := $(VENV)/.installed
# npm ci writes this file: Adobe's Web SDK for the real-client tests (tests/realclient), from the lockfile.
NODE_STAMP := node_modules/.package-lock.json

.PHONY: demo test lint bench screenshot report-screenshot check-python clean

check-python:
	@test -n "$(PYTHON)" || { echo "playhead needs Python >= 3.12 (3.13 preferred); none found. Install one or run 'make PYTHON=/path/to/python3.13 ...'" >&2; exit 2; }

$(STAMP): pyproject.toml | check-python
	@echo "using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/playhead demo

# Without npm the real-client tests skip and say why; with npm, a failed `npm ci` stops here.
$(NODE_STAMP): package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the real-client tests (Adobe's Web SDK in Chromium) will be skipped; bash .ci/run installs it" >&2; fi

test: $(STAMP) $(NODE_STAMP) lint
	$(VENV)/bin/python -m pytest -q

# The layers (import-linter), lint (ruff) and the core's types (mypy), as configured in pyproject.
lint: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check addon tui tests
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python tests/bench/run.py

screenshot: $(STAMP)
	$(VENV)/bin/python -m playhead.tui.screenshot

# docs/report.png, the README's picture of the HTML report (headless Chromium, 1400 px wide)
report-screenshot: $(STAMP)
	$(VENV)/bin/python tests/report_screenshot.py

clean:
	rm -rf $(VENV) build *.egg-info node_modules
