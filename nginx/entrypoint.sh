#!/bin/sh
# Render nginx.conf for the vLLM fleet from environment variables, then run nginx in the foreground.
#   entrypoint.sh            render, check (nginx -t) and exec nginx -g 'daemon off;'
#   entrypoint.sh render     render only and print the path of the rendered file
#   entrypoint.sh CMD ...    render, then exec CMD (e.g. sh for debugging)
# POSIX sh: runs on the official nginx image (dash/busybox-free Debian) and on judge-fleet/base.
set -eu

# ---- defaults (every knob; docs/stack.md explains each) ------------------------------------------
: "${UPSTREAM_SERVERS:=vllm-1:8000 vllm-2:8000 vllm-3:8000 vllm-4:8000}"
: "${LB_POLICY:=round_robin}"
: "${NGINX_PORT:=8080}"
: "${NGINX_MAX_FAILS:=2}"
: "${NGINX_FAIL_TIMEOUT:=10s}"
: "${NGINX_KEEPALIVE:=64}"
: "${NGINX_NEXT_UPSTREAM_TRIES:=}"
: "${NGINX_NEXT_UPSTREAM_TIMEOUT:=0}"
: "${NGINX_PROXY_CONNECT_TIMEOUT:=5s}"
: "${NGINX_PROXY_SEND_TIMEOUT:=600s}"
: "${NGINX_PROXY_READ_TIMEOUT:=3600s}"
: "${NGINX_CLIENT_MAX_BODY_SIZE:=64m}"
: "${NGINX_CLIENT_BODY_BUFFER_SIZE:=2m}"
: "${NGINX_WORKER_PROCESSES:=auto}"
: "${NGINX_WORKER_CONNECTIONS:=4096}"
: "${NGINX_RESOLVER:=}"
: "${NGINX_RESOLVER_VALID:=5s}"
: "${NGINX_RESOLVER_TIMEOUT:=2s}"
: "${NGINX_ERROR_LOG_LEVEL:=warn}"
: "${NGINX_ACCESS_LOG:=/dev/stdout}"
: "${NGINX_RUN_DIR:=/tmp/nginx}"
: "${NGINX_TEMPLATE_DIR:=$(dirname "$0")/templates}"

die() {
    echo "nginx entrypoint: $*" >&2
    exit 64
}

# Each check names the variable at fault, so a typo in .env fails at start with a clear message.
require_int() { # NAME VALUE
    case "$2" in '' | *[!0-9]*) die "$1='$2': expected a whole number" ;; esac
}
require_duration() { # NAME VALUE  (nginx time: 30, 30s, 5m, 1h, 500ms)
    printf '%s' "$2" | grep -Eq '^[0-9]+(ms|s|m|h|d)?$' || die "$1='$2': expected a duration such as 30s, 5m, 1h"
}
require_size() { # NAME VALUE  (nginx size: 1024, 64k, 64m)
    printf '%s' "$2" | grep -Eq '^[0-9]+[kKmMgG]?$' || die "$1='$2': expected a size such as 512k, 64m"
}

require_int NGINX_PORT "$NGINX_PORT"
require_int NGINX_MAX_FAILS "$NGINX_MAX_FAILS"
require_int NGINX_KEEPALIVE "$NGINX_KEEPALIVE"
require_int NGINX_WORKER_CONNECTIONS "$NGINX_WORKER_CONNECTIONS"
[ "$NGINX_WORKER_PROCESSES" = auto ] || require_int NGINX_WORKER_PROCESSES "$NGINX_WORKER_PROCESSES"
require_duration NGINX_FAIL_TIMEOUT "$NGINX_FAIL_TIMEOUT"
require_duration NGINX_NEXT_UPSTREAM_TIMEOUT "$NGINX_NEXT_UPSTREAM_TIMEOUT"
require_duration NGINX_PROXY_CONNECT_TIMEOUT "$NGINX_PROXY_CONNECT_TIMEOUT"
require_duration NGINX_PROXY_SEND_TIMEOUT "$NGINX_PROXY_SEND_TIMEOUT"
require_duration NGINX_PROXY_READ_TIMEOUT "$NGINX_PROXY_READ_TIMEOUT"
require_duration NGINX_RESOLVER_VALID "$NGINX_RESOLVER_VALID"
require_duration NGINX_RESOLVER_TIMEOUT "$NGINX_RESOLVER_TIMEOUT"
require_size NGINX_CLIENT_MAX_BODY_SIZE "$NGINX_CLIENT_MAX_BODY_SIZE"
require_size NGINX_CLIENT_BODY_BUFFER_SIZE "$NGINX_CLIENT_BODY_BUFFER_SIZE"

