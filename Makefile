# One-command build and test. Needs only Python 3.11+ and make; everything else is installed
# into .venv from requirements.txt (exact pins).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
NB     ?= chapters/*.ipynb
export DLBOOK_QUIET := 1

.PHONY: help venv book test notebooks lab clean

help:
	@echo "make book       execute every chapter and build the HTML site into _build/html"
	@echo "make test       lint, unit tests, strict nbval against the wheel, and the book build"
	@echo "make notebooks  re-execute chapters in place (NB=chapters/01_background.ipynb for one)"
	@echo "make lab        open the chapters in JupyterLab"
	@echo "make clean      remove _build"

# (Re)install only when requirements.txt or pyproject.toml changed since the last install.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo "The book: $(CURDIR)/_build/html/index.html"

test: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/test.sh

notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False $(NB)

lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

clean:
	rm -rf _build
