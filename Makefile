# The README's two commands are `make demo` and `make test`; each does its own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Kernels get CurveZMQ keys, so they run encrypted and print no warning about plain TCP.
KERNEL := --KernelManager.transport_encryption=auto --ExecutePreprocessor.kernel_name=python3

.PHONY: setup mongoose demo test test-unit test-integration lab lint lint-real services-up services-down clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@# uv resolves and installs from its cache under ~/.cache/uv in seconds; pip took a minute.
	@# --compile-bytecode: uv writes no .pyc by default, and where PYTHONDONTWRITEBYTECODE is
	@# set nothing else does, so every kernel, worker process and pytest worker would compile
	@# Jupyter, matplotlib and the rest from source on every start.
	$(BIN)/pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

setup: $(STAMP)

# Real Mongoose 8 (pinned in tests/oracle/mongoose/) for the registry's differential test,
# installed once into ~/.cache/modelguard. Without Node.js and npm the test skips and says why.
mongoose:
	@if command -v npm >/dev/null; then \
	    bash scripts/mongoose.sh install >/dev/null || echo "mongoose: install failed; its test will say why"; \
	fi

demo: setup
	$(BIN)/python -m modelguard walkthrough
	@# The scenario tables, the figures and results.json come from this one run.
	$(BIN)/python scripts/render_figures.py --tables --out build/figures
	$(BIN)/python -m modelguard replay-dlq
	$(BIN)/jupyter nbconvert --log-level=WARN --to notebook --execute \
	    --ExecutePreprocessor.timeout=300 $(KERNEL) \
	    --output-dir build/notebooks notebooks/[0-9][0-9]-*.ipynb
	@# The executed notebooks, the README and docs/ as one site; nothing runs again.
	$(BIN)/python scripts/build_site.py --notebooks build/notebooks --out build/site
	@echo "Walkthrough site: build/site/README.html   Executed notebooks: build/notebooks/   Figures: build/figures/"

# Much of the suite waits (kernels starting, consumer groups rebalancing, worker
# processes), so three pytest workers share two cores well. JOBS=0 runs in one process.
# loadgroup hands out one test at a time, except that a module marked
# `xdist_group` goes to one worker whole, so its module-scoped runs are set up once.
JOBS ?= 3

test: setup mongoose
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

test-unit: setup mongoose
	$(BIN)/python -m pytest tests/unit

# The local services' addresses, named for this target only: nothing else assumes them.
test-integration: setup
	eval "$$(bash scripts/services.sh env)" && MODELGUARD_REQUIRE_SERVICES=1 $(BIN)/python -m pytest -m integration tests/integration

# jupyter/jupyter_lab_config.py: serve notebooks/, open the first one, no news pop-up.
lab: setup
	$(BIN)/jupyter lab --config=jupyter/jupyter_lab_config.py --allow-root

lint: setup
	$(BIN)/python -m modelguard lint src
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The lint, strict mode and the pytest plugin on pinned releases of real projects, their
# tests included (downloaded once into ~/.cache/modelguard): a false alarm or a missed
# true positive fails. scripts/lint_real_code.py times the lint against ruff.
lint-real: setup
	$(BIN)/python scripts/real_code_gate.py

services-up:
	bash scripts/services.sh up

services-down:
	bash scripts/services.sh down

clean:
	rm -rf $(VENV) build .pytest_cache
