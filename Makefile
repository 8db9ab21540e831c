# Cadenza: the front door. `make run` and `make test` set everything up on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PACKAGES := libs/shared libs/runtime services/enrollment services/scheduling services/dispatch services/classification services/metrics
DEV_TOOLS := pytest pytest-asyncio hypothesis ruff mypy scikit-learn
HELM_VERSION ?= v3.21.4
IMAGE_TAG ?= dev

.PHONY: help venv run run-apache demo test test-unit test-integration test-deploy lint fmt typecheck migrate kafka-fetch helm images bench bench-scheduler bench-pipeline eval-classifier clean

help:
	@echo "make run          start Cadenza on embedded PostgreSQL + embedded Kafka-protocol broker (Ctrl-C stops)"
	@echo "make run-apache   the same on a local Apache Kafka broker (needs Java 17 + Maven)"
	@echo "make demo         run the 18-day multichannel cadence for examples/prospects.csv on a scaled clock"
	@echo "make test         unit + integration tests (Apache Kafka when Java/Maven exist, plus an embedded smoke test)"
	@echo "make images       container images (needs a Docker engine); docker compose up --build runs them"
	@echo "make helm         build helm for the chart tests; make test-deploy checks images, compose, chart"
	@echo "make bench        scheduler (1,000,000 timers) and end-to-end pipeline benchmarks, each against a bare baseline"
	@echo "make eval-classifier  held-out precision/recall/F1, confusion matrices, throughput of reply classification"
	@echo "make lint | fmt | typecheck | migrate"

$(STAMP): constraints.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q -c constraints.txt --no-build-isolation $(addprefix -e ,$(PACKAGES)) $(DEV_TOOLS)
	@# refresh the packages' own metadata (declared dependencies, entry points) after a pyproject change
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation --force-reinstall $(addprefix -e ,$(PACKAGES))
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/cadenza run

run-apache: venv
	$(BIN)/cadenza run --broker apache

demo: venv
	$(BIN)/cadenza demo

migrate: venv
	$(BIN)/cadenza migrate

kafka-fetch: venv
	$(BIN)/python -m cadenza_runtime.apache_kafka fetch

test: venv
	$(BIN)/python -m pytest

test-unit: venv
	$(BIN)/python -m pytest libs services

test-integration: venv
	$(BIN)/python -m pytest tests/integration

lint: venv
	$(BIN)/ruff check libs services tests
	$(BIN)/ruff format --check libs services tests

fmt: venv
	$(BIN)/ruff format libs services tests
	$(BIN)/ruff check --fix libs services tests

typecheck: venv
	$(BIN)/mypy libs/shared/src libs/runtime/src

test-deploy: venv
	$(BIN)/python -m pytest tests/deploy

helm: $(BIN)/helm
$(BIN)/helm: | $(STAMP)
	GOBIN=$(CURDIR)/$(BIN) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

images:
	for s in enrollment scheduling dispatch classification metrics; do docker build -f services/$$s/Dockerfile -t cadenza-$$s:$(IMAGE_TAG) . || exit 1; done
	docker build -f deploy/migrate.Dockerfile -t cadenza-migrate:$(IMAGE_TAG) .

eval-classifier: venv
	$(BIN)/python -m cadenza_classification.model.evaluate

bench: bench-scheduler bench-pipeline

bench-scheduler: venv
	$(BIN)/python bench/scheduler_bench.py

bench-pipeline: venv
	$(BIN)/python bench/pipeline_bench.py --prospects 1000

clean:
	rm -rf var .pytest_cache
