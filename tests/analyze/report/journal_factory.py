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
        **fields: Any,
    ) -> dict[str, Any]:
        """`ranked` lists (model, overall or full scores) best first; candidate ids are c1, c2, ...
        `positions`, `passed` and `code_chars` are per candidate in the same order (best first)."""
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
    total: int, succeeded: int, failed: int, rejected: int = 0, skipped: int = 0
) -> dict[str, int]:
    """summary.json's "tasks" object."""
    return {
        "total": total,
        "succeeded": succeeded,
        "failed": failed,
        "rejected": rejected,
        "skipped": skipped,
    }
