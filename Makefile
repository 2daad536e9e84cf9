# hallbot: `make demo` runs the robot, `make test` runs the tests. Everything else is a helper.
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
PY := .venv/bin/python
HALLBOT := .venv/bin/hallbot

.PHONY: demo test check test-dates setup train validate eval bench chat clean

setup:
	@bash scripts/setup.sh

train: setup
	@$(HALLBOT) train

demo: setup
	@HALLBOT_DEMO=1 $(HALLBOT) run

test: setup
	@$(HALLBOT) train
	@$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# Fast feedback for every change (no Rasa, no browser, no models; ~1 min): lint, types, unit tests.
MYPY_PACKAGES := hallbot business identity actions bot voice vision phone
check: setup
	@.venv/bin/ruff check .
	@.venv/bin/mypy $(MYPY_PACKAGES)
	@$(PY) -m pytest -p no:cacheprovider -q -m "not rasa and not browser and not models" $(PYTEST_ARGS)

# The whole suite with the business day moved (a month end, a leap day, a year end).
# CI runs one: SIM_DATES=2027-12-31. The small hours are tests/business/test_business_seed.py's.
SIM_DATES ?= 2027-01-31,2028-02-29,2027-12-31
test-dates: setup
	@$(HALLBOT) train
	@IFS=, read -ra dates <<< "$(SIM_DATES)"; bash scripts/test_on_dates.sh "$${dates[@]}" -- $(PYTEST_ARGS)

validate: setup
	@$(HALLBOT) validate

eval: setup
	@$(HALLBOT) train
	@$(HALLBOT) eval

bench: setup
	@$(HALLBOT) train
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b $(BENCH_ARGS) || exit 1; done

chat: setup
	@$(HALLBOT) chat

clean:
	rm -rf models results var .venv .venv-rasa
