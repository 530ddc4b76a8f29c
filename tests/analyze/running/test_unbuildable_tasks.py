"""Tasks whose request cannot be built, against real simulator processes: each is recorded in
failures.jsonl with its reason and the run goes on. Before, the in-flight permit taken for such a task
was never given back, so with --concurrency 2 a run with a few of them hung forever."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from analyze.fleet.concurrency import FixedLimiter
from analyze.fleet.multi_vllm import BackendPool
from analyze.inputs.tasks import Candidate, Task
from analyze.judging.judge import TaskJudge
from analyze.judging.request import JudgeTarget
from analyze.settings import Settings
from vllm_sim.testing import start_simulator

from tests.analyze.judge_fakes import make_task, read_jsonl, write_jsonl
from tests.analyze.sim_runs import analyze_run


def every_delimiter_tag(task_id: str, seed: int = 0) -> str:
    """Text holding every tag analyze.judging.prompt.delimiter_tag would try for this task: no tag is left
    that the text lacks, so its prompt cannot be built (valid input, `analyze validate` accepts it)."""
    return " ".join(
        "#" + hashlib.sha256(f"{seed}:{task_id}:{salt}".encode()).hexdigest()[:12] for salt in range(1000)
    )


def test_unbuildable_tasks_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    records = [make_task(f"t{i:02d}") for i in range(12)]
    poisoned = {f"t{i:02d}" for i in (1, 2, 6, 9)}
    for record in records:
        if record["task_id"] in poisoned:
            record["problem"] = every_delimiter_tag(record["task_id"])
    write_jsonl(tmp_path / "tasks.jsonl", records)
    with start_simulator(time_scale=0) as sim:
        run = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--concurrency", "2")
    assert run.returncode == 1, run.stdout + run.stderr  # some tasks failed: not a success, not a hang
    failures = read_jsonl(tmp_path / "out" / "failures.jsonl")
    assert {f["task_id"] for f in failures} == poisoned
    assert all("could not find a delimiter tag absent from its text" in f["reason"] for f in failures)
    assert len(read_jsonl(tmp_path / "out" / "results.jsonl")) == 8


def test_a_bad_prompts_dir_template_fails_each_task_with_its_reason(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}") for i in range(6)])
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "user.md").write_text("Judge {{candidates}} for {{nope}}\n", encoding="utf-8")
    with start_simulator(time_scale=0) as sim:
        run = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--concurrency", "2",
                          "--prompts-dir", str(prompts))  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    failures = read_jsonl(tmp_path / "out" / "failures.jsonl")
    assert len(failures) == 6
    assert all("prompt template uses unknown placeholder {{nope}}" in f["reason"] for f in failures)


async def test_a_task_built_in_code_with_a_lone_surrogate_fails_alone() -> None:
    """The API path (run_pipeline callers build Task objects themselves, past the input validation)."""
    bad = Task(
        "bad", 1, "fix \ud800 this", "python", (Candidate("a", "m", "x = 1"), Candidate("b", "m", "y"))
    )
    good = Task("good", 2, "add", "python", (Candidate("a", "m", "x = 1"), Candidate("b", "m", "y = 2")))
    with start_simulator(time_scale=0) as sim:
        limiter = FixedLimiter(1)
        settings = Settings.model_validate({"max_retries": 0})
        judge = TaskJudge(BackendPool([sim.base_url]), limiter, settings, JudgeTarget("sim-model"), "r")
        try:
            failed = await asyncio.wait_for(judge.judge(bad), 10)
            judged = await asyncio.wait_for(judge.judge(good), 10)  # would wait forever for a lost permit
        finally:
            await judge.aclose()
    assert not failed.ok and "UnicodeEncodeError" in failed.record["reason"]
    assert judged.ok, judged.record
