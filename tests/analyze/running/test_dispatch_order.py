"""Longest-expected-first dispatch (analyze.running.dispatch_order) against the in-process fake judge."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from analyze.inputs.tasks import Task, iter_tasks_at
from analyze.pipeline import execute_pipeline
from analyze.running.dispatch_order import DispatchPlan, expected_size

from tests.analyze.judge_fakes import FakeJudgeServer, fast_settings, make_task, quiet, read_jsonl

# candidates per task, in input order: t1 and t3 tie (same N, same code lengths), as do t0 and t4
SIZES = (2, 5, 3, 5, 2)
LONGEST_FIRST = ["t1", "t3", "t2", "t0", "t4"]
INPUT_ORDER = ["t0", "t1", "t2", "t3", "t4"]


def write_tasks(path: Path, extra_lines: dict[int, str] | None = None, pad: int = 0) -> Path:
    """SIZES' tasks, one per line, with `extra_lines` (index -> raw text) put before the task there;
    `pad` characters of metadata per line (not counted in its size)."""
    lines = []
    for i, n in enumerate(SIZES):
        if extra_lines and i in extra_lines:
            lines.append(extra_lines[i])
        extra = {"notes": "x" * pad} if pad else {}
        lines.append(json.dumps(make_task(f"t{i}", n=n, **extra)))
    path.write_text("\r\n".join(lines) + "\n", encoding="utf-8")
    return path


def sent_order(fake: FakeJudgeServer) -> list[str]:
    """The task ids of the fake's requests, in the order they arrived (the problem names the task)."""
    found = [re.search(r"Write add\(\) for (t\d+)", r["messages"][-1]["content"]) for r in fake.requests]
    return [m.group(1) for m in found if m]


def serial(tmp_path: Path, fake: FakeJudgeServer, **overrides: Any) -> Any:
    """One request in flight and one task started at a time, so arrival order is dispatch order."""
    values = {"concurrency": "1", "task_slots_floor": 1, "task_slots_per_permit": 1, **overrides}
    return fast_settings(tmp_path, [fake.base_url], **values)


def test_the_plan_reads_the_largest_tasks_back_first_and_ties_in_input_order(tmp_path: Path) -> None:
    # a rejected line and CRLF endings: the offsets must still point at each task's own line
    path = write_tasks(tmp_path / "tasks.jsonl", {2: "{not json"})
    plan = DispatchPlan()
    parsed: dict[str, Task] = {}
    for offset, item in iter_tasks_at(path):
        if isinstance(item, Task):
            plan.add(item, offset)
            parsed[item.task_id] = item
    again = list(plan.tasks(path))
    assert [t.task_id for t in again] == LONGEST_FIRST
    assert all(t == parsed[t.task_id] for t in again)  # the same task, line number included
    sizes = [expected_size(t) for t in again]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]


def test_a_run_sends_the_largest_tasks_first_by_default(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    write_tasks(tmp_path / "tasks.jsonl")
    outcome = execute_pipeline(serial(tmp_path, fake_judge), console=quiet(), report=False)
    assert outcome.stats.succeeded == len(SIZES)
    assert sent_order(fake_judge) == LONGEST_FIRST


def test_order_input_keeps_the_files_order(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    write_tasks(tmp_path / "tasks.jsonl")
    settings = serial(tmp_path, fake_judge, dispatch_order="input")
    execute_pipeline(settings, console=quiet(), report=False)
    assert sent_order(fake_judge) == INPUT_ORDER


def test_the_order_changes_when_a_task_is_judged_not_its_verdict(
    tmp_path: Path, fake_judge: FakeJudgeServer
) -> None:
    write_tasks(tmp_path / "tasks.jsonl")
    verdicts = {}
    for order in ("input", "longest-first"):
        out = tmp_path / order
        execute_pipeline(serial(tmp_path, fake_judge, dispatch_order=order, output_dir=out),
                         console=quiet(), report=False)  # fmt: skip
        verdicts[order] = {r["task_id"]: r["candidates"] for r in read_jsonl(out / "results.jsonl")}
    assert verdicts["input"] == verdicts["longest-first"]


def test_a_resumed_run_sends_only_the_rest_largest_first(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    write_tasks(tmp_path / "tasks.jsonl")
    execute_pipeline(serial(tmp_path, fake_judge, limit=2), console=quiet(), report=False)
    assert sent_order(fake_judge) == ["t1", "t0"]  # --limit takes the input's first 2, then sorts them
    outcome = execute_pipeline(serial(tmp_path, fake_judge), console=quiet(), report=False)
    assert (outcome.stats.tasks_skipped, outcome.stats.succeeded) == (2, 3)
    assert sent_order(fake_judge)[2:] == ["t3", "t2", "t4"]


@pytest.mark.timeout(60)
def test_an_input_cut_after_the_first_pass_stops_the_run_and_keeps_the_verdicts(
    tmp_path: Path, fake_judge: FakeJudgeServer
) -> None:
    # lines longer than the reader's buffer, so what is read back comes from the file, not a buffer
    path = write_tasks(tmp_path / "tasks.jsonl", pad=2 * io.DEFAULT_BUFFER_SIZE)

    def cut_the_input(_body: dict[str, Any], _n: int) -> None:
        path.write_text("", encoding="utf-8")  # the tasks not yet read back are gone
        return None  # then the fake's usual verdict

    fake_judge.behaviour = cut_the_input
    settings = serial(tmp_path, fake_judge, queue_size=1)
    outcome = execute_pipeline(settings, console=quiet(), report=False)
    assert outcome.stats.stopped is not None and f"cannot read {path} again" in outcome.stats.stopped
    judged = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert 1 <= len(judged) < len(SIZES) and judged[0]["task_id"] == "t1"
