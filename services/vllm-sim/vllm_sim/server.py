"""The aiohttp application: OpenAI endpoints, /health, /metrics, /admin/config."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import itertools
import json
import math
import os
import random
import secrets
import sys
import time
from typing import Any

from aiohttp import web

from vllm_sim.chat_request import ChatRequest, parse_chat_request
from vllm_sim.completion import Completion, make_completion
from vllm_sim.errors import ApiError, context_length_error, exceeds_context
from vllm_sim.faults import Fault, pick_fault
from vllm_sim.latency import decode_seconds, ttft_seconds
from vllm_sim.metrics import SimMetrics
from vllm_sim.responses import chat_completion, chunk, model_list, usage
from vllm_sim.scheduler import QueueFull, SlotPool
from vllm_sim.settings import (
    CHARS_PER_TOKEN,
    CRASH_EXIT_CODE,
    CRASH_FLUSH_DELAY_S,
    RETRY_AFTER_SECONDS,
    STREAM_MAX_TOKENS_PER_CHUNK,
    STREAM_MIN_CHUNK_INTERVAL_S,
    ConfigError,
    SimConfig,
)

SERVED_BY = "x-served-by"
MAX_BODY_BYTES = 64 * 1024 * 1024
SHUTDOWN_TIMEOUT_S = 1.0  # hung requests must not hold up `docker stop`
MASKED_KEY = "***"  # what GET/POST /admin/config show for a set API key
_NO_CACHE = {"Cache-Control": "no-cache"}
_RETRY_AFTER = {"Retry-After": str(RETRY_AFTER_SECONDS)}


class SimState:
    """Everything one simulator process shares between requests."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.pool = SlotPool(config.max_num_seqs, config.max_waiting)
        self.metrics = SimMetrics()
        self.rng = random.Random(config.seed)  # jitter and fault draws
        self.created = int(time.time())
        self.ready_at = time.monotonic() + config.startup_delay
        self.finished = 0
        self._ids = itertools.count(1)
        self._id_prefix = secrets.token_hex(4)

    def is_ready(self) -> bool:
        return time.monotonic() >= self.ready_at

    def next_id(self) -> str:
        return f"chatcmpl-{self._id_prefix}{next(self._ids):x}"

    def reconfigure(self, changes: dict[str, Any]) -> SimConfig:
        """Apply a partial runtime update; nothing changes if any field is invalid."""
        new = self.config.updated(changes, runtime_only=True)
        self.config = new
        self.pool.resize(new.max_num_seqs, new.max_waiting)
        if "seed" in changes:
            self.rng.seed(new.seed)
        if "startup_delay" in changes:  # re-arm: "unready for N seconds from now"
            self.ready_at = time.monotonic() + new.startup_delay
        return new

    def crash_due(self) -> bool:
        self.finished += 1
        return 0 < self.config.crash_after <= self.finished


STATE = web.AppKey("state", SimState)


