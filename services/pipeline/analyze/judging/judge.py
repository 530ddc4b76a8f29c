"""Judging one task: build each request, call a backend under the limiter, validate, retry changed, merge.

`TaskJudge.judge(task)` returns a `results.jsonl` or a `failures.jsonl` record (docs/journal-format.md);
it never raises for a per-task problem, so one bad task never stops a run. Every try of every request is
logged (`attempt_log`): what it changed from the previous one, why, and how it ended.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Any

from analyze.constants import ORDER_FORWARD, ORDER_ROTATED, SERVED_BY_HEADERS
from analyze.fleet.chat_transport import ChatTransport
from analyze.fleet.concurrency import Limiter, OutcomeKind, RequestOutcome, permit
from analyze.fleet.multi_vllm import BackendPool
from analyze.fleet.readiness import FleetNotReadyError, Readiness
from analyze.fleet.retry import Backoff, ErrorClass, classify_error
from analyze.inputs.tasks import Task, task_digest
from analyze.judging.attempts import (
    OUTCOME_INVALID,
    OUTCOME_LENGTH,
    OUTCOME_NO_REPLY,
    OUTCOME_OK,
    Rejection,
    attempt_entry,
    changed_knobs,
    next_attempt,
)
from analyze.judging.merge import Pass, merge_passes, ranking_repair_entry
from analyze.judging.request import BudgetError, JudgeRequest, JudgeTarget, TokenRatio, build_request
from analyze.judging.verdict import VerdictError, parse_verdict
from analyze.settings import Settings

FINISH_LENGTH = "length"


def backoff_from(settings: Settings) -> Backoff:
    return Backoff(settings.backoff_base_s, settings.backoff_max_s, settings.retry_after_max_s)


@dataclass(frozen=True)
class Reply:
    text: str
    backend: str
    latency_s: float
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None = None


class CallFailed(Exception):
    """A request that got no answer, with the instance it was sent to."""

    def __init__(self, cause: BaseException, base_url: str | None) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.base_url = base_url


class JudgeFailure(Exception):
    def __init__(
        self,
        kind: str,
        reason: str,
        attempts: int,
        log: dict[str, Any] | None = None,
        refused: ErrorClass | None = None,
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.attempts = attempts
        self.log = log  # the failed request's journal entry, with its attempt log
        self.refused = refused  # set when the server refuses every request alike (analyze.running.fail_fast)


@dataclass(frozen=True)
class TaskResult:
    ok: bool
    record: dict[str, Any]
    refused: ErrorClass | None = None  # the answer that failed it, when it refuses every request alike


def served_by(headers: Any, base_url: str) -> str:
    for name in SERVED_BY_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return base_url


@dataclass
class RequestLog:
    """The journal entry of one request (one order) while its attempts go on."""

    order: str
    attempts: int = 0  # sends, transport resends included
    backend: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)

    def entry(self, request: JudgeRequest, **fields: Any) -> None:
        self.entries.append(attempt_entry(request, number=len(self.entries) + 1, **fields))

    def record(self, reply: Reply | None, request: JudgeRequest) -> dict[str, Any]:
        return {
            "order": self.order,
            "backend": reply.backend if reply else (self.backend or ""),
            "latency_s": reply.latency_s if reply else None,
            "prompt_tokens": reply.prompt_tokens if reply else None,
            "completion_tokens": reply.completion_tokens if reply else None,
            "finish_reason": reply.finish_reason if reply else None,
            "max_tokens": request.max_tokens,
            "bounds": request.bounds.as_dict(),
            "attempts": self.attempts,
            "attempt_log": self.entries,
        }


class RejectedReply(Exception):
    """A reply that holds no valid verdict (already logged): why, and whether it was cut at max_tokens."""

    def __init__(self, error: VerdictError, outcome: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.outcome = outcome
        self.cut = outcome == OUTCOME_LENGTH


def read_reply(
    log: RequestLog, request: JudgeRequest, reply: Reply, *, changed: dict[str, Any], why: str | None
) -> Pass:
    """The reply's verdict as a pass, or RejectedReply: the one step from a reply to a verdict, shared by
    the live judge and `analyze import-batch`, each attempt logged either way."""
    try:
        verdict = parse_verdict(reply.text, request.prompt.labels)
    except VerdictError as exc:
        outcome = OUTCOME_LENGTH if reply.finish_reason == FINISH_LENGTH else OUTCOME_INVALID
        log.entry(request, outcome=outcome, changed=changed, why=why, error=str(exc), reply=reply)
        raise RejectedReply(exc, outcome) from exc
    log.entry(request, outcome=OUTCOME_OK, changed=changed, why=why, reply=reply)
    record = log.record(reply, request)
    record["ranking_repair"] = ranking_repair_entry(request.prompt, verdict)
    return Pass(request.prompt, verdict, record)


class TaskJudge:
    def __init__(
        self,
        pool: BackendPool,
        limiter: Limiter,
        settings: Settings,
        target: JudgeTarget,
        run_id: str,
        *,
        fingerprint: str | None = None,
        readiness: Readiness | None = None,
    ) -> None:
        self.pool = pool
        self.limiter = limiter
        self.settings = settings
        self.target = target
        self.run_id = run_id
        self.fingerprint = fingerprint
        self.readiness = readiness  # None: a 502/503 counts like any failed attempt
        self.backoff = backoff_from(settings)
        self.token_ratio = TokenRatio()
        self.transport = ChatTransport(timeout_s=settings.timeout_s)

    async def _call(self, body: bytes, session_id: str) -> Reply:
        """One request on one backend lease (given back by its context manager, whatever fails)."""
        started = time.monotonic()
        base_url = None
        try:
            with self.pool.lease() as backend:
                base_url = backend.base_url
                reply = await self.transport.complete(backend.base_url, backend.api_key, body, session_id)
        except Exception as exc:
            raise CallFailed(exc, base_url) from exc
        return Reply(
            text=reply.text,
            backend=served_by(reply.headers, backend.base_url),
            latency_s=round(time.monotonic() - started, 4),
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            finish_reason=reply.finish_reason,
        )

    async def _send(self, body: bytes, session_id: str) -> Reply:
        """One attempt under one limiter permit: the one place it is taken and given back."""
        async with permit(self.limiter) as held:
            started = time.monotonic()
            try:
                reply = await self._call(body, session_id)
            except CallFailed as failed:
                outcome = classify_error(failed.cause).outcome
                held.outcome = RequestOutcome(outcome, time.monotonic() - started, None)
                raise
            held.outcome = RequestOutcome(OutcomeKind.OK, reply.latency_s, reply.backend)
            return reply

    async def _waited_for_fleet(self, error: ErrorClass, base_url: str | None) -> bool:
        if self.readiness is None or base_url is None or not error.maybe_not_up:
            return False
        return await self.readiness.wait_out(base_url)

    async def aclose(self) -> None:
        await self.transport.aclose()

    def _build(self, task: Task, order: str, spec: Any = None) -> JudgeRequest:
        return build_request(
            task, self.settings, self.target, order=order, attempt=spec, token_ratio=self.token_ratio.value
        )

    def _retry_request(
        self, task: Task, request: JudgeRequest, rejection: Rejection, answered: set[str]
    ) -> tuple[JudgeRequest, str]:
        """The next request after a rejected reply: changed (judging.attempts), never bytes already sent."""
        spec, why = next_attempt(request, rejection, self.settings)
        retry = self._build(task, request.prompt.order, spec)
        while retry.digest in answered:  # a change that made no difference to the bytes
            spec = replace(spec, seed=spec.seed + 1)
            retry = self._build(task, request.prompt.order, spec)
        return retry, why

    async def _pass(self, task: Task, order: str) -> Pass:
        """One verdict for one order: transport retries with backoff, verdict retries changed."""
        log = RequestLog(order)
        try:
            request = self._build(task, order)
        except BudgetError as exc:
            raise JudgeFailure("context_length", str(exc), 0) from exc
        previous: JudgeRequest | None = None
        why: str | None = None
        answered: set[str] = set()
        transport_failures = rejections = 0
        while True:
            log.attempts += 1
            changed = changed_knobs(previous, request)
            try:
                reply = await self._send(request.encoded, request.session_id)
            except CallFailed as failed:
                error = classify_error(failed.cause)
                log.backend = failed.base_url
                log.entry(request, outcome=OUTCOME_NO_REPLY, changed=changed, why=why, error=error.reason)
                if not error.retryable:
                    refused = error if error.refuses_every_request else None
                    raise JudgeFailure(
                        error.kind, error.reason, log.attempts, log.record(None, request), refused
                    ) from failed.cause
                previous, why = request, f"no reply ({error.reason}): the same request once the fleet was up"
                if await self._waited_for_fleet(error, failed.base_url):
                    continue  # that instance was not up yet: waited for the fleet, not counted
                transport_failures += 1
                if transport_failures > self.settings.max_retries:
                    reason = f"{error.reason} after {log.attempts} attempts"
                    raise JudgeFailure(
                        error.kind, reason, log.attempts, log.record(None, request)
                    ) from failed.cause
                await asyncio.sleep(self.backoff.delay(transport_failures, error.retry_after_s))
                why = f"no reply ({error.reason}): the same request after a backoff"
                continue
            self.token_ratio.observe(request.prompt_content_estimate, reply.prompt_tokens)
            answered.add(request.digest)
            try:
                return read_reply(log, request, reply, changed=changed, why=why)
            except RejectedReply as rejected:
                exc = rejected.error
                rejections += 1
                if rejections > self.settings.max_verdict_retries:
                    note = "; the last reply was cut at max_tokens" if rejected.cut else ""
                    reason = f"{exc} (after {log.attempts} attempts{note})"
                    raise JudgeFailure(
                        "invalid_verdict", reason, log.attempts, log.record(reply, request)
                    ) from exc
                rejection = Rejection(
                    rejected.outcome, str(exc), reply.text, reply.completion_tokens, reply.prompt_tokens
                )
                previous = request
                try:
                    request, why = self._retry_request(task, request, rejection, answered)
                except BudgetError as budget:
                    raise JudgeFailure(
                        "context_length", str(budget), log.attempts, log.record(reply, previous)
                    ) from budget
                continue

    async def judge(self, task: Task) -> TaskResult:
        started_at = time.time()
        passes: list[Pass] = []
        try:
            for order in pass_orders(task, self.settings):
                passes.append(await self._pass(task, order))
        except JudgeFailure as failure:
            return TaskResult(False, self._failure(task, failure, passes, started_at), failure.refused)
        except FleetNotReadyError:
            raise  # not this task's fault: the run stops (analyze.running.runner)
        except Exception as exc:  # a bug, a prompt that cannot be built, an odd reply: not the run's end
            failure = JudgeFailure("error", f"{type(exc).__name__}: {exc}", 0)
            return TaskResult(False, self._failure(task, failure, passes, started_at))
        record = result_record(
            self.run_id, task, passes, self.target.model, self.fingerprint, started_at, time.time()
        )
        return TaskResult(True, record)

    def _failure(
        self, task: Task, failure: JudgeFailure, passes: list[Pass], started_at: float
    ) -> dict[str, Any]:
        return failure_record(self.run_id, task, failure, passes, self.fingerprint, started_at)


def pass_orders(task: Task, settings: Settings) -> tuple[str, ...]:
    """The orders one task is judged in: forward, and with --swap the rotation that moves every candidate."""
    if settings.swap and len(task.candidates) >= 2:
        return (ORDER_FORWARD, ORDER_ROTATED)
    return (ORDER_FORWARD,)


def result_record(
    run_id: str,
    task: Task,
    passes: list[Pass],
    model: str,
    fingerprint: str | None,
    started_at: float,
    finished_at: float,
) -> dict[str, Any]:
    """One `results.jsonl` line (docs/journal-format.md); `analyze import-batch` writes the same."""
    return {
        "run_id": run_id,
        **merge_passes(task, passes),
        "content": task_digest(task),
        "judge_model": model,
        "fingerprint": fingerprint,
        "requests": [one.log for one in passes],
        "started_at": started_at,
        "finished_at": finished_at,
    }


def failure_record(
    run_id: str,
    task: Task,
    failure: JudgeFailure,
    passes: list[Pass],
    fingerprint: str | None,
    started_at: float,
) -> dict[str, Any]:
    """One `failures.jsonl` line: the passes that succeeded and the failed request's log.

    It is timed like a verdict line, so a run's span (and a benchmark's makespan) counts failed tasks too.
    """
    requests = [one.log for one in passes]
    if failure.log is not None:
        requests.append(failure.log)
    return {
        "run_id": run_id,
        "task_id": task.task_id,
        "line": task.line,
        "kind": failure.kind,
        "reason": failure.reason,
        "attempts": failure.attempts + sum(one.log["attempts"] for one in passes),
        "fingerprint": fingerprint,
        "requests": requests,
        "started_at": started_at,
        "finished_at": time.time(),
    }