# Tier 1 (the balancer) waits strictly longer than tier 2 (the per-instance proxy), so a slow
# generation always ends as tier 2's 504, which is never re-sent, rather than as tier 1's timeout.
TIER1_TIMEOUT_MARGIN_MS=30000
duration_ms() { # VALUE (already checked by require_duration) -> milliseconds
    number=${1%%[a-z]*}
    while [ "${number#0}" != "$number" ] && [ -n "${number#0}" ]; do number=${number#0}; done # not octal
    case "$1" in
        *ms) echo "$number" ;;
        *s | *[0-9]) echo $((number * 1000)) ;;
        *m) echo $((number * 60000)) ;;
        *h) echo $((number * 3600000)) ;;
        *d) echo $((number * 86400000)) ;;
    esac
}
tier1_timeout() { echo "$(($(duration_ms "$1") + TIER1_TIMEOUT_MARGIN_MS))ms"; }
NGINX_TIER1_CONNECT_TIMEOUT=$(tier1_timeout "$NGINX_PROXY_CONNECT_TIMEOUT")
NGINX_TIER1_SEND_TIMEOUT=$(tier1_timeout "$NGINX_PROXY_SEND_TIMEOUT")
NGINX_TIER1_READ_TIMEOUT=$(tier1_timeout "$NGINX_PROXY_READ_TIMEOUT")

case "$LB_POLICY" in
    round_robin) NGINX_LB_DIRECTIVE='# round robin (nginx default)' ;;
    least_conn) NGINX_LB_DIRECTIVE='least_conn;' ;;
    *) die "LB_POLICY='$LB_POLICY': expected round_robin or least_conn" ;;
esac

# Docker's embedded DNS (127.0.0.11) is the first nameserver inside a compose network.
if [ -z "$NGINX_RESOLVER" ]; then
    NGINX_RESOLVER=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
    [ -n "$NGINX_RESOLVER" ] || die "NGINX_RESOLVER is empty and /etc/resolv.conf names no nameserver"
fi
case "$NGINX_RESOLVER" in *:*:*) NGINX_RESOLVER="[$NGINX_RESOLVER]" ;; esac # bare IPv6 needs brackets

for template in nginx.conf.template instance.conf.template; do
    [ -r "$NGINX_TEMPLATE_DIR/$template" ] || die "NGINX_TEMPLATE_DIR='$NGINX_TEMPLATE_DIR' has no $template"
done

mkdir -p "$NGINX_RUN_DIR"
rm -f "$NGINX_RUN_DIR"/instance-*.sock # left behind by a killed nginx, they would block bind()