def json_response(
    state: SimState, body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    all_headers = {SERVED_BY: state.config.name}
    if headers:
        all_headers.update(headers)
    return web.Response(
        body=json.dumps(body).encode(), status=status, content_type="application/json", headers=all_headers
    )


def error_response(state: SimState, exc: ApiError) -> web.Response:
    return json_response(state, exc.body(), exc.status, exc.headers)


def has_key(request: web.Request, key: str) -> bool:
    """The request carries `Authorization: Bearer KEY` (compared in constant time)."""
    sent = request.headers.get("Authorization", "").encode()
    return hmac.compare_digest(sent, f"Bearer {key}".encode())


def from_loopback(request: web.Request) -> bool:
    """The peer is 127.0.0.0/8 or ::1 (also as ::ffff:127.x); a unix socket or unknown peer is not."""
    try:
        addr = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_loopback


def require_admin(request: web.Request) -> None:
    """/admin/*: the API key when one is set (as /v1 takes it), else only a client on loopback."""
    key = request.app[STATE].config.api_key
    if key:
        if not has_key(request, key):
            raise ApiError(401, "Unauthorized: /admin needs 'Authorization: Bearer KEY' (the API key)")
    elif not from_loopback(request):
        raise ApiError(403, "Forbidden: without an API key, /admin answers clients on loopback only")


@web.middleware
async def edge_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """API key on /v1 (as vLLM), ApiError → JSON, and x-served-by on every response."""
    state = request.app[STATE]
    key = state.config.api_key
    try:
        if key and request.path.startswith("/v1") and not has_key(request, key):
            raise ApiError(401, "Unauthorized")
        response = await handler(request)
    except ApiError as exc:
        return error_response(state, exc)
    except web.HTTPException as exc:
        exc.headers[SERVED_BY] = state.config.name
        raise
    if not response.prepared:
        response.headers[SERVED_BY] = state.config.name
    return response


async def health(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if not state.is_ready():
        raise ApiError(503, "The server is starting up", headers=_RETRY_AFTER)
    return web.Response(headers={SERVED_BY: state.config.name})


async def models(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if not state.is_ready():  # like /health and chat: nothing is served while the model "loads"
        raise ApiError(503, "The server is starting up", headers=_RETRY_AFTER)
    return json_response(state, model_list(state.config.model, state.created, state.config.max_model_len))


async def metrics(request: web.Request) -> web.Response:
    state = request.app[STATE]
    text = state.metrics.render(state.config.model, state.pool, state.config.max_model_len)
    return web.Response(text=text, content_type="text/plain", charset="utf-8", headers=_NO_CACHE)


def shown_config(config: SimConfig) -> dict[str, Any]:
    """The options as /admin/config shows them: a set API key is masked, never echoed."""
    shown = config.to_json()
    if shown["api_key"]:
        shown["api_key"] = MASKED_KEY
    return shown


async def get_config(request: web.Request) -> web.Response:
    require_admin(request)
    state = request.app[STATE]
    return json_response(state, shown_config(state.config))


async def post_config(request: web.Request) -> web.Response:
    require_admin(request)
    state = request.app[STATE]
    try:
        changes = json.loads(await request.text())
    except ValueError as exc:
        raise ApiError(400, f"body is not JSON: {exc}") from exc
    if not isinstance(changes, dict):
        raise ApiError(400, "body must be a JSON object of option names to values")
    try:
        new = state.reconfigure(changes)
    except ConfigError as exc:
        raise ApiError(400, str(exc), param=str(exc).split(":", 1)[0]) from exc
    return json_response(state, shown_config(new))


async def chat_completions(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    try:
        response = await _serve_chat(request, state)
    except ApiError as exc:
        response = error_response(state, exc)
    state.metrics.responses_by_code[response.status] += 1
    if state.crash_due():
        if not response.prepared:
            await response.prepare(request)
        await response.write_eof()
        print(
            f"vllm-sim: crash-after {state.config.crash_after} reached, exiting", file=sys.stderr, flush=True
        )
        asyncio.get_running_loop().call_later(CRASH_FLUSH_DELAY_S, os._exit, CRASH_EXIT_CODE)
    return response


async def _hang(state: SimState) -> None:
    state.metrics.hanging += 1
    try:
        await asyncio.get_running_loop().create_future()  # until the client gives up (handler cancelled)
    finally:
        state.metrics.hanging -= 1


async def _serve_chat(request: web.Request, state: SimState) -> web.StreamResponse:
    arrival = time.monotonic()
    config = state.config
    if not state.is_ready():
        raise ApiError(503, "The server is starting up", headers=_RETRY_AFTER)
    try:
        body = json.loads(await request.text())
    except ValueError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from exc
    req = parse_chat_request(body, config.model)
    if exceeds_context(config.max_model_len, req.prompt_tokens, req.max_tokens):
        raise context_length_error(config.max_model_len, req.prompt_tokens, req.max_tokens)
    fault = pick_fault(config, state.rng.random()) if config.fault_total() else Fault.NONE
    if fault is not Fault.NONE:
        await _inject(fault, state, config, req)
    completion = make_completion(config, req)
    try:
        async with state.pool.slot(req.prompt_tokens + completion.tokens):
            queued = time.monotonic() - arrival
            state.metrics.prompt_tokens += req.prompt_tokens
            if req.stream:
                response, ttft = await _stream(request, state, config, req, completion)
            else:
                running = state.pool.running
                ttft = ttft_seconds(config, req.prompt_tokens, running, state.rng)
                delay = ttft + decode_seconds(config, completion.tokens - 1, running, state.rng)
                if delay:
                    await asyncio.sleep(delay)
                body = chat_completion(
                    state.next_id(), int(time.time()), config.model, completion.content,
                    completion.finish_reason, req.prompt_tokens, completion.tokens,
                )  # fmt: skip
                response = json_response(state, body)
    except QueueFull:
        raise ApiError(
            429,
            f"Server busy: {state.pool.waiting} requests already waiting (max-waiting {config.max_waiting})",
            headers=_RETRY_AFTER,
        ) from None
    _record_success(state.metrics, completion, arrival, queued, ttft)
    return response


def _record_success(
    metrics: SimMetrics, completion: Completion, arrival: float, queued: float, ttft: float
) -> None:
    metrics.generation_tokens += completion.tokens
    metrics.success_by_reason[completion.finish_reason] += 1
    metrics.e2e.observe(time.monotonic() - arrival)
    metrics.queue.observe(queued)
    metrics.ttft.observe(queued + ttft)


async def _inject(fault: Fault, state: SimState, config: SimConfig, req: ChatRequest) -> None:
    if fault is Fault.HANG:
        await _hang(state)
    if fault is Fault.RATE_LIMIT:
        raise ApiError(429, "Rate limit exceeded (injected fault)", headers=_RETRY_AFTER)
    if fault is Fault.SERVER_ERROR:
        raise ApiError(500, "Internal server error (injected fault)")
    if fault is Fault.UNAVAILABLE:
        raise ApiError(503, "Service unavailable (injected fault)", headers=_RETRY_AFTER)
    if fault is Fault.CONTEXT:
        raise context_length_error(config.max_model_len, req.prompt_tokens, config.max_model_len)


def _tokens_per_chunk(config: SimConfig) -> int:
    per_token = config.itl_ms / 1000 * config.time_scale
    if per_token <= 0:
        return STREAM_MAX_TOKENS_PER_CHUNK
    return max(1, min(STREAM_MAX_TOKENS_PER_CHUNK, math.ceil(STREAM_MIN_CHUNK_INTERVAL_S / per_token)))


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


async def _stream(
    request: web.Request, state: SimState, config: SimConfig, req: ChatRequest, completion: Completion
) -> tuple[web.StreamResponse, float]:
    """SSE: role chunk, content chunks paced by ITL, finish chunk, optional usage chunk, [DONE]."""
    rid, created, model = state.next_id(), int(time.time()), config.model
    response = web.StreamResponse(
        headers={SERVED_BY: config.name, "Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    ttft = ttft_seconds(config, req.prompt_tokens, state.pool.running, state.rng)
    if ttft:
        await asyncio.sleep(ttft)
    await response.prepare(request)
    await response.write(_sse(chunk(rid, created, model, {"role": "assistant", "content": ""})))
    step = _tokens_per_chunk(config)
    content, total = completion.content, completion.tokens
    sent = 0
    while sent < total:
        n = 1 if sent == 0 else min(step, total - sent)  # the first token arrives right at TTFT
        if sent:
            delay = decode_seconds(config, n, state.pool.running, state.rng)
            if delay:
                await asyncio.sleep(delay)
        piece = content[sent * CHARS_PER_TOKEN : (sent + n) * CHARS_PER_TOKEN]
        await response.write(_sse(chunk(rid, created, model, {"content": piece})))
        sent += n
    await response.write(_sse(chunk(rid, created, model, {}, completion.finish_reason)))
    if req.include_usage:
        await response.write(_sse(chunk(rid, created, model, None, None, usage(req.prompt_tokens, total))))
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response, ttft


def create_app(config: SimConfig) -> web.Application:
    app = web.Application(middlewares=[edge_middleware], client_max_size=MAX_BODY_BYTES)
    app[STATE] = SimState(config)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/admin/config", get_config)
    app.router.add_post("/admin/config", post_config)
    return app


def serve(config: SimConfig) -> None:
    """Run until SIGINT/SIGTERM."""
    print(
        f"vllm-sim {config.name}: serving {config.model!r} on http://{config.host}:{config.port}",
        file=sys.stderr,
        flush=True,
    )
    web.run_app(
        create_app(config),
        host=config.host,
        port=config.port,
        access_log=None,
        print=None,
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
    )
