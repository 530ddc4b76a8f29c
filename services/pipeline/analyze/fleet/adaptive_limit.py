"""`--concurrency auto`: an in-flight limit that finds the fleet's capacity by itself.

Two signals steer the limit, whichever is available:

* The backends' Prometheus `/metrics` (vLLM and the simulator both serve it). vLLM queues what it cannot
  schedule, so `num_requests_waiting > 0` means an instance is full. The limit grows while some instance
  has room and shrinks toward a small waiting queue per instance: every instance stays busy, nothing
  waits long. Behind nginx a scrape reaches one instance at a time; the instance is told apart by the
  `x-served-by` / `x-upstream-addr` response header, so the fleet's size is learned, never configured.
* Without metrics: AIMD on the requests' own outcomes, after Inspect AI's adaptive connections
  (slow start: double per round of clean completions; then +5 % per round; x0.8 on 429/503), plus a
  throughput check (stop doubling when a round brings no more throughput) and a back-off when the
  round's mean latency inflates past the lowest seen.

Overload answers (429/503) always cut the limit, whichever signal steers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import aiohttp

from analyze.constants import SERVED_BY_HEADERS
from analyze.fleet.concurrency import FixedLimiter, Limiter, OutcomeKind, RequestOutcome
from analyze.fleet.prometheus import MAX_NUM_SEQS, RUNNING, WAITING, first_of, metric_totals
from analyze.fleet.urls import server_root

# DEBUG: one line per metrics tick; INFO: each change of the limit. Off unless a handler is set (bench).
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdaptiveSettings:
    """Every tunable of the adaptive limit, in one place."""

    min_limit: int = 1
    max_limit: int = 4096
    # Outcome rounds: a round is `max(limit, round_floor)` clean completions (Inspect's "round").
    round_floor: int = 8
    overload_factor: float = 0.8  # Inspect's DECREASE_FACTOR
    steady_increase: float = 0.05  # Inspect's SCALE_UP_PERCENT
    # Doubling stops once a round's throughput grew by less than this over the previous round.
    slow_start_min_gain: float = 0.10
    # Round mean latency above `latency_inflation` x the lowest round mean: we are queueing, back off.
    latency_inflation: float = 1.5
    latency_backoff: float = 0.9
    # Metrics steering.
    scrape_interval_s: float = 0.5
    scrape_timeout_s: float = 2.0
    target_waiting_per_instance: int = 2
    max_shrink_per_tick: float = 0.2
    # A snapshot older than this many ticks is of an instance that left (or that nginx stopped picking).
    stale_after_ticks: int = 8
    # Scrapes of each URL in one tick while new instances keep answering (fleet discovery behind nginx).
    max_scrapes_per_tick: int = 32
    # After this many failed scrapes in a row the metrics signal is given up for the run.
    scrape_failures_allowed: int = 3


# --- metrics page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceLoad:
    running: float
    waiting: float
    capacity: float | None  # max_num_seqs when the server tells it

    @property
    def saturated(self) -> bool:
        """vLLM only queues what it cannot schedule; with capacity known, a full batch also counts."""
        if self.waiting > 0:
            return True
        return self.capacity is not None and self.running >= self.capacity


def parse_metrics(text: str) -> InstanceLoad:
    """Sum the gauges over label sets (one per served model); raises ValueError naming what is missing."""
    totals = metric_totals(text)
    running, waiting = first_of(totals, RUNNING), first_of(totals, WAITING)
    if running is None or waiting is None:
        missing = [names[0] for names, value in ((RUNNING, running), (WAITING, waiting)) if value is None]
        raise ValueError(f"metrics page has no {' or '.join(missing)}")
    return InstanceLoad(running, waiting, first_of(totals, MAX_NUM_SEQS))


def metrics_url(base_url: str) -> str:
    """`http://host:port/v1` -> `http://host:port/metrics` (vLLM serves metrics beside the API)."""
    return f"{server_root(base_url)}/metrics"


# --- decisions (pure: no clock, no I/O) -------------------------------------------------------------


def queue_target_step(
    loads: Iterable[InstanceLoad],
    limit: int,
    in_flight: int,
    was_bound: bool,
    settings: AdaptiveSettings,
    running_at_last_growth: float | None = None,
) -> int:
    """The next limit from one look at every known instance.

    `was_bound`: the limit held requests back since the last look; growing an unused limit proves nothing.
    `running_at_last_growth`: mean running per instance when the limit last grew. If growing did not
    raise it, the slots stay free for another reason (the client cannot send faster): growing more
    would only add client work, so the limit holds.
    """
    loads = list(loads)
    if not loads:
        return limit
    target = settings.target_waiting_per_instance
    room = [load for load in loads if not load.saturated]
    if room:
        if not was_bound:
            return limit
        if running_at_last_growth is not None and mean_running(loads) <= running_at_last_growth:
            return limit
        if all(load.capacity is not None for load in room):
            # fill every free slot plus the target queue in one go
            deficit = sum(load.capacity - load.running - load.waiting + target for load in room)  # type: ignore[operator]
            return limit + max(1, math.ceil(deficit))
        return limit * 2  # capacity unknown: slow start
    if in_flight > limit:
        return limit  # the previous cut has not landed yet; cutting again would overshoot
    excess = sum(load.waiting - target for load in loads)
    if min(load.waiting for load in loads) <= target or excess <= 0:
        return limit
    floor = math.floor(limit * (1 - settings.max_shrink_per_tick))
    return max(floor, limit - math.floor(excess))


def mean_running(loads: list[InstanceLoad]) -> float:
    return sum(load.running for load in loads) / len(loads)


@dataclass
class _Round:
    started_at: float
    completions: int = 0
    latency_sum: float = 0.0


class OutcomeAimd:
    """AIMD on request outcomes alone (no metrics): Inspect's slow start / steady increase / decrease."""

    def __init__(self, settings: AdaptiveSettings, clock: Callable[[], float]) -> None:
        self._settings = settings
        self._clock = clock
        self._slow_start = True
        self._round = _Round(clock())
        self._last_throughput: float | None = None
        self._best_latency: float | None = None
        self._ignore_until_completions = 0

    def on_outcome(self, outcome: RequestOutcome, limit: int, in_flight: int) -> int:
        """The next limit after one finished request."""
        settings = self._settings
        if outcome.kind is OutcomeKind.OVERLOADED:
            self._slow_start = False
            self._round = _Round(self._clock())
            if self._ignore_until_completions > 0:
                self._ignore_until_completions -= 1
                return limit  # one overload episode, one cut
            # requests already in flight were sent under the old limit: let them drain before judging
            self._ignore_until_completions = in_flight
            return math.floor(limit * settings.overload_factor)
        if outcome.kind is not OutcomeKind.OK:
            return limit
        if self._ignore_until_completions > 0:
            self._ignore_until_completions -= 1
            self._round = _Round(self._clock())
            return limit
        current = self._round
        current.completions += 1
        current.latency_sum += outcome.latency_s
        if current.completions < max(limit, settings.round_floor):
            return limit
        return self._end_round(current, limit)

    def _end_round(self, finished: _Round, limit: int) -> int:
        settings = self._settings
        now = self._clock()
        self._round = _Round(now)
        elapsed = max(now - finished.started_at, 1e-9)
        throughput = finished.completions / elapsed
        latency = finished.latency_sum / finished.completions
        previous, self._last_throughput = self._last_throughput, throughput
        self._best_latency = latency if self._best_latency is None else min(self._best_latency, latency)
        if self._slow_start:
            if previous is None or throughput >= previous * (1 + settings.slow_start_min_gain):
                return limit * 2
            self._slow_start = False  # doubling bought nothing: past the knee
            return math.floor(limit * 0.75)
        if latency > self._best_latency * settings.latency_inflation:
            return math.floor(limit * settings.latency_backoff)
        return limit + max(1, round(limit * settings.steady_increase))


