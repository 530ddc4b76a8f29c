"""`analyze import-batch`: an OpenAI Batch output file back into the job's journal, so the report works on it.

The prompts are rebuilt from the input with the same settings as the export (seed, swap, prompts, token
budgets): that is what maps a verdict's neutral labels back to candidates. Each reply is validated like
any verdict (`parse_verdict`); a bad, failed or missing reply becomes a `failures.jsonl` line naming the
custom_id and the output line, and every other task still gets its result. With `--requests` the rebuilt
request bodies are compared with the exported file first, so a changed setting is an error instead of
scores credited to the wrong candidates.

The output file is indexed by byte offset (custom_id -> offset), not loaded: memory stays small on
large batches, whose lines come back in any order.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from analyze.inputs.tasks import Task, iter_valid_tasks
from analyze.journal.records import RunLine, run_record
from analyze.journal.store import Journal, judged_task_ids
from analyze.judging.attempts import OUTCOME_NO_REPLY
from analyze.judging.fingerprint import fingerprint_digest, run_fingerprint
from analyze.judging.judge import (
    JudgeFailure,
    RejectedReply,
    Reply,
    RequestLog,
    failure_record,
    read_reply,
    result_record,
)
from analyze.judging.merge import Pass
from analyze.judging.request import BudgetError, JudgeTarget
from analyze.running.batch_export import BatchRequest, task_requests
from analyze.running.runner import RunStats, new_run_id, scan_input
from analyze.settings import Settings

BACKEND_PREFIX = "batch:"


class BatchFileError(ValueError):
    """The Batch file cannot be used at all (unreadable, or its requests are not this export's)."""


@dataclass(frozen=True)
class Indexed:
    offset: int
    line: int


def index_batch_file(path: Path, warnings: list[str]) -> dict[str, Indexed]:
    """custom_id -> where its line starts; lines that are not Batch lines are reported in `warnings`."""
    index: dict[str, Indexed] = {}
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise BatchFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        offset = 0
        for line_no, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
                cid = entry["custom_id"]
            except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError):
                warnings.append(f"{path}:{line_no}: not a Batch line (no JSON object with a custom_id)")
                continue
            if cid in index:
                warnings.append(
                    f"{path}:{line_no}: custom_id {cid!r} again (first on line {index[cid].line}); ignored"
                )
                continue
            index[str(cid)] = Indexed(start, line_no)
    return index


def read_at(handle: BinaryIO, where: Indexed) -> dict[str, Any]:
    handle.seek(where.offset)
    return json.loads(handle.readline())


@dataclass(frozen=True)
class BatchReply:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None
    created: float | None
    model: str | None


class ReplyError(Exception):
    """This custom_id's line holds no usable reply; the message says why."""


def _error_text(error: Any, body: Any) -> str:
    """OpenAI puts {"code", "message"} in `error`; vLLM its ErrorResponse ({"error": {"message", ...}})."""
    for holder in (error, body):
        if isinstance(holder, dict):
            inner = holder.get("error") if isinstance(holder.get("error"), dict) else holder
            if inner.get("message"):
                return str(inner["message"])
    return str(error) if error else "no response body"