# ---- one tier-2 server and one upstream line per instance -----------------------------------------
instances_file="$NGINX_RUN_DIR/instances.conf"
: >"$instances_file"
NGINX_UPSTREAM_SERVERS=''
count=0
for INSTANCE_ADDR in $(printf '%s' "$UPSTREAM_SERVERS" | tr ',' ' '); do
    host=${INSTANCE_ADDR%:*}
    port=${INSTANCE_ADDR##*:}
    if [ "$host" = "$INSTANCE_ADDR" ] || [ -z "$host" ]; then
        die "UPSTREAM_SERVERS entry '$INSTANCE_ADDR': expected host:port"
    fi
    require_int "UPSTREAM_SERVERS entry '$INSTANCE_ADDR' port" "$port"
    count=$((count + 1))
    INSTANCE_INDEX=$count
    export INSTANCE_ADDR INSTANCE_INDEX NGINX_RUN_DIR NGINX_ACCESS_LOG NGINX_PROXY_CONNECT_TIMEOUT \
        NGINX_PROXY_SEND_TIMEOUT NGINX_PROXY_READ_TIMEOUT
    envsubst '${INSTANCE_INDEX} ${INSTANCE_ADDR} ${NGINX_RUN_DIR} ${NGINX_ACCESS_LOG}
        ${NGINX_PROXY_CONNECT_TIMEOUT} ${NGINX_PROXY_SEND_TIMEOUT} ${NGINX_PROXY_READ_TIMEOUT}' \
        <"$NGINX_TEMPLATE_DIR/instance.conf.template" >>"$instances_file"
    NGINX_UPSTREAM_SERVERS="$NGINX_UPSTREAM_SERVERS        server unix:$NGINX_RUN_DIR/instance-$count.sock max_fails=$NGINX_MAX_FAILS fail_timeout=$NGINX_FAIL_TIMEOUT; # $INSTANCE_ADDR
"
done
[ "$count" -gt 0 ] || die "UPSTREAM_SERVERS is empty: list the instances as host:port, space or comma separated"

# Default: try every instance once before giving up.
[ -n "$NGINX_NEXT_UPSTREAM_TRIES" ] || NGINX_NEXT_UPSTREAM_TRIES=$count
require_int NGINX_NEXT_UPSTREAM_TRIES "$NGINX_NEXT_UPSTREAM_TRIES"

NGINX_INSTANCE_SERVERS=$(cat "$instances_file")
export NGINX_WORKER_PROCESSES NGINX_RUN_DIR NGINX_ERROR_LOG_LEVEL NGINX_WORKER_CONNECTIONS NGINX_RESOLVER \
    NGINX_RESOLVER_VALID NGINX_RESOLVER_TIMEOUT NGINX_ACCESS_LOG NGINX_CLIENT_MAX_BODY_SIZE \
    NGINX_CLIENT_BODY_BUFFER_SIZE NGINX_LB_DIRECTIVE NGINX_UPSTREAM_SERVERS NGINX_KEEPALIVE NGINX_PORT \
    NGINX_NEXT_UPSTREAM_TRIES NGINX_NEXT_UPSTREAM_TIMEOUT NGINX_TIER1_CONNECT_TIMEOUT NGINX_TIER1_SEND_TIMEOUT \
    NGINX_TIER1_READ_TIMEOUT NGINX_INSTANCE_SERVERS
conf="$NGINX_RUN_DIR/nginx.conf"
# Only our variables are substituted: nginx's own $variables pass through untouched.
envsubst '${NGINX_WORKER_PROCESSES} ${NGINX_RUN_DIR} ${NGINX_ERROR_LOG_LEVEL} ${NGINX_WORKER_CONNECTIONS}
    ${NGINX_RESOLVER} ${NGINX_RESOLVER_VALID} ${NGINX_RESOLVER_TIMEOUT} ${NGINX_ACCESS_LOG}
    ${NGINX_CLIENT_MAX_BODY_SIZE} ${NGINX_CLIENT_BODY_BUFFER_SIZE} ${NGINX_LB_DIRECTIVE}
    ${NGINX_UPSTREAM_SERVERS} ${NGINX_KEEPALIVE} ${NGINX_PORT} ${NGINX_NEXT_UPSTREAM_TRIES}
    ${NGINX_NEXT_UPSTREAM_TIMEOUT} ${NGINX_TIER1_CONNECT_TIMEOUT} ${NGINX_TIER1_SEND_TIMEOUT}
    ${NGINX_TIER1_READ_TIMEOUT} ${NGINX_INSTANCE_SERVERS}' <"$NGINX_TEMPLATE_DIR/nginx.conf.template" >"$conf"
rm -f "$instances_file"

if [ "${1:-}" = render ]; then
    echo "$conf"
    exit 0
fi
echo "nginx entrypoint: $count instance(s) [$UPSTREAM_SERVERS], LB_POLICY=$LB_POLICY, port $NGINX_PORT" >&2
if [ "$#" -gt 0 ]; then
    exec "$@"
fi
nginx -t -q -p "$NGINX_RUN_DIR" -c "$conf" -e stderr
exec nginx -p "$NGINX_RUN_DIR" -c "$conf" -e stderr -g 'daemon off;'
