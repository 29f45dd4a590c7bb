# Two commands do all the set-up on a fresh clone:
#   make demo   — start the bot on its embedded defaults (sandbox + SQLite, console adapter)
#   make test   — run the whole test suite (ruff, mypy, pytest)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench sandbox run clean faults

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/socialbot demo

sandbox: $(STAMP)
	$(BIN)/socialbot sandbox

run: $(STAMP)
	$(BIN)/socialbot run

lint: $(STAMP)
	$(BIN)/ruff check bot commands adapters tests bench
	$(BIN)/ruff format --check bot commands adapters tests bench

typecheck: $(STAMP)
	$(BIN)/mypy bot commands adapters

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache socialbot.db*

# The fault-injection run at full size, Slack and Discord side by side against their fakes
# (500 posts and ≥ 8 SIGKILLs each; ~27 min at the real 120/min rate limit). CI runs
# tests/faults/test_faults.py at 30 posts per platform (FAULTS_POSTS).
faults: $(STAMP)
	$(BIN)/python -m tests.faults.driver --platform both --posts $${FAULTS_POSTS:-500} --kills $${FAULTS_KILLS:-8} --deadline 2700
