# Everyday targets; each delegates to dev.py, which needs only Python 3.11+.
PYTHON ?= python3

.PHONY: demo test lint format bench clean

demo:
	$(PYTHON) dev.py demo

test:
	$(PYTHON) dev.py test

lint:
	$(PYTHON) dev.py lint

format:
	$(PYTHON) dev.py lint >/dev/null 2>&1 || true
	.venv/bin/ruff format src tests bench dev.py
	.venv/bin/ruff check --fix src tests bench dev.py

bench:
	$(PYTHON) dev.py bench

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache src/*.egg-info
