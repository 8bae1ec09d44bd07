# Two commands do all the set-up on a fresh machine with Python 3.11+ and make:
#   make run    start Sway (embedded Postgres and Redis unless SWAY_DATABASE_URL / SWAY_REDIS_URL)
#   make test   run the whole suite against real Postgres and Redis
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
# Test processes in parallel (pytest-xdist): "auto" is one per CPU, at most four. Handed out a
# file at a time in collection order, so the schemathesis run (collected first) starts at once
# and the other processes take the rest: a process can give up no queued test while it runs one
# that long, which work stealing would need.
TEST_PROCESSES ?= auto

.PHONY: run test lint bench clean

$(VENV)/bin/sway: pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --frozen --quiet --python $(VENV)/bin/python
	@touch $@

run: $(VENV)/bin/sway
	$(VENV)/bin/sway run

test: $(VENV)/bin/sway
	$(VENV)/bin/pytest --numprocesses=$(TEST_PROCESSES) --maxprocesses=4 --dist=loadfile --no-loadscope-reorder

lint: $(VENV)/bin/sway
	$(VENV)/bin/ruff check .

bench: $(VENV)/bin/sway
	$(VENV)/bin/python -m bench.run

clean:
	rm -rf $(VENV) .sway
