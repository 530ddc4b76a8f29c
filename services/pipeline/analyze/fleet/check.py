"""`analyze check`: for each backend, is it healthy, which models it serves, and its queue from /metrics;
behind a balancer, the same for each instance it reaches.

nginx sends each /metrics scrape to one instance, so one scrape of the base URL is one instance's queue,
not the fleet's. The instances are told apart by the `x-served-by` / `x-upstream-addr` header of each
answer, with the fleet discovery `--concurrency auto` uses (adaptive_limit.MetricsWatch).
Behind the vLLM router (LB=vllm-router) the router's own readiness and per-instance metrics are shown
too (analyze.fleet.router); plain nginx answers their paths 404 and shows none.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp

from analyze.fleet.adaptive_limit import AdaptiveSettings, MetricsWatch
from analyze.fleet.models import read_models
from analyze.fleet.prometheus import KV_USAGE, RUNNING, WAITING, MetricsPageError, first_of, metric_totals
from analyze.fleet.router import (
    ROUTER_HEALTH_PATH,
    ROUTER_METRICS_PATH,
    RouterStatus,
    format_router,
    router_status,
    shown_number,
)
from analyze.fleet.urls import server_root


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
    router: RouterStatus | None = None  # the vLLM router's own view, when the balancer is one


async def check_backend(
    session: aiohttp.ClientSession, base_url: str, api_key: str, timeout_s: float = 5.0
) -> BackendStatus:
    """Health, served models and the queue of one base URL (behind a balancer: of whichever instance)."""
    status = BackendStatus(base_url)
    root = server_root(base_url)
    try:
        async with session.get(f"{root}/health") as health:
            status.healthy = health.status == 200
        models = await read_models(session, base_url, api_key, timeout_s)
        if models.status != 200:
            status.healthy = False
            status.error = models.error or f"HTTP {models.status} on /v1/models"
            return status
        status.models = [m.id for m in models.served or ()]
        async with session.get(f"{root}/metrics") as metrics:
            if metrics.status == 200:
                totals = metric_totals(await metrics.text())
                status.running = first_of(totals, RUNNING)
                status.waiting = first_of(totals, WAITING)
    except MetricsPageError as exc:  # the instance is up; only its load is unknown
        status.error = f"/metrics: {exc}"
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        status.healthy = False
        status.error = f"{type(exc).__name__}: {exc}"
    return status


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, await response.text(errors="replace")


async def read_router(session: aiohttp.ClientSession, base_url: str) -> RouterStatus | None:
    """The router's readiness and per-instance metrics behind `base_url`; None when it is no router."""
    root = server_root(base_url)
    health_code, health_body = await _get(session, root + ROUTER_HEALTH_PATH)
    if health_code == 404:
        return None
    metrics_code, metrics_page = await _get(session, root + ROUTER_METRICS_PATH)
    return router_status(health_code, health_body, metrics_code, metrics_page)


def kv_usage(page: str) -> float | None:
    try:
        return first_of(metric_totals(page), KV_USAGE)
    except MetricsPageError:
        return None


async def discover_instances(
    session: aiohttp.ClientSession, base_url: str, timeout_s: float = 5.0
) -> list[InstanceStatus]:
    """Every instance that answers /metrics through `base_url`, by the name in its response header."""
    watch = MetricsWatch([base_url], AdaptiveSettings(scrape_timeout_s=timeout_s), session)
    await watch.refresh()
    return [
        InstanceStatus(name, load.running, load.waiting, kv_usage(watch.pages.get(name, "")))
        for name, load in sorted(watch.instances.items())
    ]


async def check_fleet_async(base_url: str, api_key: str, timeout_s: float = 5.0) -> BackendStatus:
    """check_backend, plus the instances behind the URL when its metrics answer; one session for all."""
    headers = {"Authorization": f"Bearer {api_key}"}
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
        status = await check_backend(session, base_url, api_key, timeout_s)
        if status.healthy:  # a backend that does not answer says so itself, router or not
            try:
                status.router = await read_router(session, base_url)
            except (aiohttp.ClientError, TimeoutError) as exc:
                status.router = RouterStatus(error=f"{type(exc).__name__}: {exc}")
        if status.error is None and status.running is not None:
            try:
                status.instances = await discover_instances(session, base_url, timeout_s)
            except (aiohttp.ClientError, ValueError) as exc:
                status.error = f"instances: {type(exc).__name__}: {exc}"
    return status


def check_fleet(base_url: str, api_key: str, timeout_s: float = 5.0) -> BackendStatus:
    """`analyze check` of one base URL (synchronous: the command checks the URLs one by one)."""
    return asyncio.run(check_fleet_async(base_url, api_key, timeout_s))


def format_status(status: BackendStatus) -> str:
    router = format_router(status.router) if status.router is not None else []
    return "\n".join([_format_backend(status), *router])


def _format_backend(status: BackendStatus) -> str:
    mark = "✓" if status.healthy else "✗"
    if status.error:
        return f"{mark} {status.base_url}  {status.error}"
    head = f"{mark} {status.base_url}  models={','.join(status.models) or '-'}"
    if len(status.instances) <= 1:  # a single server: its own queue is the backend's
        queue = f"running={shown_number(status.running)} waiting={shown_number(status.waiting)}"
        kv = status.instances[0].kv_usage if status.instances else None
        return f"{head}  {queue}" + (f" kv={kv:.0%}" if kv is not None else "")
    running = sum(i.running for i in status.instances)
    waiting = sum(i.waiting for i in status.instances)
    lines = [
        f"{head}  {len(status.instances)} instances behind it: "
        f"running={shown_number(running)} waiting={shown_number(waiting)} in all"
    ]
    width = max(len(i.name) for i in status.instances)
    for instance in status.instances:
        kv = "?" if instance.kv_usage is None else f"{instance.kv_usage:.0%}"
        lines.append(
            f"    ✓ {instance.name:<{width}}  running={shown_number(instance.running)} "
            f"waiting={shown_number(instance.waiting)} kv={kv}"
        )
    return "\n".join(lines)
