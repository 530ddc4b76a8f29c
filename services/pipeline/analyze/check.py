"""`analyze check`: for each backend, is it healthy, which models it serves, and its queue from /metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from analyze.prometheus import MetricsPageError, metric_totals
from analyze.urls import server_root

METRIC_RUNNING = "vllm:num_requests_running"
METRIC_WAITING = "vllm:num_requests_waiting"


@dataclass
class BackendStatus:
    base_url: str
    healthy: bool = False
    models: list[str] = field(default_factory=list)
    running: float | None = None
    waiting: float | None = None
    error: str | None = None


def check_backend(base_url: str, api_key: str, timeout_s: float = 5.0) -> BackendStatus:
    status = BackendStatus(base_url)
    root = server_root(base_url)
    headers = {"Authorization": f"Bearer {api_key}"}
    try:
        with httpx.Client(timeout=timeout_s, headers=headers) as http:
            health = http.get(f"{root}/health")
            status.healthy = health.status_code == 200
            models = http.get(f"{base_url.rstrip('/')}/models")
            models.raise_for_status()
            status.models = [m["id"] for m in models.json().get("data", [])]
            metrics = http.get(f"{root}/metrics")
            if metrics.status_code == 200:
                totals = metric_totals(metrics.text)
                status.running = totals.get(METRIC_RUNNING)
                status.waiting = totals.get(METRIC_WAITING)
    except MetricsPageError as exc:  # the instance is up; only its load is unknown
        status.error = f"/metrics: {exc}"
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        status.healthy = False
        status.error = f"{type(exc).__name__}: {exc}"
    return status


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def format_status(status: BackendStatus) -> str:
    mark = "✓" if status.healthy else "✗"
    if status.error:
        return f"{mark} {status.base_url}  {status.error}"
    queue = f"running={_number(status.running)} waiting={_number(status.waiting)}"
    return f"{mark} {status.base_url}  models={','.join(status.models) or '-'}  {queue}"
