#!/bin/sh
# Container entrypoint: serve the model prepared at build time (SmolLM2; MODEL_DIR=/models/tiny-llama
# for the random tiny one). Arguments are passed on to `vllm serve`
# (e.g. `docker run judge-fleet/vllm-cpu:dev --max-num-seqs 8`). VLLM_API_KEY, when set, is required
# as the bearer token. tini (when the base image has it) reaps vLLM's engine and worker processes.
set -eu
reaper=""
if command -v tini >/dev/null 2>&1; then reaper="tini --"; fi
exec $reaper /opt/venv/bin/python -m vllm_cpu_serve serve \
    --model "${MODEL_DIR:-/models/smollm2-135m-instruct}" \
    --host 0.0.0.0 \
    --port "${PORT:-8000}" \
    --served-model-name "${SERVED_MODEL_NAME:-smollm2-135m-instruct}" \
    "$@"
