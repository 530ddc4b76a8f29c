#!/bin/bash
# The vLLM project's router (vllm-router) behind the project's nginx, in one container (LB=vllm-router):
#   nginx (the gate, nginx/entrypoint.sh unchanged) on NGINX_PORT: /v1/, /health and /metrics go to the
#     router, every other path is answered 404 by nginx itself, as with LB=nginx; /router-health and
#     /router-metrics answer the router's own readiness and Prometheus metrics.
#   the router on 127.0.0.1:ROUTER_PORT, reachable from inside this container only: its admin routes
#     (/add_worker, /remove_worker, /workers, /flush_cache, ...) and its transparent proxy of any other
#     path to an instance are never exposed, not even to the compose network.
# The instances are UPSTREAM_SERVERS (host:port, space or comma separated), as for nginx. The API key is
# checked by the instances (the router forwards Authorization), as with nginx.
# The container ends when either process ends, so a dead router is a dead (restarted) balancer.
#   entrypoint.sh            validate, start both
#   entrypoint.sh args       validate and print the router's command line (tests, debugging)
set -euo pipefail

: "${UPSTREAM_SERVERS:=vllm-1:8000 vllm-2:8000 vllm-3:8000 vllm-4:8000}"
: "${ROUTER_POLICY:=round_robin}"
: "${ROUTER_PORT:=30000}"
: "${ROUTER_METRICS_PORT:=29000}"
: "${ROUTER_HEALTH_CHECK_INTERVAL_SECS:=10}"
: "${ROUTER_WORKER_STARTUP_TIMEOUT_SECS:=1800}"
: "${ROUTER_REQUEST_TIMEOUT_SECS:=3600}"
: "${ROUTER_LOG_LEVEL:=info}"
: "${NGINX_RUN_DIR:=/tmp/nginx}"
ROUTER_POLICIES="round_robin power_of_two cache_aware consistent_hash"

die() {
    echo "vllm-router entrypoint: $*" >&2
    exit 64
}
require_int() { # NAME VALUE
    [[ "$2" =~ ^[0-9]+$ ]] && [ "${#2}" -le 9 ] || die "$1='$2': expected a whole number"
}

known=no
for policy in $ROUTER_POLICIES; do [ "$ROUTER_POLICY" = "$policy" ] && known=yes; done
[ "$known" = yes ] || die "ROUTER_POLICY='$ROUTER_POLICY': expected one of ${ROUTER_POLICIES// /, }"
require_int ROUTER_PORT "$ROUTER_PORT"
require_int ROUTER_METRICS_PORT "$ROUTER_METRICS_PORT"
require_int ROUTER_HEALTH_CHECK_INTERVAL_SECS "$ROUTER_HEALTH_CHECK_INTERVAL_SECS"
require_int ROUTER_WORKER_STARTUP_TIMEOUT_SECS "$ROUTER_WORKER_STARTUP_TIMEOUT_SECS"
require_int ROUTER_REQUEST_TIMEOUT_SECS "$ROUTER_REQUEST_TIMEOUT_SECS"
# The launcher also offers warning and critical, which 0.1.17's Rust logger does not parse (it falls back
# to info): only the three that take effect are accepted.
case "$ROUTER_LOG_LEVEL" in
    debug | info | error) ;;
    *) die "ROUTER_LOG_LEVEL='$ROUTER_LOG_LEVEL': expected debug, info or error" ;;
esac

# Each instance as a URL; a name or IPv4 (no scheme, user info, path or query: the entry becomes a URL).
workers=()
for entry in ${UPSTREAM_SERVERS//,/ }; do
    [[ "$entry" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[0-9]{1,5}$ ]] \
        || die "UPSTREAM_SERVERS entry '$entry': expected host:port (a DNS name or IPv4 address)"
    workers+=("http://$entry")
done
[ "${#workers[@]}" -gt 0 ] || die "UPSTREAM_SERVERS is empty: list the instances as host:port, space or comma separated"

router=(vllm-router --host 127.0.0.1 --port "$ROUTER_PORT" --worker-urls "${workers[@]}"
    --policy "$ROUTER_POLICY"
    --prometheus-host 127.0.0.1 --prometheus-port "$ROUTER_METRICS_PORT"
    --health-check-interval-secs "$ROUTER_HEALTH_CHECK_INTERVAL_SECS"
    --worker-startup-timeout-secs "$ROUTER_WORKER_STARTUP_TIMEOUT_SECS"
    --worker-startup-check-interval 5
    --request-timeout-secs "$ROUTER_REQUEST_TIMEOUT_SECS"
    --log-level "$ROUTER_LOG_LEVEL")
if [ "${1:-}" = args ]; then
    printf '%s\n' "${router[@]}"
    exit 0
fi

# The gate's extra locations (nginx.conf.template includes $NGINX_RUN_DIR/server.d/*.conf): the router's
# own readiness ({"status", "healthy_workers", "total_workers"}) and metrics, read-only, no key (as /health
# and /metrics); neither reaches an instance.
mkdir -p "$NGINX_RUN_DIR/server.d"
cat >"$NGINX_RUN_DIR/server.d/router.conf" <<EOF
        location = /router-health {
            access_log off;
            limit_except GET { deny all; }
            proxy_pass http://127.0.0.1:$ROUTER_PORT/readiness;
        }
        location = /router-metrics {
            access_log off;
            limit_except GET { deny all; }
            proxy_pass http://127.0.0.1:$ROUTER_METRICS_PORT/metrics;
        }
EOF

echo "vllm-router entrypoint: ${#workers[@]} instance(s) [${workers[*]}], ROUTER_POLICY=$ROUTER_POLICY" >&2
"${router[@]}" &
router_pid=$!
# One upstream (the router) and one try: the router does its own retries and failover.
UPSTREAM_SERVERS="127.0.0.1:$ROUTER_PORT" NGINX_NEXT_UPSTREAM_TRIES=1 NGINX_RUN_DIR="$NGINX_RUN_DIR" \
    /usr/local/bin/judge-fleet-nginx &
gate_pid=$!

# SIGQUIT (the image's stop signal) or SIGTERM: nginx finishes in-flight requests, the router drains.
stop() {
    kill -QUIT "$gate_pid" 2>/dev/null || true
    kill -TERM "$router_pid" 2>/dev/null || true
}
trap stop TERM INT QUIT
status=0
wait -n "$router_pid" "$gate_pid" || status=$?
stop
wait || true
exit "$status"