# --- the limiter the runner uses ----------------------------------------------------------------------


class MetricsWatch:
    """Latest load of each instance, keyed by who answered the scrape."""

    def __init__(
        self, base_urls: Sequence[str], settings: AdaptiveSettings, client: aiohttp.ClientSession
    ) -> None:
        self._urls = [metrics_url(url) for url in dict.fromkeys(base_urls)]
        self._settings = settings
        self._client = client
        self._loads: dict[str, tuple[int, InstanceLoad]] = {}
        self.pages: dict[str, str] = {}  # the last metrics page of each instance (analyze check reads it)
        self._tick = 0
        self._failures = 0

    @property
    def instances(self) -> dict[str, InstanceLoad]:
        """The latest load of every instance seen in the last `stale_after_ticks` ticks, by name."""
        return {name: load for name, (_tick, load) in self._loads.items()}

    @property
    def usable(self) -> bool:
        return bool(self._urls) and self._failures < self._settings.scrape_failures_allowed

    async def refresh(self) -> list[InstanceLoad]:
        """Scrape every URL (several times when it hides several instances); return this tick's loads."""
        self._tick += 1
        # behind a balancer one URL reaches one instance per request: sample it once per known instance,
        # and again (twice as often) while that turns up instances not seen before, so the whole fleet
        # is known after the first tick rather than one more instance per tick
        rounds = max(1, len(self._loads) // max(1, len(self._urls)) + 1)
        fresh: dict[str, InstanceLoad] = {}
        scrapes = 0
        while True:
            answers = await asyncio.gather(
                *(self._scrape(url) for url in self._urls for _ in range(rounds)), return_exceptions=True
            )
            scrapes += rounds
            new_names = 0
            for answer in answers:
                if not isinstance(answer, BaseException):
                    name, load = answer
                    if name not in self._loads:
                        new_names += 1
                    fresh[name] = load
                    self._loads[name] = (self._tick, load)
            if not new_names or scrapes >= self._settings.max_scrapes_per_tick:
                break
            rounds *= 2
        self._failures = 0 if fresh else self._failures + 1
        oldest = self._tick - self._settings.stale_after_ticks
        self._loads = {name: seen for name, seen in self._loads.items() if seen[0] > oldest}
        # only this tick's answers steer: an older "room" would make the limit grow twice for one gap
        return list(fresh.values())

    async def _scrape(self, url: str) -> tuple[str, InstanceLoad]:
        timeout = aiohttp.ClientTimeout(total=self._settings.scrape_timeout_s)
        async with self._client.get(url, timeout=timeout) as response:
            response.raise_for_status()
            name = next((response.headers[h] for h in SERVED_BY_HEADERS if h in response.headers), url)
            text = await response.text()
        load = parse_metrics(text)
        self.pages[name] = text
        return name, load


class AdaptiveLimiter:
    """A `Limiter` whose `limit` follows the fleet: metrics when reachable, request outcomes otherwise."""

    def __init__(
        self,
        initial: int,
        *,
        base_urls: Sequence[str] = (),
        settings: AdaptiveSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        http_client: aiohttp.ClientSession | None = None,
    ) -> None:
        self.settings = settings or AdaptiveSettings()
        if self.settings.min_limit < 1 or self.settings.max_limit < self.settings.min_limit:
            raise ValueError(
                f"adaptive limit bounds must satisfy 1 <= min_limit <= max_limit, "
                f"got min_limit={self.settings.min_limit}, max_limit={self.settings.max_limit}"
            )
        self.limit = self._clamp(initial)
        self.in_flight = 0
        self.history: list[tuple[float, int, str]] = []  # (time, new limit, reason) for reports
        self._clock = clock
        self._aimd = OutcomeAimd(self.settings, clock)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._bound_since_tick = False
        self._base_urls = list(base_urls)
        self._http_client = http_client
        self._watch_task: asyncio.Task[None] | None = None
        self._watch: MetricsWatch | None = None
        self._running_at_growth: float | None = None

    # -- Limiter protocol --

    async def acquire(self) -> None:
        self._ensure_watch()
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return
        self._bound_since_tick = True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # the permit is counted by whoever resolves the future
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._give_back()
            raise

    def release(self, outcome: RequestOutcome) -> None:
        self._give_back()
        if not self.steered_by_metrics or outcome.kind is OutcomeKind.OVERLOADED:
            self._set_limit(self._aimd.on_outcome(outcome, self.limit, self.in_flight), outcome.kind.value)

    # -- state --

    @property
    def steered_by_metrics(self) -> bool:
        return self._watch is not None and self._watch.usable

    async def aclose(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch_task
            self._watch_task = None

    def _give_back(self) -> None:
        self.in_flight -= 1
        self._grant()

    def _grant(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if waiter.done():
                continue  # cancelled while waiting
            self.in_flight += 1
            waiter.set_result(None)

    def _clamp(self, value: int) -> int:
        return max(self.settings.min_limit, min(self.settings.max_limit, value))

    def _set_limit(self, value: int, reason: str) -> None:
        new = self._clamp(value)
        if new != self.limit:
            log.info("limit %d -> %d (%s), in flight %d", self.limit, new, reason, self.in_flight)
            self.limit = new
            self.history.append((self._clock(), new, reason))
            self._grant()

    # -- metrics steering --

    def _ensure_watch(self) -> None:
        if self._watch_task is None and self._base_urls:
            client = self._http_client or aiohttp.ClientSession()
            self._watch = MetricsWatch(self._base_urls, self.settings, client)
            self._watch_task = asyncio.get_running_loop().create_task(self._watch_loop(client))

    async def _watch_loop(self, client: aiohttp.ClientSession) -> None:
        assert self._watch is not None
        try:
            while self._watch.usable:
                loads = await self._watch.refresh()
                bound, self._bound_since_tick = self._bound_since_tick or bool(self._waiters), False
                if loads:
                    step = queue_target_step(
                        loads, self.limit, self.in_flight, bound, self.settings, self._running_at_growth
                    )
                    if step > self.limit:
                        self._running_at_growth = mean_running(loads)
                    elif step < self.limit:
                        self._running_at_growth = None  # the fleet is full again: growth may resume later
                    log.debug(
                        "tick limit=%d in_flight=%d bound=%s instances=%d running=%s waiting=%s",
                        self.limit, self.in_flight, bound, len(loads),
                        [int(x.running) for x in loads], [int(x.waiting) for x in loads],
                    )  # fmt: skip
                    self._set_limit(step, "metrics")
                await asyncio.sleep(self.settings.scrape_interval_s)
        finally:
            if self._http_client is None:
                await client.close()


def make_limiter(
    concurrency: str,
    *,
    initial: int,
    base_urls: list[str] | None = None,
    http_client: aiohttp.ClientSession | None = None,
) -> Limiter:
    """`auto`: the adaptive limiter from `initial`, watching `base_urls` (scraping with `http_client`,
    when the caller shares one); a number: a FixedLimiter."""
    if concurrency != "auto":
        return FixedLimiter(int(concurrency))
    return AdaptiveLimiter(initial, base_urls=base_urls or [], http_client=http_client)
