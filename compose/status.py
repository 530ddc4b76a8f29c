#!/usr/bin/env python3
"""Fleet status for `make status`: per instance container state, health and load from /metrics.

    compose/status.py -f docker-compose.yml -f compose/sim.yml      (the arguments go to `docker compose`)

Instances are not published to the host, so /metrics is read from inside the nginx container (curl).
`make status` runs it with .venv's python: the metrics page is read by the project's one Prometheus
parser (analyze.fleet.prometheus), which also holds the metric names. With LB=vllm-router the balancer
container answers the router's own readiness and metrics too (analyze.fleet.router): shown under the
table; plain nginx answers their paths 404.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from analyze.fleet.prometheus import KV_USAGE, RUNNING, WAITING, MetricsPageError, first_of, metric_totals
from analyze.fleet.router import ROUTER_HEALTH_PATH, ROUTER_METRICS_PATH, format_router, router_status

INSTANCE_PREFIX = "vllm-"
INSTANCE_PORT = 8000
GATE = "127.0.0.1:8080"  # the balancer's own port inside its container (docker-compose.yml)
PROBE_TIMEOUT_S = 3


@dataclass(frozen=True)
class Load:
    running: float | None
    waiting: float | None
    kv_usage: float | None  # 0..1


def load_from_metrics(text: str) -> Load:
    """Load from a /metrics page; unknowns (None) when the page is missing or malformed."""
    try:
        metrics = metric_totals(text)
    except MetricsPageError:
        return Load(None, None, None)
    running, waiting = first_of(metrics, RUNNING), first_of(metrics, WAITING)
    return Load(running, waiting, first_of(metrics, KV_USAGE))


def compose(args: Sequence[str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "compose", *args, *command], capture_output=True, text=True, check=False)


def containers(args: Sequence[str]) -> list[dict]:
    """`docker compose ps --all` rows (one JSON object per line in Compose v2.21+, a list before)."""
    out = compose(args, "ps", "--all", "--format", "json").stdout.strip()
    if out.startswith("["):
        return json.loads(out)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def probe(args: Sequence[str], service: str, path: str) -> tuple[int, str]:
    """HTTP status and body of http://SERVICE/PATH (SERVICE: host:port), from inside the nginx container."""
    url = f"http://{service}{path}"
    result = compose(
        args, "exec", "-T", "nginx", "curl", "-s", "-m", str(PROBE_TIMEOUT_S), "-w", "\n%{http_code}", url
    )
    body, _, code = result.stdout.rpartition("\n")
    return (int(code) if code.isdigit() else 0), body


def fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.0f}%" if percent else f"{value:g}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    rows = containers(args)
    if not rows:
        print("no containers: start the fleet with `make up`")
        return 1
    by_service = {row["Service"]: row for row in rows}
    nginx_up = by_service.get("nginx", {}).get("State") == "running"
    header = ("service", "state", "health", "/health", "running", "waiting", "kv")
    print("{:<10} {:<10} {:<10} {:<8} {:>8} {:>8} {:>6}".format(*header))
    for service in sorted(by_service, key=lambda s: (not s.startswith(INSTANCE_PREFIX), s)):
        row = by_service[service]
        line = f"{service:<10} {row.get('State', '?'):<10} {row.get('Health') or '-':<10}"
        if service.startswith(INSTANCE_PREFIX) and nginx_up:
            health, _ = probe(args, f"{service}:{INSTANCE_PORT}", "/health")
            _, metrics = probe(args, f"{service}:{INSTANCE_PORT}", "/metrics")
            load = load_from_metrics(metrics)
            line += f" {health or 'down'!s:<8} {fmt(load.running):>8} {fmt(load.waiting):>8}"
            line += f" {fmt(load.kv_usage, percent=True):>6}"
        print(line)
    if not nginx_up:
        print("nginx is not running: instance probes skipped (they go through the nginx container)")
        return 0
    health_code, health_body = probe(args, GATE, ROUTER_HEALTH_PATH)
    if health_code not in (0, 404):  # the balancer is the vLLM router (LB=vllm-router); 0: no answer
        metrics_code, metrics_page = probe(args, GATE, ROUTER_METRICS_PATH)
        print(
            "\n".join(format_router(router_status(health_code, health_body, metrics_code, metrics_page), ""))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
