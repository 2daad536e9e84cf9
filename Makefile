# hallbot: `make demo` runs the robot, `make test` runs the tests. Everything else is a helper.
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
PY := .venv/bin/python
HALLBOT := .venv/bin/hallbot

.PHONY: demo test setup train validate eval bench chat clean

setup:
	@bash scripts/setup.sh

train: setup
	@$(HALLBOT) train

demo: setup
	@$(HALLBOT) run

test: setup
	@$(HALLBOT) train
	@$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

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
