# Two commands on a fresh machine: `make build` and `make test` set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONTENT ?= content
OUT    ?= build
NODE_TOOLS := tests/node

.PHONY: build train check serve test test-fast bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# pyproject.toml names the dependencies; constraints.txt pins every package, transitive ones too
$(VENV)/.runtime: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.dev: pyproject.toml constraints.txt $(VENV)/.runtime
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

build: $(VENV)/.runtime   ## train the three stages and write build/
	$(BIN)/python -m generator build --content $(CONTENT) --out $(OUT) $(ARGS)

train: $(VENV)/.runtime   ## run the training only and print its log
	$(BIN)/python -m generator train --content $(CONTENT) $(ARGS)

check: $(VENV)/.runtime   ## validate content/ without training
	$(BIN)/python -m generator check --content $(CONTENT)

serve: $(VENV)/.runtime   ## preview on 127.0.0.1, rebuilding when content/ or templates/ change
	$(BIN)/python -m generator serve --content $(CONTENT) $(ARGS)

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

/usr/bin/pdftotext:   # poppler-utils: the print tests read the PDFs chromium makes
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null

$(NODE_TOOLS)/node_modules/.installed: $(NODE_TOOLS)/package.json $(NODE_TOOLS)/package-lock.json
	cd $(NODE_TOOLS) && npm ci --silent --no-audit --no-fund
	touch $@

test: $(VENV)/.dev /usr/bin/chromium /usr/bin/pdftotext $(NODE_TOOLS)/node_modules/.installed   ## everything, browser tests included
	$(BIN)/python -m pytest $(ARGS)

test-fast: $(VENV)/.dev   ## unit tests only
	$(BIN)/python -m pytest -m "not browser and not slow" $(ARGS)

bench: $(VENV)/.dev /usr/bin/chromium   ## print timings and sizes
	$(BIN)/python -m generator.bench --content $(CONTENT)

lint: $(VENV)/.dev
	$(BIN)/ruff check generator tests

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache
