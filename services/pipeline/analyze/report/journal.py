"""Read the four journal files of an output directory into compact records.

Lines are streamed; a torn line (the last one without its newline, or any line that is not JSON) is
skipped and noted, a line with a future schema or a missing/ill-typed field stops with an error naming
the file, line and field. results.jsonl is deduplicated by task_id (first line wins).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyze.constants import ISSUE_TEXT_MAX_CHARS
from analyze.journal.records import JournalFormatError, check_schema
from analyze.journal.store import read_journal_lines
from analyze.report import constants as c
from analyze.report.verdict_records import AttemptCounts, VerdictRecord, issue_text_bound, verdict_record


class JournalError(ValueError):
    """A journal line the report cannot use; the message names the file, line and field."""


@dataclass(frozen=True)
class Execution:
    """What the sandbox said about one candidate's run against its task's tests."""

    status: str  # one of constants.EXEC_STATUSES
    tests_passed: int
    tests_total: int
    duration_s: float
    detail: str

    @property
    def definite(self) -> bool:
        """The tests ran to an outcome (not_run has none)."""
        return self.status in c.EXEC_DEFINITE


@dataclass(frozen=True)
class Candidate:
    task_id: str
    candidate_id: str
    model: str
    label: str
    position: int
    truncated: bool
    scores: dict[str, float]
    rank: int
    code_chars: int | None = None
    passed: bool | None = None  # ground truth: the input's label, else the execution's; None when unknown
    passed_source: str | None = None  # "input" | "execution" | None (journals before execution: absent)
    execution: Execution | None = None  # None: the task was not executed (or the journal predates it)


@dataclass(frozen=True)
class Issue:
    task_id: str
    candidate_id: str | None
    model: str | None
    category: str
    severity: str
    text: str
    cut: bool = False  # the text reached its length bound, so its last word may be cut in half


@dataclass(frozen=True)
class Request:
    task_id: str
    backend: str
    latency_s: float | None
    prompt_tokens: int
    completion_tokens: int
    succeeded: bool


@dataclass
class Journal:
    """Everything the report needs, without prompts, code or rationales."""

    candidates: list[Candidate] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    result_task_ids: set[str] = field(default_factory=set)
    swap_consistency: list[bool] = field(default_factory=list)
    result_times: list[tuple[float, float]] = field(default_factory=list)
    judge_models: set[str] = field(default_factory=set)
    failure_kinds: dict[str, str] = field(default_factory=dict)  # task_id -> last kind, unresolved only
    rejects: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verdicts: list[VerdictRecord] = field(default_factory=list)
    attempts: AttemptCounts = field(default_factory=AttemptCounts)
    # Run fingerprints of the verdict lines (None: a line from before fingerprints; judging.fingerprint).
    fingerprints: set[str | None] = field(default_factory=set)
    task_lines: dict[str, int] = field(default_factory=dict)  # task_id -> its line in the input
    # task_id -> the task's content digest (None: a line from before digests were kept); analyze compare
    task_contents: dict[str, str | None] = field(default_factory=dict)

    def sort_by_input_line(self) -> None:
        """Tasks in input order, whatever order they were judged in (--order, concurrency): the
        tables and the bootstrap then depend on the verdicts alone."""
        line = self.task_lines
        for rows in (self.verdicts, self.candidates, self.issues):
            rows.sort(key=lambda row: line.get(row.task_id, 0))  # stable: a task's rows keep their order


class _Line:
    """One parsed journal line plus where it came from, for error messages."""

    def __init__(self, path: Path, number: int, obj: Any) -> None:
        self.where = f"{path.name} line {number}"
        if not isinstance(obj, dict):
            raise JournalError(f"{self.where}: expected a JSON object, got {type(obj).__name__}")
        try:
            check_schema(obj, self.where)
        except JournalFormatError as exc:
            raise JournalError(str(exc)) from exc
        self.obj = obj

    def get(self, obj: dict[str, Any], name: str, kind: type | tuple[type, ...], path: str = "") -> Any:
        label = f"{path}{name}"
        if name not in obj:
            raise JournalError(f"{self.where}: field '{label}' is missing")
        value = obj[name]
        if not _is_kind(value, kind):
            raise JournalError(f"{self.where}: field '{label}' has {value!r}, expected {_kind_name(kind)}")
        return value

    def opt(
        self,
        obj: dict[str, Any],
        name: str,
        kind: type | tuple[type, ...],
        default: Any = None,
        path: str = "",
    ) -> Any:
        if obj.get(name) is None:
            return default
        return self.get(obj, name, kind, path)

    def choice(self, obj: dict[str, Any], name: str, allowed: tuple[str, ...], path: str = "") -> str | None:
        """An optional string that must be one of `allowed`; an unknown value is named in the error."""
        value = self.opt(obj, name, str, path=path)
        if value is not None and value not in allowed:
            raise JournalError(
                f"{self.where}: field '{path}{name}' has {value!r}, expected one of {', '.join(allowed)}"
            )
        return value


def _is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true is not a number here
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, kinds)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


NUMBER = (int, float)


def iter_lines(path: Path, warnings: list[str]) -> Iterator[_Line]:
    """Each complete JSON line of `path`, read by the one journal reader; skips noted in `warnings`."""
    for line in read_journal_lines(path, warnings):
        yield _Line(path, line.number, line.record)


def read_journal(output_dir: Path) -> Journal:
    """Read results, failures, rejects and runs from `output_dir` (missing files count as empty)."""
    journal = Journal()
    for line in iter_lines(output_dir / c.RESULTS_FILE, journal.warnings):
        _add_result(journal, line)
    journal.sort_by_input_line()
    for line in iter_lines(output_dir / c.FAILURES_FILE, journal.warnings):
        _add_failure(journal, line)
    for line in iter_lines(output_dir / c.REJECTS_FILE, journal.warnings):
        line.get(line.obj, "reason", str)
        journal.rejects.append(line.obj)
    for line in iter_lines(output_dir / c.RUNS_FILE, journal.warnings):
        _check_run(line)
        journal.runs.append(line.obj)
    return journal


def _add_result(journal: Journal, line: _Line) -> None:
    obj = line.obj
    task_id = line.get(obj, "task_id", str)
    if task_id in journal.result_task_ids:
        journal.warnings.append(f"{line.where}: second result for task {task_id!r} ignored")
        return
    candidates = [
        _candidate(line, task_id, item, f"candidates[{i}].")
        for i, item in enumerate(line.get(obj, "candidates", list))
    ]
    _check_ranks(line, candidates)
    model_of = {candidate.candidate_id: candidate.model for candidate in candidates}
    bound = issue_text_bound(obj.get("requests") or [], ISSUE_TEXT_MAX_CHARS)
    issues = [
        _issue(line, task_id, item, f"issues[{i}].", model_of, bound)
        for i, item in enumerate(line.opt(obj, "issues", list, []))
    ]
    requests = [
        _request(line, task_id, item, f"requests[{i}].", succeeded=True)
        for i, item in enumerate(line.opt(obj, "requests", list, []))
    ]
    swap = line.opt(obj, "swap", dict)
    positions = {candidate.candidate_id: candidate.position for candidate in candidates}
    ranks = {candidate.candidate_id: candidate.rank for candidate in candidates}
    # Only now, with the whole line valid, does it count.
    repaired = journal.attempts.add_requests(obj.get("requests") or [])
    journal.attempts.verdicts += 1
    verdict = verdict_record(obj, task_id, positions, ranks, repaired)
    journal.attempts.repaired += verdict.repaired
    journal.verdicts.append(verdict)
    journal.result_task_ids.add(task_id)
    journal.task_lines[task_id] = line.opt(obj, "line", int, 0)
    journal.task_contents[task_id] = line.opt(obj, "content", str)
    journal.fingerprints.add(line.opt(obj, "fingerprint", str))
    journal.candidates.extend(candidates)
    journal.issues.extend(issues)
    journal.requests.extend(requests)
    consistent = None if swap is None else swap.get("position_consistent", swap.get("top1_agree"))
    if isinstance(consistent, bool):  # the first format's name, or the one --swap writes now
        journal.swap_consistency.append(consistent)
    started = line.opt(obj, "started_at", NUMBER)
    finished = line.opt(obj, "finished_at", NUMBER)
    if started is not None and finished is not None:
        journal.result_times.append((float(started), float(finished)))
    judge = line.opt(obj, "judge_model", str)
    if judge:
        journal.judge_models.add(judge)


def _candidate(line: _Line, task_id: str, item: Any, path: str) -> Candidate:
    if not isinstance(item, dict):
        raise JournalError(f"{line.where}: field '{path[:-1]}' is not an object")
    scores = line.get(item, "scores", dict, path)
    for name, value in scores.items():
        if not _is_kind(value, NUMBER):
            raise JournalError(f"{line.where}: field '{path}scores.{name}' has {value!r}, expected a number")
    return Candidate(
        task_id=task_id,
        candidate_id=line.get(item, "candidate_id", str, path),
        model=line.get(item, "model", str, path),
        label=str(item.get("label") or ""),
        position=line.get(item, "position", int, path),
        truncated=bool(item.get("truncated", False)),
        scores={name: float(value) for name, value in scores.items()},
        rank=line.get(item, "rank", int, path),
        code_chars=line.opt(item, "code_chars", int, path=path),
        passed=line.opt(item, "passed", bool, path=path),
        passed_source=line.choice(item, "passed_source", c.PASSED_SOURCES, path),
        execution=_execution(line, item.get("execution"), f"{path}execution."),
    )


def _execution(line: _Line, item: Any, path: str) -> Execution | None:
    """A candidate's `execution` object; null or absent: the task was not executed."""
    if item is None:
        return None
    if not isinstance(item, dict):
        raise JournalError(f"{line.where}: field '{path[:-1]}' has {item!r}, expected an object or null")
    status = line.choice(item, "status", c.EXEC_STATUSES, path)
    if status is None:
        raise JournalError(f"{line.where}: field '{path}status' is missing")
    return Execution(
        status=status,
        tests_passed=line.get(item, "tests_passed", int, path),
        tests_total=line.get(item, "tests_total", int, path),
        duration_s=float(line.get(item, "duration_s", NUMBER, path)),
        detail=line.opt(item, "detail", str, "", path),
    )


def _check_ranks(line: _Line, candidates: list[Candidate]) -> None:
    ranks = sorted(candidate.rank for candidate in candidates)
    if ranks != list(range(1, len(candidates) + 1)):
        raise JournalError(f"{line.where}: field 'candidates[].rank' is {ranks}, not a permutation of 1..N")


def _issue(line: _Line, task_id: str, item: Any, path: str, model_of: dict[str, str], bound: int) -> Issue:
    if not isinstance(item, dict):
        raise JournalError(f"{line.where}: field '{path[:-1]}' is not an object")
    candidate_id = line.opt(item, "candidate_id", str)
    text = line.opt(item, "text", str, "")
    return Issue(
        task_id=task_id,
        candidate_id=candidate_id,
        model=line.opt(item, "model", str) or model_of.get(candidate_id or ""),
        category=line.get(item, "category", str, path),
        severity=line.opt(item, "severity", str, ""),
        text=text,
        # as long as its schema bound: cut there, maybe mid-word
        cut=bool(item.get("cut")) or len(text) >= bound,
    )


def _request(line: _Line, task_id: str, item: Any, path: str, *, succeeded: bool) -> Request:
    if not isinstance(item, dict):
        raise JournalError(f"{line.where}: field '{path[:-1]}' is not an object")
    latency = line.opt(item, "latency_s", NUMBER)
    return Request(
        task_id=task_id,
        backend=line.get(item, "backend", str, path),
        latency_s=None if latency is None else float(latency),
        prompt_tokens=int(line.opt(item, "prompt_tokens", int, 0)),
        completion_tokens=int(line.opt(item, "completion_tokens", int, 0)),
        succeeded=succeeded,
    )


def _add_failure(journal: Journal, line: _Line) -> None:
    task_id = line.get(line.obj, "task_id", str)
    kind = line.get(line.obj, "kind", str)
    requests = line.opt(line.obj, "requests", list, [])
    journal.attempts.add_failure(line.obj)
    journal.requests.extend(
        _request(line, task_id, item, f"requests[{i}].", succeeded=False) for i, item in enumerate(requests)
    )
    if task_id not in journal.result_task_ids:
        journal.failure_kinds[task_id] = kind


def _check_run(line: _Line) -> None:
    for name in ("started_at", "finished_at"):
        line.get(line.obj, name, NUMBER)
    for name in ("tasks_valid", "tasks_skipped", "foreign_tasks"):
        line.opt(line.obj, name, int)
