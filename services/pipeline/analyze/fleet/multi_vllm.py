"""Client-side balancing over several vLLM instances with the OpenAI client's call shape.

`MultiVLLMClient(urls).chat.completions.create(...)` (sync) and `AsyncMultiVLLMClient` (async) send each
request to the instance with the fewest requests outstanding, skip an instance that just failed for a
cooldown, and fail over to another instance on connection errors, timeouts and 5xx. The shared
`BackendPool` is guarded by a threading lock, so one pool can serve threads and an event loop at once.
Only these clients use the openai SDK (the runner has its own transport), so only this module knows the
SDK's exceptions: `classify_sdk_error` sorts them by the runner's rules (`analyze.fleet.retry`).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import openai

from analyze.fleet.retry import (
    TIMED_OUT,
    ErrorClass,
    classify_error,
    classify_status,
    unknown_error,
    unreachable,
)
from analyze.fleet.urls import normalize_base_url
from analyze.settings import (
    DEFAULT_BACKEND_COOLDOWN_S,
    DEFAULT_TIMEOUT_S,
    NO_API_KEY,
    Settings,
)


def classify_sdk_error(exc: BaseException) -> ErrorClass:
    """An openai SDK error, sorted as `classify_error` sorts the runner transport's."""
    if isinstance(exc, openai.APITimeoutError):  # a subclass of APIConnectionError: test it first
        return TIMED_OUT
    if isinstance(exc, openai.APIConnectionError):
        return unreachable(exc)
    if isinstance(exc, openai.APIStatusError):
        return classify_status(exc.status_code, exc.message, exc.body, exc.response.headers)
    return unknown_error(exc)


Classifier = Callable[[BaseException], ErrorClass]


@dataclass
class Backend:
    base_url: str
    api_key: str
    timeout_s: float
    outstanding: int = 0
    served: int = 0
    failures: int = 0
    cooldown_until: float = 0.0
    # False while a readiness probe says it is not up yet (analyze.fleet.readiness): it gets no requests.
    ready: bool = True
    _sync: openai.OpenAI | None = field(default=None, repr=False)
    _async: openai.AsyncOpenAI | None = field(default=None, repr=False)

    def _client_options(self) -> dict[str, Any]:
        # max_retries=0: the runner retries itself so each attempt reaches the limiter and may move on.
        return {
            "base_url": self.base_url,
            "api_key": self.api_key,
            "timeout": self.timeout_s,
            "max_retries": 0,
        }

    @property
    def sync_client(self) -> openai.OpenAI:
        if self._sync is None:
            self._sync = openai.OpenAI(**self._client_options())
        return self._sync

    @property
    def async_client(self) -> openai.AsyncOpenAI:
        if self._async is None:
            self._async = openai.AsyncOpenAI(**self._client_options())
        return self._async


class BackendPool:
    """Least-outstanding-requests choice among instances not cooling down after a failure."""

    def __init__(
        self,
        base_urls: list[str],
        *,
        api_key: str = NO_API_KEY,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        cooldown_s: float = DEFAULT_BACKEND_COOLDOWN_S,
    ) -> None:
        if not base_urls:
            raise ValueError("at least one base URL is needed")
        self.backends = [Backend(normalize_base_url(url), api_key, timeout_s) for url in base_urls]
        self.cooldown_s = cooldown_s
        self._lock = threading.Lock()
        self._tiebreak = itertools.count()

    def acquire(self) -> Backend:
        with self._lock:
            now = time.monotonic()
            # Not up yet (probed): skipped while any other is up; a request then still goes somewhere.
            up = [b for b in self.backends if b.ready] or self.backends
            healthy = [b for b in up if b.cooldown_until <= now]
            # When every instance is cooling down, try the one that recovers first rather than stall.
            pool = healthy or [min(up, key=lambda b: b.cooldown_until)]
            low = min(b.outstanding for b in pool)
            tied = [b for b in pool if b.outstanding == low]
            chosen = tied[next(self._tiebreak) % len(tied)]
            chosen.outstanding += 1
            return chosen

    def release(self, backend: Backend, *, failed: bool) -> None:
        with self._lock:
            backend.outstanding -= 1
            if failed:
                backend.failures += 1
                backend.cooldown_until = time.monotonic() + self.cooldown_s
            else:
                backend.served += 1
                backend.cooldown_until = 0.0

    @contextmanager
    def lease(self, classify: Classifier = classify_error) -> Iterator[Backend]:
        """Hold one backend for one request; an instance-level failure puts it on cooldown.

        `classify`: the rules for the caller's HTTP stack (the runner's transport by default)."""
        backend = self.acquire()
        failed = False
        try:
            yield backend
        except Exception as exc:
            failed = classify(exc).backend_fault
            raise
        finally:
            self.release(backend, failed=failed)

    @property
    def base_urls(self) -> list[str]:
        return [b.base_url for b in self.backends]


