"""The journal's records (docs/journal-format.md): their files, their fields, the schema rule, and the
builders of the lines every writer shares.

`analyze run`, `analyze import-batch`, the report and the benchmarks all name the files and check a line's
schema through this module, so the format has one definition. The line types are TypedDicts: a line on disk
is plain JSON, and these say which fields it has and what they hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Protocol, TypedDict

JOURNAL_SCHEMA: Final = 1

RESULTS_FILE: Final = "results.jsonl"
FAILURES_FILE: Final = "failures.jsonl"
REJECTS_FILE: Final = "rejects.jsonl"
RUNS_FILE: Final = "runs.jsonl"
# What the sandbox found per task, written before the task is judged, so a rerun need not run it again.
EXECUTIONS_FILE: Final = "executions.jsonl"
JOURNAL_FILES: Final = (RESULTS_FILE, FAILURES_FILE, REJECTS_FILE, RUNS_FILE, EXECUTIONS_FILE)
# Held with flock by the one run writing a directory.
LOCK_FILE: Final = ".analyze.lock"


class JournalFormatError(ValueError):
    """A journal line this version cannot read: another schema, or none."""


def check_schema(record: dict[str, Any], where: str) -> None:
    """The one schema rule: every line carries `schema` and it is this version's.

    The writer stamps every line, so a line without one was not written by analyze; reading it as the
    current format would be a guess.
    """
    schema = record.get("schema")
    if schema != JOURNAL_SCHEMA:
        raise JournalFormatError(
            f"{where}: field 'schema' is {schema!r}; this version reads {JOURNAL_SCHEMA}"
        )


def journal_paths(output_dir: Path) -> dict[str, Path]:
    """The journal files present in `output_dir`, by name without `.jsonl`."""
    return {
        name.removesuffix(".jsonl"): output_dir / name
        for name in JOURNAL_FILES
        if (output_dir / name).exists()
    }


class ExecutionEntry(TypedDict):
    """What the sandbox found for one candidate (inputs.outcomes.ExecutionResult)."""

    status: str  # passed | failed | error | timeout | not_run
    tests_passed: int
    tests_total: int
    duration_s: float
    detail: str


class CandidateEntry(TypedDict, total=False):
    candidate_id: str
    model: str
    label: str  # the neutral label the judge saw in the forward pass
    position: int  # 0-based place in the forward pass's presentation order
    truncated: bool
    code_chars: int
    passed: bool | None  # the input's label, else the execution's outcome; None: unknown
    passed_source: str | None  # "input" | "execution" | None
    execution: ExecutionEntry | None  # None: the task's tests were not run
    scores: dict[str, float]
    rank: int


class IssueEntry(TypedDict, total=False):
    candidate_id: str | None
    model: str | None
    category: str
    severity: str
    text: str


class RequestEntry(TypedDict, total=False):
    order: str
    backend: str
    attempts: int
    latency_s: float | None
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None


class ResultLine(TypedDict, total=False):
    """A results.jsonl line: one task's verdict (merged over the --swap passes)."""

    schema: int
    run_id: str
    task_id: str
    line: int
    content: str  # the task's content digest (inputs.tasks.task_digest) when it was judged
    candidates: list[CandidateEntry]
    issues: list[IssueEntry]
    judge_model: str
    fingerprint: str | None
    requests: list[RequestEntry]
    swap: dict[str, Any] | None
    started_at: float
    finished_at: float


class FailureLine(TypedDict):
    """A failures.jsonl line: a task with no valid verdict this run, and why."""

    run_id: str
    task_id: str
    line: int
    kind: str  # one of constants.FAILURE_KINDS
    reason: str
    attempts: int
    fingerprint: str | None
    requests: list[RequestEntry]
    started_at: float
    finished_at: float


class ExecutionsLine(TypedDict):
    """An executions.jsonl line: one task's candidates run against its tests."""

    run_id: str
    task_id: str
    content: str  # the task's content digest: a changed task is run again
    timeout_s: float
    candidates: dict[str, ExecutionEntry]  # by candidate_id


class RejectLine(TypedDict):
    """A rejects.jsonl line: an input line that is not a valid task."""

    line: int
    task_id: str | None
    reason: str


def reject_record(line: int, task_id: str | None, reason: str) -> RejectLine:
    return {"line": line, "task_id": task_id, "reason": reason}


class RunCounts(Protocol):
    """What a run counted (running.runner.RunStats)."""

    run_id: str
    tasks_valid: int
    tasks_skipped: int
    succeeded: int
    failed: int
    rejected: int
    interrupted: bool
    stopped: str | None
    foreign_tasks: int


class RunLine(TypedDict, total=False):
    """A runs.jsonl line: one `analyze run` or `analyze import-batch`, appended when it ends."""

    run_id: str
    started_at: float
    finished_at: float
    imported_at: float  # import-batch only: when the Batch output was read; the span is the batch's own
    input: str
    backends: list[str]
    judge_model: str
    concurrency: int | None  # the in-flight limit at the end; None for a Batch
    swap: bool
    seed: int
    fingerprint: str
    configuration: dict[str, Any]
    mixed_with: list[str]
    foreign_tasks: int  # verdicts of tasks not in this run's input, kept by --force-resume
    tasks_valid: int
    tasks_skipped: int
    succeeded: int
    failed: int
    rejected: int
    interrupted: bool
    stopped: str | None


def run_record(
    counts: RunCounts,
    *,
    span: tuple[float, float],
    input_path: Path,
    backends: list[str],
    concurrency: int | None,
    configuration: dict[str, Any],
    digest: str,
    mixed_with: list[str],
    imported_at: float | None = None,
) -> RunLine:
    """The runs.jsonl line, the same for a live run and a Batch import."""
    record: RunLine = {
        "run_id": counts.run_id,
        "started_at": span[0],
        "finished_at": span[1],
        "input": str(input_path),
        "backends": backends,
        "judge_model": configuration["judge_model"],
        "concurrency": concurrency,
        "swap": configuration["swap"],
        "seed": configuration["seed"],
        "fingerprint": digest,
        "configuration": configuration,
        "mixed_with": mixed_with,
        "foreign_tasks": counts.foreign_tasks,
        "tasks_valid": counts.tasks_valid,
        "tasks_skipped": counts.tasks_skipped,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "rejected": counts.rejected,
        "interrupted": counts.interrupted,
        "stopped": counts.stopped,
    }
    if imported_at is not None:
        record["imported_at"] = imported_at
    return record
