# Two commands on a fresh machine: `make book` and `make test`. Nothing here relies on what is
# already installed: every tool runs from the project's own virtual environment in .venv.
SHELL   := /bin/bash
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
INSTRUCTOR_STAMP := $(VENV)/.instructor-stamp
NOTEBOOKS := chapters labs
# One BLAS/OpenMP thread per process: tests and notebooks run two at a time on two cores, and
# oversubscribed BLAS threads made batched sweeps up to 10x slower here. Also makes runs repeatable.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
LINTED  := rmslab tests _ext tools $(NOTEBOOKS)
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install book test lint browser student book-student lab sync-url clean

help:
	@echo "make book   build the HTML book into _build/html (creates .venv on first use)"
	@echo "make test   lint, unit tests, every notebook under nbval, strict book build, browser tests"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make lab    open the labs in JupyterLab"
	@echo "make student       student versions of the labs (nbgrader) into _build/student"
	@echo "make book-student  the book with student labs, no instructor pages: _build/student-book"
	@echo "make clean  remove build outputs (keeps .venv)"

# (Re)install whenever the pins or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# Instructor tools (nbgrader, requirements-instructor.txt) on top of the same pins.
$(INSTRUCTOR_STAMP): $(STAMP) requirements-instructor.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-instructor.txt
	@touch $(INSTRUCTOR_STAMP)

install: $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	@echo ""
	@echo "Book built: file://$(CURDIR)/_build/html/index.html"

test: $(STAMP) $(INSTRUCTOR_STAMP)
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest tests --ignore=tests/browser -n 2
	$(MAKE) --no-print-directory student
	$(PY) -m pytest --nbval-lax --nbval-current-env -n 2 --dist loadfile $(NOTEBOOKS)
	$(MAKE) --no-print-directory book
	$(MAKE) --no-print-directory browser

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

# The built book in headless Chromium, served from 127.0.0.1 with every other host blocked.
# Screenshots go to _build/screenshots. Needs `make book` first (`make test` does it).
browser: $(STAMP)
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/browser
	@test -x $(CHROMIUM) || { \
	  echo ""; \
	  echo "*** BROWSER TESTS SKIPPED: no Chromium at $(CHROMIUM). ***"; \
	  echo "*** To run them: apt-get install chromium (as root), then make test again. ***"; }

# Student versions: solutions replaced by stubs, hidden tests removed (nbgrader).
student: $(INSTRUCTOR_STAMP)
	$(PY) tools/student_versions.py notebooks _build/student

# The book built from the student versions, without the instructor pages.
book-student: $(INSTRUCTOR_STAMP)
	$(PY) tools/student_versions.py book _build/student-book

lab: $(STAMP)
	$(VENV)/bin/jupyter lab labs/

sync-url: $(STAMP)
	$(PY) tools/sync_repo_url.py

clean:
	rm -rf _build
	find . -name __pycache__ -prune -not -path "./$(VENV)/*" -exec rm -rf {} +
