"""executions.jsonl read back: a rerun reuses what the sandbox already found for a task whose content
and execution limit are unchanged, instead of running its candidates again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from analyze.inputs.outcomes import ExecutionResult, OutcomeError, result_from_record
from analyze.inputs.tasks import Task, task_digest
from analyze.journal.records import EXECUTIONS_FILE, ExecutionsLine
from analyze.journal.store import iter_journal


@dataclass(frozen=True)
class Executed:
    content: str
    timeout_s: float
    results: dict[str, ExecutionResult]


def executions_line(run_id: str, task: Task, timeout_s: float) -> ExecutionsLine:
    return {
        "run_id": run_id,
        "task_id": task.task_id,
        "content": task_digest(task),
        "timeout_s": timeout_s,
        "candidates": {
            c.candidate_id: c.execution.as_record()  # type: ignore[misc]
            for c in task.candidates
            if c.execution is not None
        },
    }


def read_executed(output_dir: Path, skip: set[str]) -> dict[str, Executed]:
    """What executions.jsonl holds per task id, for tasks not in `skip` (those already judged); the last
    line of a task wins. A line that does not parse is passed over: that task simply runs again."""
    found: dict[str, Executed] = {}
    for record in iter_journal(output_dir / EXECUTIONS_FILE):
        task_id, content, timeout, raw = (
            record.get(k) for k in ("task_id", "content", "timeout_s", "candidates")
        )
        if not isinstance(task_id, str) or task_id in skip or not isinstance(raw, dict):
            continue
        if not isinstance(content, str) or not isinstance(timeout, int | float):
            continue
        try:
            results = {str(cid): result_from_record(entry) for cid, entry in raw.items()}
        except OutcomeError:
            continue
        found[task_id] = Executed(content, float(timeout), results)
    return found


def reuse(task: Task, executed: Executed | None, timeout_s: float) -> Task | None:
    """The task with its earlier results when they still apply (same content and limit, every candidate
    covered), else None."""
    if executed is None or executed.timeout_s != timeout_s or executed.content != task_digest(task):
        return None
    if any(c.candidate_id not in executed.results for c in task.candidates):
        return None
    candidates = tuple(replace(c, execution=executed.results[c.candidate_id]) for c in task.candidates)
    return replace(task, candidates=candidates)
