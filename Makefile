# Every target bootstraps .venv on first use; nothing needs installing by hand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck format browser bench bench-quick bench-report load fuzz clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "fastjson needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m examples.hello_rest

test: $(STAMP) lint typecheck browser
	$(PY) -m pytest tests bench --benchmark-disable -q

# Debian's chromium for the browser test: installed when missing and when we may (root + apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  echo "installing Debian's chromium for the browser test" && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	} || echo "WARNING: chromium is missing and could not be installed: the browser test will be SKIPPED"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy --strict on the library and on a typical user script (tests/test_typing.py checks
# that a wrong option value fails).
typecheck: $(STAMP)
	$(VENV)/bin/mypy --strict fastjson tests/typing/user_ok.py

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m pytest bench --benchmark-only --benchmark-min-rounds=10 --benchmark-json=bench/results/latest.json

# The speed and memory targets alone, interleaved and with their spread (a few minutes).
bench-quick: $(STAMP)
	$(PY) bench/quick.py

bench-report: $(STAMP)
	$(PY) bench/report.py bench/results/latest.json

# Load test on loopback; wrk from Debian when it can be installed, else a Python client.
load: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk is not available: using the Python client"
	$(PY) bench/load.py

# The hostile-input fuzz suite with many more examples than make test runs.
fuzz: $(STAMP)
	FASTJSON_FUZZ_EXAMPLES=50000 $(PY) -m pytest tests/test_fuzz.py -q
	FASTJSON_TABLE_EXAMPLES=2000 $(PY) -m pytest tests/test_table_writer.py -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
