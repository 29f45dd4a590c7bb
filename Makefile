# Two commands do all the set-up on a fresh clone:
#   make demo   — start the bot on its embedded defaults (sandbox + SQLite, console adapter)
#   make test   — run the whole test suite (ruff, mypy, pytest, lock check)
#   make lock   — refresh the lock files after changing pyproject.toml (needs PyPI)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest lockcheck lock bench sandbox run clean faults

# Exact versions with hashes (requirements-dev.lock = runtime + the dev extra), then the
# project itself without resolving anything: the same versions on every machine.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

# Refresh the locks from pyproject.toml with uv (installed into .venv-uv on first use): keeps the
# current pins where they still fit and resolves what changed. `make lock UV_LOCK_ARGS=--upgrade`
# moves every package to its newest allowed version.
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
UV_EXPORT := $(UV) export --frozen --format requirements-txt --no-emit-project --no-header --quiet
lock:
	test -x $(UV) || { $(PY) -m venv $(UV_VENV) && $(UV_VENV)/bin/pip install -q 'uv>=0.9,<1'; }
	$(UV) lock --quiet $(UV_LOCK_ARGS)
	{ $(PY) scripts/check_lock.py --header; $(UV_EXPORT); } > requirements.lock
	{ $(PY) scripts/check_lock.py --header-dev; $(UV_EXPORT) --extra dev; } > requirements-dev.lock
	@echo "requirements.lock, requirements-dev.lock and uv.lock refreshed: commit them"

lockcheck: $(STAMP)
	$(BIN)/python scripts/check_lock.py

demo: $(STAMP)
	$(BIN)/socialbot demo

sandbox: $(STAMP)
	$(BIN)/socialbot sandbox

run: $(STAMP)
	$(BIN)/socialbot run

lint: $(STAMP)
	$(BIN)/ruff check bot commands adapters tests bench scripts
	$(BIN)/ruff format --check bot commands adapters tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy bot commands adapters tests bench

pytest: $(STAMP)
	$(BIN)/pytest

test: lockcheck lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(UV_VENV) .mypy_cache .ruff_cache socialbot.db*

# The fault-injection run at full size, Slack and Discord side by side against their fakes
# (500 posts and ≥ 8 SIGKILLs each; ~27 min at the real 120/min rate limit). CI runs
# tests/faults/test_faults.py at 30 posts per platform (FAULTS_POSTS).
faults: $(STAMP)
	$(BIN)/python -m tests.faults.driver --platform both --posts $${FAULTS_POSTS:-500} --kills $${FAULTS_KILLS:-8} --deadline 2700
