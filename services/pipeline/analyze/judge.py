"""Judging one task: build the prompt, call a backend under the limiter with retries, validate, merge.

`TaskJudge.judge(task)` returns a `results.jsonl` or a `failures.jsonl` record (docs/journal-format.md);
it never raises for a per-task problem, so one bad task never stops a run.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyze.chat_transport import ChatTransport, encode_body
from analyze.concurrency import Limiter, OutcomeKind, RequestOutcome
from analyze.constants import ORDER_FORWARD, ORDER_REVERSED, SCORE_KEYS, SERVED_BY_HEADERS
from analyze.multi_vllm import BackendPool
from analyze.prompt import JudgePrompt, build_prompt
from analyze.retry import Backoff, classify_error
from analyze.settings import Settings
from analyze.tasks import Task
from analyze.verdict import Verdict, VerdictError, parse_verdict, response_format


def _default(name: str) -> Any:
    """A setting's default: settings.py is the one place defaults live."""
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class JudgeConfig:
    model: str
    seed: int = _default("seed")
    swap: bool = _default("swap")
    max_input_tokens: int = _default("max_input_tokens")
    max_output_tokens: int = _default("max_output_tokens")
    temperature: float = _default("temperature")
    timeout_s: float = _default("timeout_s")
    max_retries: int = _default("max_retries")
    max_verdict_retries: int = _default("max_verdict_retries")
    backoff: Backoff = field(
        default_factory=lambda: Backoff(
            _default("backoff_base_s"), _default("backoff_max_s"), _default("retry_after_max_s")
        )
    )
    structured_output: bool = _default("structured_output")
    prompts_dir: Path | None = None  # the packaged prompts


@dataclass(frozen=True)
class Reply:
    text: str
    backend: str
    latency_s: float
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None = None


