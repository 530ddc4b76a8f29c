"""`analyze check`: for each backend, is it healthy, which models it serves, and its queue from /metrics;
behind a balancer, the same for each instance it reaches.

nginx sends each /metrics scrape to one instance, so one scrape of the base URL is one instance's queue,
not the fleet's. The instances are told apart by the `x-served-by` / `x-upstream-addr` header of each
answer, with the fleet discovery `--concurrency auto` uses (adaptive_limit.MetricsWatch).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

from analyze.fleet.adaptive_limit import AdaptiveSettings, MetricsWatch
from analyze.fleet.prometheus import MetricsPageError, first_of, metric_totals
from analyze.fleet.urls import server_root

METRIC_RUNNING = "vllm:num_requests_running"
METRIC_WAITING = "vllm:num_requests_waiting"
# vLLM renamed the KV-cache gauge (gpu_cache_usage_perc -> kv_cache_usage_perc); read either.
METRIC_KV_USAGE = ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc")


@dataclass(frozen=True)
class InstanceStatus:
    """One instance behind a base URL, as its own metrics page says (it answered, so it is up)."""

    name: str
    running: float
    waiting: float
    kv_usage: float | None  # 0..1


@dataclass
class BackendStatus:
    base_url: str
    healthy: bool = False
    models: list[str] = field(default_factory=list)
    running: float | None = None
    waiting: float | None = None
    error: str | None = None
    instances: list[InstanceStatus] = field(default_factory=list)


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


def kv_usage(page: str) -> float | None:
    try:
        return first_of(metric_totals(page), METRIC_KV_USAGE)
    except MetricsPageError:
        return None


async def discover_instances(base_url: str, api_key: str, timeout_s: float = 5.0) -> list[InstanceStatus]:
    """Every instance that answers /metrics through `base_url`, by the name in its response header."""
    settings = AdaptiveSettings(scrape_timeout_s=timeout_s)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(headers=headers) as client:
        watch = MetricsWatch([base_url], settings, client)
        await watch.refresh()
    return [
        InstanceStatus(name, load.running, load.waiting, kv_usage(watch.pages.get(name, "")))
        for name, load in sorted(watch.instances.items())
    ]


def check_fleet(base_url: str, api_key: str, timeout_s: float = 5.0) -> BackendStatus:
    """check_backend, plus the instances behind the URL when its metrics answer."""
    status = check_backend(base_url, api_key, timeout_s)
    if status.error is None and status.running is not None:
        try:
            status.instances = asyncio.run(discover_instances(base_url, api_key, timeout_s))
        except (httpx.HTTPError, ValueError) as exc:
            status.error = f"instances: {type(exc).__name__}: {exc}"
    return status


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def format_status(status: BackendStatus) -> str:
    mark = "✓" if status.healthy else "✗"
    if status.error:
        return f"{mark} {status.base_url}  {status.error}"
    head = f"{mark} {status.base_url}  models={','.join(status.models) or '-'}"
    if len(status.instances) <= 1:  # a single server: its own queue is the backend's
        queue = f"running={_number(status.running)} waiting={_number(status.waiting)}"
        kv = status.instances[0].kv_usage if status.instances else None
        return f"{head}  {queue}" + (f" kv={kv:.0%}" if kv is not None else "")
    running = sum(i.running for i in status.instances)
    waiting = sum(i.waiting for i in status.instances)
    lines = [
        f"{head}  {len(status.instances)} instances behind it: "
        f"running={_number(running)} waiting={_number(waiting)} in all"
    ]
    width = max(len(i.name) for i in status.instances)
    for instance in status.instances:
        kv = "?" if instance.kv_usage is None else f"{instance.kv_usage:.0%}"
        lines.append(
            f"    ✓ {instance.name:<{width}}  running={_number(instance.running)} "
            f"waiting={_number(instance.waiting)} kv={kv}"
        )
    return "\n".join(lines)