def reply_of(entry: dict[str, Any]) -> BatchReply:
    """The assistant's text from one Batch output line, or ReplyError naming the service's error."""
    error = entry.get("error")
    response = entry.get("response") or {}
    status = response.get("status_code")
    body = response.get("body")
    if error or (status is not None and status != 200) or not isinstance(body, dict):
        raise ReplyError(f"the service answered status {status}: {_error_text(error, body)}")
    try:
        choice = body["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise ReplyError("the response body has no choices[0].message") from None
    usage = body.get("usage") or {}
    created = body.get("created")
    return BatchReply(
        text=str(message.get("content") or ""),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        finish_reason=choice.get("finish_reason"),
        created=float(created) if isinstance(created, int | float) else None,
        model=body.get("model"),
    )


def first_model(results_path: Path, index: dict[str, Indexed]) -> str | None:
    """The model named by the first successful reply (what import uses when --model is not given)."""
    with results_path.open("rb") as handle:
        for where in index.values():
            try:
                model = reply_of(read_at(handle, where)).model
            except (ReplyError, json.JSONDecodeError):
                continue
            if model:
                return model
    return None


def check_requests(requests_path: Path, input_path: Path, settings: Settings, target: JudgeTarget) -> None:
    """Every request rebuilt from the input and settings must be the exported one, field for field."""
    warnings: list[str] = []
    index = index_batch_file(requests_path, warnings)
    with requests_path.open("rb") as handle:
        for task in iter_valid_tasks(input_path, settings.limit):
            try:
                requests = task_requests(task, settings, target)
            except BudgetError:
                continue  # not exported either
            for request in requests:
                where = index.get(request.custom_id)
                if where is None:
                    raise BatchFileError(f"{requests_path}: no request with custom_id {request.custom_id!r}")
                exported = read_at(handle, where).get("body") or {}
                rebuilt = json.loads(request.request.encoded)
                differs = sorted(k for k in {*rebuilt, *exported} if exported.get(k) != rebuilt.get(k))
                if differs:
                    raise BatchFileError(
                        f"{requests_path}:{where.line}: the request for {request.custom_id!r} differs from "
                        f"what these settings build (field(s) {', '.join(differs)}): pass the settings the "
                        "export used (--model, --seed, --swap, --max-input-tokens, --max-model-len, ...)"
                    )


@dataclass
class ImportOutcome:
    stats: RunStats
    warnings: list[str]


class Importer:
    def __init__(
        self, results_path: Path, index: dict[str, Indexed], settings: Settings, target: JudgeTarget
    ):
        self.results_path = results_path
        self.index = index
        self.settings = settings
        self.target = target
        self.run_id = new_run_id()
        self.configuration = run_fingerprint(settings, target)
        self.digest = fingerprint_digest(self.configuration)
        self.backend = BACKEND_PREFIX + results_path.name
        self.created: list[float] = []

    def judge(self, handle: BinaryIO, task: Task) -> tuple[bool, dict[str, Any]]:
        """(True, results line) or (False, failures line) for one task, from its Batch replies."""
        passes: list[Pass] = []
        stamps: list[float] = []
        try:
            for item in task_requests(task, self.settings, self.target):
                passes.append(self._pass(handle, item, stamps))
        except BudgetError as exc:
            failure = JudgeFailure("context_length", str(exc), 0)
            return False, self._failure(task, failure, passes, min(stamps, default=time.time()))
        except JudgeFailure as failure:
            return False, self._failure(task, failure, passes, min(stamps, default=time.time()))
        started, finished = (min(stamps), max(stamps)) if stamps else (time.time(), time.time())
        record = result_record(self.run_id, task, passes, self.target.model, self.digest, started, finished)
        return True, record

    def _pass(self, handle: BinaryIO, item: BatchRequest, stamps: list[float]) -> Pass:
        log = RequestLog(item.order, attempts=1, backend=self.backend)
        request = item.request
        where = self.index.get(item.custom_id)
        if where is None:
            log.entry(
                request, outcome=OUTCOME_NO_REPLY, changed={}, why=None, error="not in the Batch output"
            )
            raise JudgeFailure(
                "error", f"no line with custom_id {item.custom_id!r}", 1, log.record(None, request)
            )
        at = f"custom_id {item.custom_id!r} ({self.results_path.name}:{where.line})"
        try:
            batch_reply = reply_of(read_at(handle, where))
        except (ReplyError, json.JSONDecodeError) as exc:
            log.entry(request, outcome=OUTCOME_NO_REPLY, changed={}, why=None, error=str(exc))
            raise JudgeFailure("error", f"{at}: {exc}", 1, log.record(None, request)) from exc
        reply = Reply(batch_reply.text, self.backend, None, batch_reply.prompt_tokens,  # type: ignore[arg-type]
                      batch_reply.completion_tokens, batch_reply.finish_reason)  # fmt: skip
        if batch_reply.created is not None:
            stamps.append(batch_reply.created)
            self.created.append(batch_reply.created)
        try:
            return read_reply(log, request, reply, changed={}, why=None)
        except RejectedReply as rejected:
            note = "; the reply was cut at max_tokens" if rejected.cut else ""
            raise JudgeFailure(
                "invalid_verdict", f"{at}: {rejected.error}{note}", 1, log.record(reply, request)
            ) from rejected.error

    def _failure(
        self, task: Task, failure: JudgeFailure, passes: list[Pass], started_at: float
    ) -> dict[str, Any]:
        return failure_record(self.run_id, task, failure, passes, self.digest, started_at)

    def run_record(self, stats: RunStats, input_path: Path, started_at: float) -> RunLine:
        """The runs.jsonl line; the batch's own span (its replies' creation times) stands for its duration."""
        span = (min(self.created), max(self.created)) if self.created else (started_at, time.time())
        return run_record(
            stats,
            span=span,
            input_path=input_path,
            backends=[BACKEND_PREFIX + str(self.results_path)],
            concurrency=None,
            configuration=self.configuration,
            digest=self.digest,
            mixed_with=[],
            imported_at=started_at,
        )


def import_batch(
    results_path: Path, input_path: Path, output_dir: Path, settings: Settings, target: JudgeTarget
) -> ImportOutcome:
    """Journal the Batch replies of every task of the input into `output_dir` (judged tasks are kept)."""
    started_at = time.time()
    warnings: list[str] = []
    index = index_batch_file(results_path, warnings)
    importer = Importer(results_path, index, settings, target)
    stats = RunStats(run_id=importer.run_id)
    with Journal(output_dir) as journal, results_path.open("rb") as handle:
        done = judged_task_ids(output_dir)
        scan_input(input_path, journal, done, settings.limit, stats)
        for task in iter_valid_tasks(input_path, settings.limit):
            if task.task_id in done:
                continue
            ok, record = importer.judge(handle, task)
            (journal.results if ok else journal.failures).append(record)
            stats.succeeded += ok
            stats.failed += not ok
        journal.runs.append(importer.run_record(stats, input_path, started_at))
    return ImportOutcome(stats, warnings)
