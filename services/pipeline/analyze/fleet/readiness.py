"""Waiting for the fleet: a backend is up once `/v1/models` lists the judge model.

vLLM loads a large model for minutes; meanwhile its port is closed (nginx answers 502) or it answers
503. nginx's own health check says nothing about the instances behind it. So a run first waits until
one backend lists the judge model (`--wait-ready`), backends that come up later join the pool, and a
502/503/refused answer in the middle of a run is checked with the same probe: from a backend that is
not up, the attempt is waited out instead of counted against the task's retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp

from analyze.fleet.models import ModelsReading, read_models, served_models
from analyze.fleet.multi_vllm import Backend, BackendPool
from analyze.progress import Console


class ProbeState(enum.Enum):
    UP = "up"  # lists the judge model
    STARTING = "starting"  # no answer, 502/503/504, or a timeout: may be loading
    REFUSED = "refused"  # up, but will not serve the judge model to us: a setting is wrong


@dataclass(frozen=True)
class Probe:
    state: ProbeState
    detail: str  # why not up, for the console and errors
    models: tuple[str, ...] = ()


class NotServedError(RuntimeError):
    """A backend is up but refuses us or does not serve the judge model: waiting cannot help."""


class FleetNotReadyError(RuntimeError):
    """No backend listed the judge model within the wait."""


def classify_models_answer(status: int, payload: object, model: str | None) -> Probe:
    """The readiness verdict for one `/v1/models` answer (`payload`: its decoded JSON, if any).

    5xx, 408 and 429 may pass (loading, restarting, busy); any other 4xx, or a list without the judge
    model, will not: vLLM serves the model it was started with, under the key it was started with.
    """
    if status >= 500 or status in (408, 429):
        return Probe(ProbeState.STARTING, f"HTTP {status}")
    if status != 200:
        return Probe(ProbeState.REFUSED, f"HTTP {status} on /v1/models")
    served = served_models(payload)
    if served is None:
        return Probe(ProbeState.REFUSED, "/v1/models answer has no model list")
    models = tuple(m.id for m in served)
    if model is None:
        if models:
            return Probe(ProbeState.UP, "", models)
        return Probe(ProbeState.STARTING, "lists no model yet")
    if model in models:
        return Probe(ProbeState.UP, "", models)
    return Probe(ProbeState.REFUSED, f"serves {', '.join(models) or 'no model'}, not {model!r}", models)


def classify_reading(reading: ModelsReading, model: str | None) -> Probe:
    """No answer at all (refused, reset, timed out) may pass too: the server may not be listening yet."""
    if reading.status is None:
        return Probe(ProbeState.STARTING, reading.error or "no answer")
    return classify_models_answer(reading.status, reading.payload, model)


class Readiness:
    """Which backends of `pool` are up; waits for the first one and keeps probing the others."""

    def __init__(
        self,
        pool: BackendPool,
        model: str | None,
        console: Console,
        *,
        wait_s: float,
        poll_s: float,
        probe_timeout_s: float,
        progress_s: float,
        clock: Callable[[], float] = time.monotonic,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        self.pool = pool
        self.model = model
        self.console = console
        self.wait_s = wait_s
        self.poll_s = poll_s
        self.probe_timeout_s = probe_timeout_s
        self.progress_s = progress_s
        self._clock = clock
        self._http = http  # shared with the run's other control requests; else made on first probe
        self._own_http = http is None
        self._last: dict[str, Probe] = {}
        self.readings: dict[str, ModelsReading] = {}  # each backend's latest /v1/models, by base URL
        self._probing: dict[str, asyncio.Task[Probe]] = {}
        self._any_up = asyncio.Event()
        self._watch: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """`--wait-ready 0`: no probes at all; a 503 counts as a failed attempt like any other."""
        return self.wait_s > 0

    # --- probes ---

    async def _probe_once(self, backend: Backend) -> Probe:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        reading = await read_models(self._http, backend.base_url, backend.api_key, self.probe_timeout_s)
        self.readings[backend.base_url] = reading
        result = classify_reading(reading, self.model)
        self._last[backend.base_url] = result
        if result.state is ProbeState.UP and self.model is None:
            self.model = result.models[0]  # the judge model defaults to the first one served
        self._mark(backend, result.state is not ProbeState.STARTING)
        return result

    def _probe(self, backend: Backend) -> asyncio.Task[Probe]:
        """One probe per backend at a time: tasks failing together share it."""
        running = self._probing.get(backend.base_url)
        if running is None or running.done():
            running = asyncio.ensure_future(self._probe_once(backend))
            self._probing[backend.base_url] = running
        return running

    def _mark(self, backend: Backend, up: bool) -> None:
        if up and not backend.ready:
            self.console.say("ready_join", url=backend.base_url)
        backend.ready = up
        if any(b.ready for b in self.pool.backends):
            self._any_up.set()
        else:
            self._any_up.clear()

    async def _probe_all(self, backends: list[Backend]) -> list[Probe]:
        return list(await asyncio.gather(*(self._probe(b) for b in backends)))

    def start_readings(self) -> list[ModelsReading] | None:
        """After `wait_first`: the /v1/models reading of every backend in pool order (the judge target is
        derived from it, not from a second request); None when disabled or not every backend was read."""
        if not self.enabled or any(b.base_url not in self.readings for b in self.pool.backends):
            return None
        return [self.readings[b.base_url] for b in self.pool.backends]

    # --- waiting ---

    async def wait_first(self) -> str | None:
        """Until one backend lists the judge model (or, without one, any model); returns that model.

        Raises NotServedError at once when a backend is up but refuses us or serves another model, and
        FleetNotReadyError after `wait_s` seconds of no backend up.
        """
        started = self._clock()
        announced = False
        next_progress = started + self.progress_s
        while True:
            probes = await self._probe_all(self.pool.backends)
            refused = [
                (b, p)
                for b, p in zip(self.pool.backends, probes, strict=True)
                if p.state is ProbeState.REFUSED
            ]
            if refused:
                raise NotServedError(
                    "; ".join(f"{b.base_url}: {p.detail}" for b, p in refused) + self._hint(refused[0][1])
                )
            up = sum(p.state is ProbeState.UP for p in probes)
            elapsed = self._clock() - started
            if up:
                if announced:
                    self.console.say("ready", up=up, n=len(probes), model=self.model, seconds=round(elapsed))
                return self.model
            if not announced:
                self.console.say(
                    "wait_ready", model=self.model or "?", n=len(probes), limit=round(self.wait_s)
                )
                announced = True
            if elapsed >= self.wait_s:
                raise FleetNotReadyError(self._not_ready_message(elapsed))
            if self._clock() >= next_progress:
                self.console.say("wait_ready_progress", seconds=round(elapsed), details=self._details())
                next_progress += self.progress_s
            await asyncio.sleep(min(self.poll_s, max(0.0, self.wait_s - elapsed)))

    async def wait_out(self, base_url: str) -> bool:
        """After a 502/503/refused attempt on `base_url`: True if it is not up (the attempt is not to
        be counted; returns once some backend is up), False if it is up (a real failure)."""
        backend = next((b for b in self.pool.backends if b.base_url == base_url), None)
        if not self.enabled or backend is None:
            return False
        if backend.ready:
            result = await self._probe(backend)
            if result.state is not ProbeState.STARTING:
                return False
        try:
            await asyncio.wait_for(self._any_up.wait(), self.wait_s)
        except TimeoutError as exc:
            raise FleetNotReadyError(self._not_ready_message(self.wait_s)) from exc
        return True

    async def _watch_loop(self) -> None:
        """Keep probing backends that are not up, so they join (or rejoin) the pool."""
        while True:
            await asyncio.sleep(self.poll_s)
            down = [b for b in self.pool.backends if not b.ready]
            if down:
                await self._probe_all(down)

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[Readiness]:
        if self.enabled:
            self._watch = asyncio.create_task(self._watch_loop())
        try:
            yield self
        finally:
            if self._watch is not None:
                self._watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._watch
            await self.aclose()

    async def aclose(self) -> None:
        for task in self._probing.values():
            task.cancel()
        if self._http is not None and self._own_http:
            await self._http.close()
            self._http = None

    # --- messages ---

    def _details(self) -> str:
        return "; ".join(
            f"{b.base_url}: {self._last[b.base_url].detail}"
            for b in self.pool.backends
            if b.base_url in self._last
        )

    def _not_ready_message(self, elapsed: float) -> str:
        target = f"the judge model {self.model!r}" if self.model else "a model"
        return (
            f"no backend listed {target} on /v1/models within {elapsed:.0f} s ({self._details()}); "
            "is the fleet up (make status)? Wait longer with --wait-ready SECONDS"
        )

    @staticmethod
    def _hint(probe: Probe) -> str:
        if probe.detail.startswith(("HTTP 401", "HTTP 403")):
            return " -- the API key is refused: set VLLM_API_KEY / ANALYZE_API_KEY to the fleet's key"
        if probe.models:
            return " -- pass the served name with --model (ANALYZE_MODEL, SERVED_MODEL_NAME in .env)"
        return " -- check the base URL (--base-url, ANALYZE_BASE_URL)"
