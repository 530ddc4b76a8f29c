#!/usr/bin/env bash
# Fill OUT_DIR with the wheels the vllm-router image installs offline (pip --no-index --find-links):
# requirements.txt, hash-checked, as CPython 3.11 manylinux wheels (the images' Python).
#   services/vllm-router/make-wheelhouse.sh build/wheelhouse/vllm-router
# Called by scripts/build-images.sh; every package is a published wheel, so nothing is built here.
set -euo pipefail
[ "$#" -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
"${HOST_PY:-python3}" -m pip download -q --disable-pip-version-check --no-deps --require-hashes \
    --only-binary=:all: --implementation cp --python-version 3.11 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$out" -r "$here/requirements.txt"
echo "wheelhouse $out: $(ls "$out"/*.whl | wc -l) wheels, $(du -sh "$out" | cut -f1)"