class JudgeFailure(Exception):
    def __init__(self, kind: str, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.attempts = attempts


@dataclass(frozen=True)
class TaskResult:
    ok: bool
    record: dict[str, Any]


def served_by(headers: Any, base_url: str) -> str:
    for name in SERVED_BY_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return base_url


def orders(config: JudgeConfig) -> tuple[str, ...]:
    """The prompt orders one task is judged in: forward, and the second pass with --swap."""
    return (ORDER_FORWARD, ORDER_REVERSED) if config.swap else (ORDER_FORWARD,)


def judge_prompt(task: Task, config: JudgeConfig, order: str) -> JudgePrompt:
    return build_prompt(
        task,
        seed=config.seed,
        order=order,
        max_input_tokens=config.max_input_tokens,
        prompts_dir=config.prompts_dir,
    )


def request_payload(prompt: JudgePrompt, config: JudgeConfig) -> dict[str, Any]:
    """The chat request body for one prompt: the one place that says what the job sends (`analyze run`
    sends it, `analyze export-batch` writes it)."""
    body: dict[str, Any] = {
        "model": config.model,
        "messages": prompt.messages,
        "temperature": config.temperature,
        "max_tokens": config.max_output_tokens,
    }
    if config.structured_output:
        body["response_format"] = response_format(prompt.labels)
    return body


def result_record(
    run_id: str,
    task: Task,
    runs: list[tuple[JudgePrompt, Verdict]],
    model: str,
    requests: list[dict[str, Any]],
    started_at: float,
    finished_at: float,
) -> dict[str, Any]:
    """One `results.jsonl` line (docs/journal-format.md)."""
    return {
        "run_id": run_id,
        **merge_verdicts(task, runs),
        "judge_model": model,
        "requests": requests,
        "started_at": started_at,
        "finished_at": finished_at,
    }


def failure_record(
    run_id: str, task: Task, kind: str, reason: str, attempts: int, requests: list[dict[str, Any]]
) -> dict[str, Any]:
    """One `failures.jsonl` line (docs/journal-format.md)."""
    return {
        "run_id": run_id,
        "task_id": task.task_id,
        "line": task.line,
        "kind": kind,
        "reason": reason,
        "attempts": attempts,
        "requests": requests,
        "finished_at": time.time(),
    }


class TaskJudge:
    def __init__(self, pool: BackendPool, limiter: Limiter, config: JudgeConfig, run_id: str) -> None:
        self.pool = pool
        self.limiter = limiter
        self.config = config
        self.run_id = run_id
        self.transport = ChatTransport(timeout_s=config.timeout_s)

    def request_body(self, prompt: JudgePrompt) -> bytes:
        """The chat request for one prompt, encoded once: retries resend the same bytes."""
        return encode_body(request_payload(prompt, self.config))

    async def _call(self, body: bytes) -> Reply:
        started = time.monotonic()
        with self.pool.lease() as backend:
            reply = await self.transport.complete(backend.base_url, backend.api_key, body)
        return Reply(
            text=reply.text,
            backend=served_by(reply.headers, backend.base_url),
            latency_s=round(time.monotonic() - started, 4),
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            finish_reason=reply.finish_reason,
        )

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def _request(self, prompt: JudgePrompt, holds_permit: bool) -> tuple[Verdict, dict[str, Any]]:
        """One verdict for one order: transport retries with backoff, then verdict-validation retries."""
        attempts = transport_failures = verdict_failures = 0
        body = self.request_body(prompt)
        while True:
            attempts += 1
            if not holds_permit:
                await self.limiter.acquire()
            holds_permit = False
            started = time.monotonic()
            try:
                reply = await self._call(body)
            except Exception as exc:
                error = classify_error(exc)
                self.limiter.release(RequestOutcome(error.outcome, time.monotonic() - started, None))
                if not error.retryable:
                    raise JudgeFailure(error.kind, error.reason, attempts) from exc
                transport_failures += 1
                if transport_failures > self.config.max_retries:
                    raise JudgeFailure(
                        error.kind, f"{error.reason} after {attempts} attempts", attempts
                    ) from exc
                await asyncio.sleep(self.config.backoff.delay(transport_failures, error.retry_after_s))
                continue
            self.limiter.release(RequestOutcome(OutcomeKind.OK, reply.latency_s, reply.backend))
            try:
                verdict = parse_verdict(reply.text, prompt.labels)
            except VerdictError as exc:
                verdict_failures += 1
                if verdict_failures > self.config.max_verdict_retries:
                    cut = "; the last reply was cut at max_tokens" if reply.finish_reason == "length" else ""
                    raise JudgeFailure(
                        "invalid_verdict", f"{exc} (after {attempts} attempts{cut})", attempts
                    ) from exc
                continue
            log = {
                "order": prompt.order,
                "backend": reply.backend,
                "latency_s": reply.latency_s,
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "attempts": attempts,
            }
            return verdict, log

    def _prompt(self, task: Task, order: str) -> JudgePrompt:
        return judge_prompt(task, self.config, order)

    async def judge(self, task: Task, *, holds_permit: bool = False) -> TaskResult:
        started_at = time.time()
        requests: list[dict[str, Any]] = []
        try:
            runs: list[tuple[JudgePrompt, Verdict]] = []
            for order in orders(self.config):
                prompt = self._prompt(task, order)
                verdict, log = await self._request(prompt, holds_permit and not runs)
                requests.append(log)
                runs.append((prompt, verdict))
        except JudgeFailure as failure:
            return TaskResult(
                False, self._failure(task, failure.kind, failure.reason, failure.attempts, requests)
            )
        except Exception as exc:  # a bug or an unexpected reply shape must not stop the run
            return TaskResult(
                False, self._failure(task, "error", f"{type(exc).__name__}: {exc}", 0, requests)
            )
        record = result_record(self.run_id, task, runs, self.config.model, requests, started_at, time.time())
        return TaskResult(True, record)

    def _failure(
        self, task: Task, kind: str, reason: str, attempts: int, requests: list[dict[str, Any]]
    ) -> dict[str, Any]:
        attempts += sum(r["attempts"] for r in requests)
        return failure_record(self.run_id, task, kind, reason, attempts, requests)


def merge_verdicts(task: Task, runs: list[tuple[JudgePrompt, Verdict]]) -> dict[str, Any]:
    """One journal record from the forward verdict and, with --swap, the reversed one (scores averaged)."""
    forward_prompt, forward = runs[0]
    rankings: list[list[str]] = []
    score_sums: dict[str, dict[str, float]] = {}
    truncated: dict[str, bool] = {}
    issues: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for prompt, verdict in runs:
        shown = prompt.by_label()
        rankings.append([shown[label].candidate.candidate_id for label in verdict.ranking])
        for label, card in verdict.scores.items():
            cid = shown[label].candidate.candidate_id
            sums = score_sums.setdefault(cid, dict.fromkeys(SCORE_KEYS, 0.0))
            for key in SCORE_KEYS:
                sums[key] += card[key]
        for item in prompt.shown:
            cid = item.candidate.candidate_id
            truncated[cid] = truncated.get(cid, False) or item.truncated
        for issue in verdict.issues:
            cand = shown[issue.label].candidate
            key = (cand.candidate_id, issue.category, issue.severity, issue.text)
            issues.setdefault(
                key,
                {
                    "candidate_id": cand.candidate_id,
                    "model": cand.model,
                    "category": issue.category,
                    "severity": issue.severity,
                    "text": issue.text,
                },
            )
    ranks = combined_ranks(rankings)
    candidates = []
    for item in forward_prompt.shown:
        cid = item.candidate.candidate_id
        candidates.append(
            {
                "candidate_id": cid,
                "model": item.candidate.model,
                "label": item.label,
                "position": item.position,
                "truncated": truncated[cid],
                "scores": {key: round(total / len(runs), 3) for key, total in score_sums[cid].items()},
                "rank": ranks[cid],
            }
        )
    swap = None
    if len(rankings) == 2:
        swap = {
            "position_consistent": rankings[0][0] == rankings[1][0],
            "forward_ranking": rankings[0],
            "reversed_ranking": rankings[1],
        }
    return {
        "task_id": task.task_id,
        "line": task.line,
        "language": task.language,
        "meta": task.meta,
        "candidates": candidates,
        "issues": list(issues.values()),
        "rationale": forward.rationale,
        "swap": swap,
    }


def combined_ranks(rankings: list[list[str]]) -> dict[str, int]:
    """Ranks 1..N by mean position over the given rankings; ties go to the first (forward) ranking."""
    first = {cid: i for i, cid in enumerate(rankings[0])}
    mean_pos = {cid: sum(r.index(cid) for r in rankings) / len(rankings) for cid in first}
    ordered = sorted(first, key=lambda cid: (mean_pos[cid], first[cid]))
    return {cid: i + 1 for i, cid in enumerate(ordered)}
