# Two commands on a fresh machine: `make book` and `make test`. Nothing here relies on what is
# already installed: every tool runs from the project's own virtual environment in .venv.
SHELL   := /bin/bash
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
NOTEBOOKS := chapters labs

.PHONY: help install book test unit notebooks book-strict lab clean sync-url

help:
	@echo "make book   build the HTML book into _build/html (creates .venv on first use)"
	@echo "make test   unit tests, every notebook under nbval, strict book build"
	@echo "make lab    open the labs in JupyterLab"
	@echo "make clean  remove build outputs (keeps .venv)"

# (Re)install whenever the pins or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	@echo ""
	@echo "Book built: file://$(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(PY) -m pytest tests
	$(PY) -m pytest --nbval-lax --nbval-current-env -n 2 --dist loadfile $(NOTEBOOKS)
	$(MAKE) --no-print-directory book

lab: $(STAMP)
	$(VENV)/bin/jupyter lab labs/

sync-url: $(STAMP)
	$(PY) tools/sync_repo_url.py

clean:
	rm -rf _build
	find . -name __pycache__ -prune -not -path "./$(VENV)/*" -exec rm -rf {} +
