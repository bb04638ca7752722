# Two commands on a fresh machine: `make build` and `make test` set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONTENT ?= content
OUT    ?= build
NODE_TOOLS := tests/node

.PHONY: build train check serve test test-fast mutants bench lint clean

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
	$(BIN)/python -m pytest -n auto --dist worksteal $(ARGS)

test-fast: $(VENV)/.dev   ## unit tests only
	$(BIN)/python -m pytest -n auto --dist worksteal -m "not browser and not slow" $(ARGS)

# Mutation testing: mutmut changes one thing at a time in these functions (a < for a <=, a + for a -, a
# constant, a dropped argument) and runs the fast tests (pyproject.toml [tool.mutmut]) against each change;
# a change no test notices is a surviving mutant. About 17 minutes on 2 cores; not part of test or CI.
CONTENT_VALIDATION := $(foreach f,settings_misfits _check_fit _check_settings_fit _check_lengths _check_concept \
	_setting_value _unknown_setting _placeholder_mistakes _suggest _unknown,generator.content.x_$(f)__mutmut_*) \
	generator.content.x*TextSizes*split__mutmut_*
MUTANTS ?= generator.checks.* generator.findings.* generator.format.* generator.cache.* generator.output.* \
	generator.training.* $(CONTENT_VALIDATION)
mutants: $(VENV)/.dev   ## mutation score per module (mutmut); results in mutants/
	rm -rf mutants && mkdir mutants
	$(BIN)/mutmut run --max-children 2 $(foreach m,$(MUTANTS),'$(m)') > mutants/run.log 2>&1 \
		|| (tail -c 2000 mutants/run.log; false)
	$(BIN)/python -m tests.mutation_report $(foreach m,$(MUTANTS),'$(m)')

bench: $(VENV)/.dev /usr/bin/chromium   ## print timings and sizes
	$(BIN)/python -m generator.bench --content $(CONTENT)

lint: $(VENV)/.dev
	$(BIN)/ruff check generator tests

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache mutants
