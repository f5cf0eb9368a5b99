# Two commands on a fresh machine: `make book` and `make test`. Nothing here relies on what is
# already installed: every tool runs from the project's own virtual environment in .venv.
SHELL   := /bin/bash
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
LEARNER_STAMP    := $(VENV)/.learner-stamp
INSTRUCTOR_STAMP := $(VENV)/.instructor-stamp
STAMP   := $(VENV)/.installed-stamp
NOTEBOOKS := chapters labs appendix
# One BLAS/OpenMP thread per process: tests and notebooks run two at a time on two cores, and
# oversubscribed BLAS threads made batched sweeps up to 10x slower here. Also makes runs repeatable.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
LINTED  := rmslab tests _ext tools $(NOTEBOOKS)
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install book test unit book-then-browser check lint browser screenshots student book-student lab sync-url clean

help:
	@echo "make book   build the HTML book into _build/html (creates .venv on first use)"
	@echo "make check  the fast loop: lint and the unit tests not marked slow (under 90 s)"
	@echo "make test   lint; all unit tests beside the strict book build (runs every notebook"
	@echo "            once, cached) and then the browser tests of the built book"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make screenshots  a full-page screenshot of each page of the built book: _build/screenshots"
	@echo "make install  the learner's environment only (requirements.txt, torch CPU)"
	@echo "make lab    open the student versions of the labs in JupyterLab"
	@echo "make student       student versions of the labs (nbgrader) into _build/student"
	@echo "make book-student  the book with student labs, no instructor pages: _build/student-book"
	@echo "make clean  remove build outputs (keeps .venv)"

# PyTorch's CPU wheel index: on Linux requirements.txt pins torch's CPU build (`+cpu`), which is
# there and not on PyPI, so no route can fetch PyPI's CUDA build. Only torch itself is looked up
# there (`--no-deps`: its dependencies come from PyPI with the rest); where the index is
# unreachable, pip says so once (`--retries 1`) and uses what it finds elsewhere.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# Python compiles a module when it is first imported (a small part of the 13,000 files
# installed) and keeps the result in __pycache__; neither pip (--no-compile) nor uv compiles every
# file at install time. That needs bytecode writing on: where PYTHONDONTWRITEBYTECODE is set (as on
# some CI machines), every process would compile torch and Jupyter again from source, about 5 s of
# CPU for each of the ~60 kernels and tools a `make test` starts.
unexport PYTHONDONTWRITEBYTECODE
PIP := $(PY) -m pip install --quiet --disable-pip-version-check --no-compile
# pip installs uv and torch (above); uv installs everything else from the same pins, in one
# resolution, unpacking in parallel: 4 s here where pip took 39 s. uv does not read pip's index
# settings, but it finds the pinned CPU torch installed already; if it ever looked for it, it would
# ask PyPI for `2.13.0+cpu`, which is not there, and stop rather than fetch a CUDA build.
UV_PIN  := uv==0.13.9
INSTALL := $(VENV)/bin/uv pip install --quiet --python $(PY)
TORCH_FIRST = test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PIP) $(UV_PIN) && grep -E '^torch==' requirements.txt \
	| xargs -d '\n' $(PIP) --no-deps --retries 1 --extra-index-url $(TORCH_INDEX)

# The learner's environment (requirements.txt): what `make install` gives a learner.
$(LEARNER_STAMP): requirements.txt pyproject.toml
	$(TORCH_FIRST)
	$(INSTALL) -r requirements.txt
	@touch $@

# Instructor tools (nbgrader, requirements-instructor.txt) on top of the learner's pins.
$(INSTRUCTOR_STAMP): requirements.txt requirements-instructor.txt pyproject.toml
	$(TORCH_FIRST)
	$(INSTALL) -r requirements-instructor.txt
	@touch $(LEARNER_STAMP) $@

# Everything that builds and tests the book (requirements-dev.txt includes the other two): one
# uv run resolves and installs it all.
$(STAMP): requirements.txt requirements-instructor.txt requirements-dev.txt pyproject.toml
	$(TORCH_FIRST)
	$(INSTALL) -r requirements-dev.txt
	@touch $(LEARNER_STAMP) $(INSTRUCTOR_STAMP) $@

install: $(LEARNER_STAMP)

