# Two commands (see README.md):
#   make lab    set everything up and open the course in JupyterLab, in your own workspace
#   make test   set everything up and run every test (unit, notebooks under nbval, browser)
# Both go through one set-up path, which .ci/run uses too:
#   scripts/setup-system  installs missing system packages (scripts/system-packages.txt) and the
#                         npm packages (scripts/npm-packages.txt) into $(VENV)/node;
#   $(STAMP)              the Python environment, rebuilt only when pyproject.toml or setup.py change.

PYTHON    ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.stamp-install
# The learner's own copies of lessons and exercise sets (git-ignored); see lossedu/workspace.py.
WORKSPACE ?= workspace
# Commands of the npm packages; the test steps find them on PATH. LOSSEDU_CHP is the JupyterHub
# proxy (configurable-http-proxy) the hub tests start.
NODE_BIN  := $(CURDIR)/$(VENV)/node/node_modules/.bin
export PATH := $(NODE_BIN):$(PATH)
export LOSSEDU_CHP ?= $(NODE_BIN)/configurable-http-proxy
NBVAL_FLAGS := -p no:cacheprovider --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

.PHONY: lab test test-unit test-hub test-notebooks test-browser setup system exercises clean

setup: system $(STAMP)

system:
	@scripts/setup-system $(VENV)

$(STAMP): pyproject.toml setup.py | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# `lossedu start` copies new course notebooks into $(WORKSPACE) (never overwriting yours) and runs
# JupyterLab there with $(BIN) on PATH (so `lossedu progress` works in its terminals).
# LAB_ARGS passes JupyterLab options, e.g. LAB_ARGS="--no-browser --port 8890".
lab: setup
	$(BIN)/lossedu start $(WORKSPACE) $(LAB_ARGS)

# Unit + contract + grading tests, the hub tests, then every notebook under nbval (lessons and solutions
# strictly against their stored outputs; generated exercises must run cleanly), then the
# class-on-JupyterHub tests (PostgreSQL, the class service, JupyterHub), then the browser tests.
# Each step stops the run on failure.
test: setup
	$(BIN)/python -m pytest -m "not browser and not hub" tests
	$(BIN)/python -m pytest -m hub tests
	$(BIN)/python -m pytest --nbval $(NBVAL_FLAGS) lessons solutions
	$(BIN)/python -m pytest --nbval-lax $(NBVAL_FLAGS) exercises
	$(BIN)/python -m pytest -m browser tests

test-unit: setup
	$(BIN)/python -m pytest -m "not browser and not hub" tests

test-hub: setup
	$(BIN)/python -m pytest -m hub tests

test-notebooks: setup
	$(BIN)/python -m pytest --nbval $(NBVAL_FLAGS) lessons solutions
	$(BIN)/python -m pytest --nbval-lax $(NBVAL_FLAGS) exercises

test-browser: setup
	$(BIN)/python -m pytest -m browser tests

# Regenerate exercises/ from solutions/ (never edit exercises/ by hand).
exercises: setup
	$(BIN)/lossedu generate

clean:
	rm -rf $(VENV) .pytest_cache build dist
