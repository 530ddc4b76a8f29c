# judge-fleet: see `make help`. Every target is a thin wrapper over scripts/ and the packages' CLIs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## create .venv with every project package (editable) and the test tools

$(VENV)/.installed: services/*/pyproject.toml requirements-dev.txt
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q -U pip
	$(VPY) -m pip install -q -e services/vllm-sim -e services/pipeline -e services/vllm-cpu -r requirements-dev.txt
	touch $@

lint: setup ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup lint ## run every test (Docker ones need an engine: scripts/docker-env.sh up)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

images: ## build every image offline (base image by debootstrap when missing)
	scripts/build-images.sh

clean: ## remove build outputs and the virtualenvs
	rm -rf build $(VENV) .venv-vllm .pytest_cache .ruff_cache

.PHONY: help setup lint test images clean
