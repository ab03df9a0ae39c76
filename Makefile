# Two commands (see README.md):
#   make lab    set everything up and open the curriculum in JupyterLab at the start page
#   make test   set everything up and run every test (unit, notebooks under nbval, browser)
# Re-running either is fast when nothing changed: the virtual environment is rebuilt only
# when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install
NBVAL_FLAGS := -p no:cacheprovider --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

.PHONY: lab test test-unit test-hub test-notebooks test-browser setup exercises clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Running as root (containers) needs --allow-root; LAB_ARGS passes more options, e.g. --no-browser.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ROOT_FLAG) $(LAB_ARGS) lessons/00_start_here.ipynb

# Unit + contract + grading tests, then every notebook under nbval (lessons and solutions
# strictly against their stored outputs; generated exercises must run cleanly), then the
# browser tests. Each step stops the run on failure.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not hub" tests
	$(BIN)/python -m pytest -m hub tests
	$(BIN)/python -m pytest --nbval $(NBVAL_FLAGS) lessons solutions
	$(BIN)/python -m pytest --nbval-lax $(NBVAL_FLAGS) exercises
	$(BIN)/python -m pytest -m browser tests

test-unit: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not hub" tests

test-hub: $(STAMP)
	$(BIN)/python -m pytest -m hub tests

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval $(NBVAL_FLAGS) lessons solutions
	$(BIN)/python -m pytest --nbval-lax $(NBVAL_FLAGS) exercises

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser tests

# Regenerate exercises/ from solutions/ (never edit exercises/ by hand).
exercises: $(STAMP)
	$(BIN)/lossedu generate

clean:
	rm -rf $(VENV) .pytest_cache
