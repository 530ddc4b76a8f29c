"""The adaptive in-flight limit: outcome AIMD, metrics steering, bounds, and the permit bookkeeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from analyze.fleet.adaptive_limit import (
    AdaptiveLimiter,
    AdaptiveSettings,
    InstanceLoad,
    MetricsWatch,
    OutcomeAimd,
    metrics_url,
    parse_metrics,
    queue_target_step,
)
from analyze.fleet.concurrency import Limiter, OutcomeKind, RequestOutcome

OK = RequestOutcome(OutcomeKind.OK, latency_s=1.0)


@contextlib.asynccontextmanager
async def metrics_server(
    answer: Callable[[web.Request], web.Response],
) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """A loopback server whose every GET is `answer(request)` (a balancer's /metrics): its base URL, and a
    session to scrape it with."""

    async def handle(request: web.Request) -> web.Response:
        return answer(request)

    app = web.Application()
    app.router.add_get("/{path:.*}", handle)
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as client:
        yield str(server.make_url("/v1")), client


OVERLOADED = RequestOutcome(OutcomeKind.OVERLOADED, latency_s=0.1)

METRICS_PAGE = """\
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="judge"} 60.0
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="judge"} 3.0
vllm:num_requests_waiting_by_reason{reason="capacity"} 99.0
vllm_sim:max_num_seqs 64
vllm_sim:busy_slot_seconds_total 1234.5
"""


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def finish_round(aimd: OutcomeAimd, clock: FakeClock, limit: int, seconds: float, latency_s: float) -> int:
    """Feed one round (`limit` clean completions over `seconds`); return the limit it decides."""
    new = limit
    for i in range(max(limit, AdaptiveSettings().round_floor)):
        clock.now += seconds / limit
        new = aimd.on_outcome(RequestOutcome(OutcomeKind.OK, latency_s), limit, in_flight=limit)
        if i < limit - 1:
            assert new == limit, "the limit must not move inside a round"
    return new


# --- metrics page ---


def test_parse_metrics_reads_running_waiting_and_capacity() -> None:
    load = parse_metrics(METRICS_PAGE)
    assert load == InstanceLoad(running=60.0, waiting=3.0, capacity=64.0)
    assert load.saturated


def test_parse_metrics_sums_label_sets_and_capacity_is_optional() -> None:
    page = (
        'vllm:num_requests_running{model_name="a"} 2\n'
        'vllm:num_requests_running{model_name="b"} 5\n'
        'vllm:num_requests_waiting{model_name="a"} 0\n'
    )
    load = parse_metrics(page)
    assert load == InstanceLoad(running=7.0, waiting=0.0, capacity=None)
    assert not load.saturated


def test_parse_metrics_names_the_missing_gauge() -> None:
    with pytest.raises(ValueError, match="vllm:num_requests_waiting"):
        parse_metrics("vllm:num_requests_running 1\n")


def test_parse_metrics_names_the_bad_line() -> None:
    with pytest.raises(ValueError, match=r"line 2: .*NaNx"):
        parse_metrics("vllm:num_requests_running 1\nvllm:num_requests_waiting NaNx\n")


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://h:8001/v1", "http://h:8001/metrics"),
        ("http://h:8001/v1/", "http://h:8001/metrics"),
        ("http://nginx:8080", "http://nginx:8080/metrics"),
    ],
)
def test_metrics_url_sits_beside_the_api(base_url: str, expected: str) -> None:
    assert metrics_url(base_url) == expected


# --- metrics steering ---


def test_queue_target_fills_free_slots_plus_target_in_one_step() -> None:
    settings = AdaptiveSettings(target_waiting_per_instance=2)
    loads = [InstanceLoad(64, 5, 64), InstanceLoad(40, 0, 64)]
    # the second instance has 24 free slots; the target queue adds 2
    assert queue_target_step(loads, 100, 100, was_bound=True, settings=settings) == 126


def test_queue_target_does_not_grow_a_limit_that_held_nothing_back() -> None:
    loads = [InstanceLoad(10, 0, 64)]
    assert queue_target_step(loads, 100, 10, was_bound=False, settings=AdaptiveSettings()) == 100


def test_queue_target_stops_growing_when_growth_filled_no_slot() -> None:
    """Free slots that stay free after a growth mean the client is the bottleneck, not the limit."""
    loads = [InstanceLoad(40, 0, 64), InstanceLoad(40, 0, 64)]
    settings = AdaptiveSettings()
    assert queue_target_step(loads, 200, 200, True, settings, running_at_last_growth=40.0) == 200
    assert queue_target_step(loads, 200, 200, True, settings, running_at_last_growth=30.0) > 200


def test_queue_target_doubles_when_capacity_is_unknown() -> None:
    loads = [InstanceLoad(10, 0, None), InstanceLoad(30, 4, None)]
    assert queue_target_step(loads, 40, 40, was_bound=True, settings=AdaptiveSettings()) == 80


def test_queue_target_shrinks_toward_the_target_queue() -> None:
    settings = AdaptiveSettings(target_waiting_per_instance=2, max_shrink_per_tick=0.5)
    loads = [InstanceLoad(64, 10, 64), InstanceLoad(64, 6, 64)]
    # excess over the target: (10 - 2) + (6 - 2) = 12
    assert queue_target_step(loads, 150, 150, was_bound=True, settings=settings) == 138


def test_queue_target_shrinks_at_most_the_tick_fraction() -> None:
    settings = AdaptiveSettings(target_waiting_per_instance=1, max_shrink_per_tick=0.2)
    loads = [InstanceLoad(64, 500, 64)]
    assert queue_target_step(loads, 100, 100, was_bound=True, settings=settings) == 80


def test_queue_target_waits_for_the_previous_cut_to_land() -> None:
    loads = [InstanceLoad(64, 50, 64)]
    assert queue_target_step(loads, 80, 100, was_bound=True, settings=AdaptiveSettings()) == 80


def test_queue_target_holds_when_every_queue_is_near_target() -> None:
    settings = AdaptiveSettings(target_waiting_per_instance=2)
    loads = [InstanceLoad(64, 2, 64), InstanceLoad(64, 9, 64)]
    assert queue_target_step(loads, 150, 150, was_bound=True, settings=settings) == 150


# --- outcome AIMD ---


def test_slow_start_doubles_while_throughput_grows() -> None:
    clock = FakeClock()
    aimd = OutcomeAimd(AdaptiveSettings(), clock)
    assert finish_round(aimd, clock, limit=8, seconds=1.0, latency_s=1.0) == 16
    # twice the requests in the same time: throughput doubled, keep doubling
    assert finish_round(aimd, clock, limit=16, seconds=1.0, latency_s=1.0) == 32


def test_slow_start_ends_when_doubling_brings_no_throughput() -> None:
    clock = FakeClock()
    aimd = OutcomeAimd(AdaptiveSettings(), clock)
    assert finish_round(aimd, clock, limit=16, seconds=1.0, latency_s=1.0) == 32
    # 32 completions took 2 s: the same 16/s, so the knee is behind us; step back by a quarter
    assert finish_round(aimd, clock, limit=32, seconds=2.0, latency_s=2.0) == 24
    # steady state now: +5 % per round while latency stays near the best seen
    assert finish_round(aimd, clock, limit=24, seconds=1.5, latency_s=1.2) == 25


def test_latency_inflation_backs_off() -> None:
    clock = FakeClock()
    aimd = OutcomeAimd(AdaptiveSettings(latency_inflation=1.5, latency_backoff=0.9), clock)
    finish_round(aimd, clock, limit=16, seconds=1.0, latency_s=1.0)
    finish_round(aimd, clock, limit=32, seconds=2.0, latency_s=1.0)  # leaves slow start -> 24
    assert finish_round(aimd, clock, limit=40, seconds=2.5, latency_s=1.6) == 36


def test_overload_cuts_once_per_episode() -> None:
    clock = FakeClock()
    aimd = OutcomeAimd(AdaptiveSettings(overload_factor=0.8), clock)
    assert aimd.on_outcome(OVERLOADED, 100, in_flight=3) == 80
    # the three requests still in flight were sent under the old limit: no second cut for them
    for _ in range(3):
        assert aimd.on_outcome(OVERLOADED, 80, in_flight=2) == 80
    assert aimd.on_outcome(OVERLOADED, 80, in_flight=2) == 64


def test_errors_do_not_move_the_limit() -> None:
    clock = FakeClock()
    aimd = OutcomeAimd(AdaptiveSettings(), clock)
    for _ in range(50):
        assert aimd.on_outcome(RequestOutcome(OutcomeKind.ERROR, 0.1), 10, in_flight=10) == 10


# --- the limiter ---


def test_limiter_satisfies_the_runner_protocol() -> None:
    assert isinstance(AdaptiveLimiter(initial=4), Limiter)


def test_bounds_are_checked_and_respected() -> None:
    with pytest.raises(ValueError, match="min_limit"):
        AdaptiveLimiter(initial=4, settings=AdaptiveSettings(min_limit=0))
    limiter = AdaptiveLimiter(initial=1000, settings=AdaptiveSettings(min_limit=2, max_limit=10))
    assert limiter.limit == 10
    for _ in range(30):
        limiter.in_flight += 1
        limiter.release(OVERLOADED)
        limiter._aimd._ignore_until_completions = 0  # each cut is its own episode
    assert limiter.limit == 2


async def test_limiter_grows_to_max_and_never_past_it() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(initial=2, settings=AdaptiveSettings(max_limit=20), clock=clock)
    seen = set()
    for _ in range(200):
        await limiter.acquire()
        clock.now += 1 / limiter.limit  # an unsaturated fleet: throughput follows the limit
        limiter.release(OK)
        seen.add(limiter.limit)
    assert max(seen) == 20
    assert limiter.limit == 20


async def test_limiter_holds_requests_beyond_the_limit_and_wakes_them_on_release() -> None:
    limiter = AdaptiveLimiter(initial=2, settings=AdaptiveSettings(max_limit=2))
    await limiter.acquire()
    await limiter.acquire()
    third = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert not third.done()
    limiter.release(OK)
    await asyncio.wait_for(third, 1)
    assert limiter.in_flight == 2


async def test_cancelled_waiter_gives_no_permit_away() -> None:
    limiter = AdaptiveLimiter(initial=1, settings=AdaptiveSettings(max_limit=1))
    await limiter.acquire()
    waiting = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    limiter.release(OK)
    assert limiter.in_flight == 0
    await asyncio.wait_for(limiter.acquire(), 1)
    assert limiter.in_flight == 1


async def test_limiter_steers_by_a_metrics_page_behind_a_balancer(caplog: pytest.LogCaptureFixture) -> None:
    """One URL answering for two instances (told apart by x-served-by), one with free slots."""
    caplog.set_level(logging.DEBUG, logger="analyze.fleet.adaptive_limit")
    pages = {
        "vllm-1": "vllm:num_requests_running 64\nvllm:num_requests_waiting 1\nvllm_sim:max_num_seqs 64\n",
        "vllm-2": "vllm:num_requests_running 54\nvllm:num_requests_waiting 0\nvllm_sim:max_num_seqs 64\n",
    }
    calls: list[str] = []

    def answer(request: web.Request) -> web.Response:
        assert request.path == "/metrics"
        name = f"vllm-{len(calls) % 2 + 1}"
        calls.append(name)
        return web.Response(text=pages[name], headers={"x-served-by": name})

    settings = AdaptiveSettings(scrape_interval_s=0.01, target_waiting_per_instance=2)
    async with metrics_server(answer) as (base_url, client):
        limiter = AdaptiveLimiter(initial=4, base_urls=[base_url], settings=settings, http_client=client)
        for _ in range(4):
            await limiter.acquire()
        held = asyncio.create_task(limiter.acquire())  # the limit holds this one back
        await asyncio.wait_for(held, 2)
        await limiter.aclose()
    assert limiter.steered_by_metrics
    assert {"vllm-1", "vllm-2"} <= set(calls)
    # vllm-2's 10 free slots plus the target queue of 2
    assert limiter.history[0][1:] == (16, "metrics")
    # the trace bench/harness/traced_cli.py reads: every tick's loads, then each change of the limit
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("tick limit=4 in_flight=4 bound=True instances=2") for m in messages)
    assert "limit 4 -> 16 (metrics), in flight 4" in messages


async def test_one_tick_learns_every_instance_behind_a_round_robin_balancer() -> None:
    """nginx hands each scrape to the next of 4 instances: the first tick keeps asking until none is new."""
    scrapes: list[str] = []

    def round_robin(request: web.Request) -> web.Response:
        name = f"vllm-{len(scrapes) % 4 + 1}"
        scrapes.append(name)
        page = "vllm:num_requests_running 10\nvllm:num_requests_waiting 0\n"
        return web.Response(text=page, headers={"x-upstream-addr": name})

    async with metrics_server(round_robin) as (base_url, client):
        watch = MetricsWatch([base_url], AdaptiveSettings(), client)
        loads = await watch.refresh()
    assert len(loads) == 4
    # rounds of 1, 2 and 4 scrapes find them; one round of 8 finds nobody new and ends the tick
    assert len(scrapes) == 15


async def test_fleet_discovery_is_bounded_per_tick() -> None:
    """Every scrape answered by a new name (a misbehaving balancer) must not loop forever."""
    scrapes: list[int] = []

    def always_new(request: web.Request) -> web.Response:
        scrapes.append(1)
        page = "vllm:num_requests_running 1\nvllm:num_requests_waiting 0\n"
        return web.Response(text=page, headers={"x-served-by": f"pod-{len(scrapes)}"})

    settings = AdaptiveSettings(max_scrapes_per_tick=6)
    async with metrics_server(always_new) as (base_url, client):
        await MetricsWatch([base_url], settings, client).refresh()
    assert len(scrapes) < 2 * settings.max_scrapes_per_tick


async def test_unreachable_metrics_fall_back_to_outcomes() -> None:
    def refuse(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no metrics here")

    settings = AdaptiveSettings(scrape_interval_s=0.001, scrape_failures_allowed=2, max_limit=50)
    async with metrics_server(refuse) as (base_url, client):
        limiter = AdaptiveLimiter(initial=2, base_urls=[base_url], settings=settings, http_client=client)
        await limiter.acquire()
        for _ in range(20):
            if not limiter.steered_by_metrics:
                break
            await asyncio.sleep(0.01)
        assert not limiter.steered_by_metrics
        limiter.release(OK)
        for _ in range(100):
            await limiter.acquire()
            limiter.release(OK)
        await limiter.aclose()
    assert limiter.limit > 2