class _Failover:
    """Up to one attempt per instance: an instance-level failure moves on to the next instance."""

    def __init__(self, pool: BackendPool) -> None:
        self._pool = pool
        self._left = len(pool.backends)

    @contextmanager
    def attempt(self) -> Iterator[Backend]:
        """Leaving the block with a fail-over error while instances remain swallows it: loop again."""
        self._left -= 1
        try:
            with self._pool.lease(classify_sdk_error) as backend:
                yield backend
        except openai.OpenAIError as exc:
            if self._left <= 0 or not classify_sdk_error(exc).backend_fault:
                raise


class _SyncCompletions:
    def __init__(self, pool: BackendPool) -> None:
        self._pool = pool

    def create(self, **kwargs: Any) -> Any:
        failover = _Failover(self._pool)
        while True:
            with failover.attempt() as backend:
                return backend.sync_client.chat.completions.create(**kwargs)


class _AsyncCompletions:
    def __init__(self, pool: BackendPool) -> None:
        self._pool = pool

    async def create(self, **kwargs: Any) -> Any:
        failover = _Failover(self._pool)
        while True:
            with failover.attempt() as backend:
                return await backend.async_client.chat.completions.create(**kwargs)


class _Chat:
    def __init__(self, completions: _SyncCompletions | _AsyncCompletions) -> None:
        self.completions = completions


class _BalancedClient:
    _completions_type: type[_SyncCompletions] | type[_AsyncCompletions]

    def __init__(
        self,
        base_urls: list[str],
        *,
        api_key: str = NO_API_KEY,
        timeout: float = DEFAULT_TIMEOUT_S,
        cooldown_s: float = DEFAULT_BACKEND_COOLDOWN_S,
        pool: BackendPool | None = None,
    ) -> None:
        self.pool = pool or BackendPool(base_urls, api_key=api_key, timeout_s=timeout, cooldown_s=cooldown_s)
        self.chat = _Chat(self._completions_type(self.pool))

    @property
    def base_urls(self) -> list[str]:
        return self.pool.base_urls


class MultiVLLMClient(_BalancedClient):
    """Synchronous, OpenAI-shaped client over several instances: `client.chat.completions.create(...)`."""

    _completions_type = _SyncCompletions

    def to_async(self) -> AsyncMultiVLLMClient:
        """An async client sharing this pool (same outstanding counts and cooldowns)."""
        return AsyncMultiVLLMClient(self.base_urls, pool=self.pool)


class AsyncMultiVLLMClient(_BalancedClient):
    """Asynchronous twin of MultiVLLMClient: `await client.chat.completions.create(...)`."""

    _completions_type = _AsyncCompletions


def create_multi_vllm_client(
    ports: list[int] | None = None, host: str | None = None, *, settings: Settings | None = None
) -> MultiVLLMClient:
    """The seed's helper: one instance per port on `host` (defaults from VLLM_PORTS / VLLM_HOST)."""
    settings = settings or Settings()
    host = host or settings.vllm_host
    ports = list(ports) if ports is not None else settings.vllm_ports
    return MultiVLLMClient(
        [f"http://{host}:{port}/v1" for port in ports],
        api_key=settings.api_key,
        timeout=settings.timeout_s,
        cooldown_s=settings.backend_cooldown_s,
    )


def pool_from_client(client: Any, settings: Settings) -> BackendPool:
    """Accept what the seed's run_pipeline accepted: a MultiVLLMClient or an OpenAI client (sync or async)."""
    if isinstance(client, _BalancedClient):
        return client.pool
    if isinstance(client, openai.OpenAI | openai.AsyncOpenAI):
        return BackendPool(
            [str(client.base_url)],
            api_key=str(client.api_key),
            timeout_s=settings.timeout_s,
            cooldown_s=settings.backend_cooldown_s,
        )
    raise TypeError(f"client must be a MultiVLLMClient or an OpenAI client, got {type(client).__name__}")
