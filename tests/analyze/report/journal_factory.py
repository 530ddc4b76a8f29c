"""Write journal files (docs/journal-format.md) for report tests, one call per line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DIMENSIONS = ("correctness", "readability", "efficiency", "robustness", "maintainability")


def scores(overall: float, **dimensions: float) -> dict[str, float]:
    """Every dimension equal to `overall` unless given."""
    return {name: dimensions.get(name, overall) for name in DIMENSIONS} | {"overall": overall}


class JournalDir:
    """An output directory whose journal files the test fills line by line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def append(self, file: str, obj: dict[str, Any]) -> dict[str, Any]:
        with (self.path / file).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return obj

    def append_raw(self, file: str, text: str) -> None:
        with (self.path / file).open("a", encoding="utf-8") as handle:
            handle.write(text)

    def result(
        self,
        task_id: str,
        ranked: Sequence[tuple[str, float | dict[str, float]]],
        *,
        issues: Sequence[dict[str, Any]] = (),
        requests: Sequence[dict[str, Any]] = (),
        swap: dict[str, Any] | None = None,
        positions: Sequence[int] | None = None,
        passed: Sequence[bool | None] | None = None,
        code_chars: Sequence[int] | None = None,
        executions: Sequence[dict[str, Any] | None] | None = None,
        passed_source: Sequence[str | None] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """`ranked` lists (model, overall or full scores) best first; candidate ids are c1, c2, ...
        `positions`, `passed`, `code_chars`, `executions` and `passed_source` are per candidate in the same
        order (best first). With `executions` and no `passed`, `passed` and `passed_source` follow from
        them as the job writes them (passed -> true; failed, error, timeout -> false; not_run -> null)."""
        if executions is not None and passed is None:
            passed = [outcome(e) for e in executions]
            passed_source = passed_source or [None if p is None else "execution" for p in passed]
        candidates = []
        for rank, (model, score) in enumerate(ranked, start=1):
            position = positions[rank - 1] if positions else rank - 1
            candidate = {
                "candidate_id": f"c{rank}",
                "model": model,
                "label": chr(ord("A") + position),
                "position": position,
                "truncated": False,
                "scores": score if isinstance(score, dict) else scores(score),
                "rank": rank,
            }
            if passed is not None:
                candidate["passed"] = passed[rank - 1]
            if code_chars is not None:
                candidate["code_chars"] = code_chars[rank - 1]
            if executions is not None:
                candidate["execution"] = executions[rank - 1]
            if passed_source is not None:
                candidate["passed_source"] = passed_source[rank - 1]
            candidates.append(candidate)
        line = {
            "schema": 1,
            "run_id": "run-1",
            "task_id": task_id,
            "line": 1,
            "language": "python",
            "meta": {},
            "judge_model": "judge",
            "candidates": candidates,
            "issues": list(issues),
            "rationale": "",
            "swap": swap,
            "requests": list(requests),
            "started_at": 1000.0,
            "finished_at": 1001.0,
        } | fields
        return self.append("results.jsonl", line)

    def failure(
        self, task_id: str, kind: str = "retries_exhausted", requests: Sequence[dict[str, Any]] = ()
    ) -> None:
        self.append(
            "failures.jsonl",
            {
                "schema": 1,
                "run_id": "run-1",
                "task_id": task_id,
                "line": 1,
                "kind": kind,
                "reason": kind,
                "attempts": 5,
                "requests": list(requests),
                "finished_at": 1000.0,
            },
        )

    def reject(self, line: int, reason: str) -> None:
        self.append("rejects.jsonl", {"schema": 1, "line": line, "task_id": None, "reason": reason})

    def run(self, started: float, finished: float, *, tasks_valid: int, tasks_skipped: int = 0) -> None:
        self.append(
            "runs.jsonl",
            {
                "schema": 1,
                "run_id": f"run-{started}",
                "started_at": started,
                "finished_at": finished,
                "input": "tasks.jsonl",
                "backends": [],
                "judge_model": "judge",
                "concurrency": 4,
                "swap": False,
                "seed": 0,
                "tasks_valid": tasks_valid,
                "tasks_skipped": tasks_skipped,
                "succeeded": 0,
                "failed": 0,
                "rejected": 0,
                "interrupted": False,
            },
        )


def execution(
    status: str,
    tests_passed: int | None = None,
    tests_total: int = 3,
    detail: str = "",
    duration_s: float = 0.1,
) -> dict[str, Any]:
    """A candidate's `execution` object; `tests_passed` defaults to all for passed, else none."""
    if tests_passed is None:
        tests_passed = tests_total if status == "passed" else 0
    return {
        "status": status,
        "tests_passed": tests_passed,
        "tests_total": tests_total,
        "duration_s": duration_s,
        "detail": detail,
    }


def outcome(execution: dict[str, Any] | None) -> bool | None:
    """`passed` as the job derives it from an execution."""
    if execution is None or execution["status"] == "not_run":
        return None
    return execution["status"] == "passed"


def request(
    backend: str,
    latency_s: float,
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    attempts: int | list[dict[str, Any]] = 1,
) -> dict[str, Any]:
    """`attempts`: a count (the first journal format) or a per-attempt log (what each retry changed)."""
    return {
        "order": "forward",
        "backend": backend,
        "latency_s": latency_s,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "attempts": attempts,
    }


def issue(
    candidate_id: str, model: str, text: str, category: str = "robustness", severity: str = "medium"
) -> dict[str, Any]:
    return {
        "candidate_id": candidate_id,
        "model": model,
        "category": category,
        "severity": severity,
        "text": text,
    }


def task_counts(
    total: int, succeeded: int, failed: int, rejected: int = 0, skipped: int = 0, foreign: int = 0
) -> dict[str, int]:
    """summary.json's "tasks" object."""
    return {
        "total": total,
        "foreign": foreign,
        "succeeded": succeeded,
        "failed": failed,
        "rejected": rejected,
        "skipped": skipped,
    }
