"""The vLLM router's own view of the fleet (LB=vllm-router): its readiness and its per-instance metrics.

The balancer's gate (services/vllm-router/entrypoint.sh) answers ROUTER_HEALTH_PATH with the router's
readiness (`{"status", "healthy_workers", "total_workers"}`) and ROUTER_METRICS_PATH with its
Prometheus page; plain nginx answers both 404, so their absence means "no router". `analyze check` and
`make status` (compose/status.py) read them through here; the metric names live in
analyze.fleet.prometheus. Both answers come from the network: anything unexpected is an error in the
status, never an exception, and the worker names are shown only as printable text.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from analyze.fleet.prometheus import (
    ROUTER_CIRCUIT_STATE,
    ROUTER_PROCESSED,
    ROUTER_WORKER_HEALTH,
    ROUTER_WORKER_LABEL,
    MetricsPageError,
    metrics_by_label,
)

ROUTER_HEALTH_PATH = "/router-health"
ROUTER_METRICS_PATH = "/router-metrics"
CIRCUIT_STATES = {0: "closed", 1: "open", 2: "half-open"}
NAME_MAX_CHARS = 120


@dataclass(frozen=True)
class RouterWorker:
    url: str
    healthy: bool | None  # the router's active health check; None: not on its page
    circuit: str | None  # closed (requests flow), open (none sent), half-open (probing)
    processed: float | None  # requests the router sent it


@dataclass
class RouterStatus:
    ready: bool = False
    healthy_workers: int | None = None
    total_workers: int | None = None
    workers: list[RouterWorker] = field(default_factory=list)
    error: str | None = None


def printable(text: str) -> str:
    """`text` safe for one line of a terminal: control characters escaped, length bounded."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return shown if len(shown) <= NAME_MAX_CHARS else shown[: NAME_MAX_CHARS - 1] + "…"


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def router_status(health_code: int, health_body: str, metrics_code: int, metrics_page: str) -> RouterStatus:
    """The router's status from its two answers (HTTP status and body of each)."""
    status = RouterStatus()
    try:
        readiness = json.loads(health_body) if health_body.strip() else None
    except ValueError:
        readiness = None
    if isinstance(readiness, dict):
        status.ready = health_code == 200 and readiness.get("status") == "ready"
        status.healthy_workers = _count(readiness.get("healthy_workers"))
        status.total_workers = _count(readiness.get("total_workers"))
    else:
        status.error = f"{ROUTER_HEALTH_PATH}: HTTP {health_code}, not the router's readiness JSON"
    if metrics_code != 200:
        status.error = status.error or f"{ROUTER_METRICS_PATH}: HTTP {metrics_code}"
        return status
    try:
        families = (ROUTER_WORKER_HEALTH, ROUTER_CIRCUIT_STATE, ROUTER_PROCESSED)
        health, circuit, processed = metrics_by_label(metrics_page, families, ROUTER_WORKER_LABEL)
    except MetricsPageError as exc:
        status.error = status.error or f"{ROUTER_METRICS_PATH}: {exc}"
        return status
    for url in sorted({*health, *circuit, *processed}):
        state = circuit.get(url)
        status.workers.append(
            RouterWorker(
                url=printable(url),
                healthy=None if url not in health else health[url] >= 1,
                circuit=_circuit(state),
                processed=processed.get(url),
            )
        )
    return status


def _circuit(state: float | None) -> str | None:
    """The circuit's name; a value that is no state (NaN, inf, 7) is shown as it is, never raised on."""
    if state is None:
        return None
    return CIRCUIT_STATES.get(int(state), f"{state:g}") if math.isfinite(state) else f"{state:g}"


def shown_number(value: float | None) -> str:
    """A count or gauge for a status line: `?` when unknown (analyze check's lines use it too)."""
    return "?" if value is None else f"{value:g}"


def format_router(status: RouterStatus, indent: str = "    ") -> list[str]:
    """Lines for `analyze check` / `make status`: the router's readiness, then one line per instance."""
    counts = f"{shown_number(status.healthy_workers)}/{shown_number(status.total_workers)} instances healthy"
    head = f"{indent}router: {'ready' if status.ready else 'NOT ready'}, {counts}"
    lines = [head + (f"  ({status.error})" if status.error else "")]
    for worker in status.workers:
        mark = {True: "✓", False: "✗", None: "?"}[worker.healthy]
        lines.append(
            f"{indent}  {mark} {worker.url}  circuit={worker.circuit or '?'} "
            f"processed={shown_number(worker.processed)}"
        )
    return lines
