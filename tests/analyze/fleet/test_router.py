"""analyze.fleet.router: the vLLM router's readiness and per-instance metrics, as `analyze check` shows them.

Stand-in: vllm_router_0.1.17_metrics.txt is the page the real router (vllm-router 0.1.17 from PyPI)
served on its Prometheus port in front of two simulators (python -m vllm_sim), after one of them was
stopped; the readiness body below is what the same router answered then. read_router runs against a
local aiohttp server standing for the gate (plain nginx: 404 on the router's paths).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from analyze.fleet.check import BackendStatus, format_status, read_router
from analyze.fleet.router import (
    ROUTER_HEALTH_PATH,
    ROUTER_METRICS_PATH,
    RouterStatus,
    RouterWorker,
    format_router,
    router_status,
)

PAGE = (Path(__file__).parent / "vllm_router_0.1.17_metrics.txt").read_text()
READY = '{"status":"ready","healthy_workers":1,"total_workers":2}'
UP, DOWN = "http://127.0.0.1:18101", "http://127.0.0.1:18102"


def test_the_real_routers_page_gives_each_instance_health_circuit_and_requests() -> None:
    status = router_status(200, READY, 200, PAGE)
    assert (status.ready, status.healthy_workers, status.total_workers, status.error) == (True, 1, 2, None)
    assert status.workers == [
        RouterWorker(UP, healthy=True, circuit="closed", processed=25.0),
        RouterWorker(DOWN, healthy=False, circuit="open", processed=19.0),
    ]
    assert format_router(status) == [
        "    router: ready, 1/2 instances healthy",
        f"      ✓ {UP}  circuit=closed processed=25",
        f"      ✗ {DOWN}  circuit=open processed=19",
    ]


@pytest.mark.parametrize(
    ("code", "body", "expected"),
    [
        (503, '{"status":"not ready","healthy_workers":0,"total_workers":2}', (False, 0, 2)),
        (200, '{"status":"ready","healthy_workers":-1,"total_workers":true}', (True, None, None)),
    ],
)
def test_readiness_counts_are_taken_only_when_they_are_counts(code: int, body: str, expected: tuple) -> None:
    status = router_status(code, body, 200, "")
    assert (status.ready, status.healthy_workers, status.total_workers) == expected
    assert status.error is None and status.workers == []


@pytest.mark.parametrize("body", ["", "<html>502 Bad Gateway</html>", "[1, 2]", '"ready"'])
def test_anything_but_the_readiness_json_is_an_error_not_an_exception(body: str) -> None:
    status = router_status(502, body, 502, "")
    assert not status.ready
    assert status.error == f"{ROUTER_HEALTH_PATH}: HTTP 502, not the router's readiness JSON"


def test_a_malformed_metrics_page_is_named_and_hostile_worker_names_print_on_one_line() -> None:
    broken = router_status(200, READY, 200, 'vllm_router_worker_health{worker="a"} NaNx\n')
    assert broken.error is not None and broken.error.startswith(f"{ROUTER_METRICS_PATH}: not a Prometheus")
    hostile = 'vllm_router_worker_health{worker="x\\n\x1b[31mred' + "y" * 300 + '"} 1\n'
    (worker,) = router_status(200, READY, 200, hostile).workers
    assert "\n" not in worker.url and "\x1b" not in worker.url and len(worker.url) == 120


async def _gate(routes: dict[str, tuple[int, str]]) -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        code, body = routes.get(request.path, (404, "not found"))
        return web.Response(status=code, text=body)

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


async def test_read_router_behind_the_router_and_none_behind_plain_nginx() -> None:
    routes = {ROUTER_HEALTH_PATH: (200, READY), ROUTER_METRICS_PATH: (200, PAGE)}
    async with aiohttp.ClientSession() as session:
        async for base_url in _gate(routes):
            status = await read_router(session, base_url)
            assert status is not None and status.ready and len(status.workers) == 2
        async for base_url in _gate({}):
            assert await read_router(session, base_url) is None


def test_check_prints_the_routers_lines_under_the_backends() -> None:
    plain = BackendStatus("http://h:1/v1", healthy=True, models=["m"], running=1.0, waiting=0.0)
    routed = BackendStatus(**{**plain.__dict__, "router": RouterStatus(ready=False, error="boom")})
    assert format_status(plain) == "✓ http://h:1/v1  models=m  running=1 waiting=0"
    assert format_status(routed).splitlines() == [
        "✓ http://h:1/v1  models=m  running=1 waiting=0",
        "    router: NOT ready, ?/? instances healthy  (boom)",
    ]


def test_a_circuit_state_that_is_no_state_is_shown_not_raised_on() -> None:
    page = "".join(
        f'vllm_router_cb_state{{worker="{w}"}} {v}\n' for w, v in (("a", "NaN"), ("b", "+Inf"), ("c", 7))
    )
    status = router_status(200, READY, 200, page)
    assert status.error is None
    assert [(w.url, w.circuit) for w in status.workers] == [("a", "nan"), ("b", "inf"), ("c", "7")]


async def test_a_backend_that_does_not_answer_shows_no_router_line() -> None:
    from analyze.fleet.check import check_fleet_async
    from vllm_sim.testing import free_port

    status = await check_fleet_async(f"http://127.0.0.1:{free_port()}/v1", "EMPTY", timeout_s=2)
    assert not status.healthy and status.error and status.router is None
    assert "router" not in format_status(status)