# Every notebook runs once per change: the strict build fails on any cell error
# (_config.yml: allow_errors false; -W turns the execution warning into an error) and caches
# each execution in _build/.jupyter_cache, so an unchanged notebook is not run again.
# tools/execute_notebooks.py fills that cache first, NOTEBOOK_JOBS notebooks at a time (default:
# one per core; the build would run them one after another); one that fails there is run again
# by the build, which reports it. Alone, the 14 notebooks take 89 s instead of 163 s.
NOTEBOOK_JOBS ?=
# jupyter-cache keys a run on the notebook's code only, so the cache is dropped whenever the
# package or the pins change (CACHE_KEY): a notebook is never passed on a stale run.
# One notebook by hand: .venv/bin/python -m pytest --nbval-lax --nbval-current-env NOTEBOOK
CACHE_KEY = $(shell find rmslab -name '*.py' | sort | xargs cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
book: $(STAMP)
	@mkdir -p _build
	@if [ "$$(cat _build/.jupyter_cache_key 2>/dev/null)" != "$(CACHE_KEY)" ]; then \
	  rm -rf _build/.jupyter_cache; echo "$(CACHE_KEY)" > _build/.jupyter_cache_key; fi
	$(PY) tools/execute_notebooks.py $(if $(NOTEBOOK_JOBS),--jobs $(NOTEBOOK_JOBS))
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	@echo ""
	@echo "Book built: file://$(CURDIR)/_build/html/index.html"

# make test: lint; then two jobs side by side: the unit tests (two workers), and the strict
# book build, its notebooks TEST_NOTEBOOK_JOBS (one) at a time, followed by the browser tests
# of the built book.
# The book and its browser tests are the longer chain, so the unit tests run at a lower
# priority (`nice`) and take the CPU that chain leaves. Each job's output is printed when it
# ends. (Notebooks two at a time beside the unit tests made the run slower on 2 cores.)
TEST_NOTEBOOK_JOBS ?= 1
test: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory -j2 --output-sync=target unit book-then-browser \
	  NOTEBOOK_JOBS=$(TEST_NOTEBOOK_JOBS) UNIT_PRIORITY="nice -n 10"

# All unit tests (tests/, without the browser tests), on two workers; `--dist worksteal` moves
# queued tests to the worker that runs dry, since a few nbgrader tests take far longer than the rest.
UNIT_PRIORITY ?=
unit: $(STAMP)
	$(UNIT_PRIORITY) $(PY) -m pytest tests --ignore=tests/browser -n 2 --dist worksteal --durations=10

book-then-browser: book
	$(MAKE) --no-print-directory browser

# The fast loop: lint, then the unit tests not marked slow. `pytest --lf` reruns the last
# failures; `pytest -m slow` runs only the slow ones.
check: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest tests --ignore=tests/browser -n 2 -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

# The built book in headless Chromium, served from 127.0.0.1 with every other host blocked
# (without the screenshots: `make screenshots`). Needs `make book` first (`make test` does it).
# Two workers; all the tests of one page run on one worker (tests/browser/conftest.py), which
# loads it once.
BROWSER_WORKERS ?= 2
browser: $(STAMP)
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/browser -n $(BROWSER_WORKERS) --dist loadgroup \
	  -m "not screenshots" --durations=10
	@test -x $(CHROMIUM) || { \
	  echo ""; \
	  echo "*** BROWSER TESTS SKIPPED: no Chromium at $(CHROMIUM). ***"; \
	  echo "*** To run them: apt-get install chromium (as root), then make test again. ***"; }

# A full-page screenshot of every page of the built book, for a person to look over, in
# _build/screenshots (CI keeps them as an artifact). Needs `make book` first.
screenshots: $(STAMP)
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/browser -n $(BROWSER_WORKERS) --dist loadgroup \
	  -m screenshots -q

# Student versions: solutions replaced by stubs, hidden tests removed (nbgrader).
student: $(INSTRUCTOR_STAMP)
	$(PY) tools/student_versions.py notebooks _build/student

# The book built from the student versions, without the instructor pages.
book-student: $(STAMP)
	$(PY) tools/student_versions.py book _build/student-book

# JupyterLab on the student versions of the labs (never the instructor files in labs/), in
# $(LAB_DIR)/labs. A lab already there is the learner's work and is kept; delete it to start
# that lab afresh (`make clean` deletes them all). JUPYTER=echo shows what would be opened.
LAB_DIR ?= _build/lab
JUPYTER ?= $(VENV)/bin/jupyter
lab: $(INSTRUCTOR_STAMP)
	$(PY) tools/student_versions.py notebooks $(LAB_DIR) --keep-existing
	$(JUPYTER) lab $(LAB_DIR)/labs

sync-url: $(STAMP)
	$(PY) tools/sync_repo_url.py

clean:
	rm -rf _build
	find . -name __pycache__ -prune -not -path "./$(VENV)/*" -exec rm -rf {} +
