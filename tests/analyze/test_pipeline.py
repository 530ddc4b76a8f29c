"""run_pipeline / execute_pipeline end to end against the in-process fake judge."""

from __future__ import annotations

from pathlib import Path

import pytest
from analyze import run_pipeline
from analyze.judging.request import JudgeTarget
from analyze.pipeline import NoModelError, build_pool, build_readiness, execute_pipeline, resolve_target

from .judge_fakes import FakeJudgeServer, fast_settings, make_task, quiet, read_jsonl, write_jsonl


def test_every_task_judged_once_and_journal_shape(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}", n=2 + i % 4) for i in range(20)])
    settings = fast_settings(tmp_path, [fake_judge.base_url])
    outcome = execute_pipeline(settings, console=quiet(), report=False)
    results = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert outcome.stats.succeeded == 20 and outcome.stats.failed == 0
    assert sorted(r["task_id"] for r in results) == sorted(f"t{i}" for i in range(20))
    for record in results:
        assert record["schema"] == 1 and record["judge_model"] == "fake-judge"
        ranks = sorted(c["rank"] for c in record["candidates"])
        assert ranks == list(range(1, len(record["candidates"]) + 1))
        assert sorted(c["position"] + 1 for c in record["candidates"]) == ranks
        assert record["requests"][0]["backend"] == "fake-1"
        assert record["requests"][0]["prompt_tokens"] == 100
    runs = read_jsonl(tmp_path / "out" / "runs.jsonl")
    assert runs[-1]["succeeded"] == 20 and runs[-1]["interrupted"] is False


def test_rerun_skips_judged_tasks(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}") for i in range(5)])
    settings = fast_settings(tmp_path, [fake_judge.base_url])
    execute_pipeline(settings, console=quiet(), report=False)
    sent = len(fake_judge.requests)
    outcome = execute_pipeline(settings, console=quiet(), report=False)
    assert outcome.stats.tasks_skipped == 5 and outcome.stats.succeeded == 0
    assert len(fake_judge.requests) == sent
    assert len(read_jsonl(tmp_path / "out" / "results.jsonl")) == 5


def test_run_pipeline_accepts_seed_arguments(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    import openai

    write_jsonl(tmp_path / "tasks.jsonl", [make_task("only")])
    client = openai.OpenAI(base_url=fake_judge.base_url, api_key="x")
    paths = run_pipeline(
        input_jsonl=tmp_path / "tasks.jsonl", output_dir=tmp_path / "o", client=client, report=False
    )
    assert paths["results"] == tmp_path / "o" / "results.jsonl"
    assert read_jsonl(paths["results"])[0]["task_id"] == "only"


def test_failed_tasks_are_tried_again_next_run(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    from .judge_fakes import error

    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}") for i in range(3)])
    settings = fast_settings(tmp_path, [fake_judge.base_url], max_retries=1)
    fake_judge.behaviour = lambda _b, _n: error(503, "warming up")
    first = execute_pipeline(settings, console=quiet(), report=False)
    assert (first.stats.succeeded, first.stats.failed) == (0, 3)
    fake_judge.behaviour = None
    second = execute_pipeline(settings, console=quiet(), report=False)
    assert (second.stats.succeeded, second.stats.failed, second.stats.tasks_skipped) == (3, 0, 0)
    assert len(read_jsonl(tmp_path / "out" / "failures.jsonl")) == 3  # history is kept
    assert len(read_jsonl(tmp_path / "out" / "results.jsonl")) == 3


def test_auto_concurrency_uses_the_adaptive_limiter(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}") for i in range(10)])
    settings = fast_settings(tmp_path, [fake_judge.base_url], concurrency="auto")
    outcome = execute_pipeline(settings, console=quiet(), report=False)
    assert outcome.stats.succeeded == 10
    assert read_jsonl(tmp_path / "out" / "runs.jsonl")[-1]["concurrency"] >= 1


async def test_auto_starts_at_the_same_limit_whatever_the_fleet_and_slots_follow_it(tmp_path: Path) -> None:
    from analyze.pipeline import build_limiter, build_task_slots

    one = fast_settings(tmp_path, ["http://127.0.0.1:9/v1"], concurrency="auto")
    four = fast_settings(tmp_path, [f"http://127.0.0.1:{p}/v1" for p in range(9, 13)], concurrency="auto")
    limiters = [build_limiter(s, s.resolved_base_urls()) for s in (one, four)]
    assert [limiter.limit for limiter in limiters] == [one.auto_initial_concurrency] * 2
    slots = build_task_slots(one, limiters[0])
    assert slots.bound == one.task_slots_per_permit * one.auto_initial_concurrency
    limiters[0].limit = 10 * one.auto_initial_concurrency  # the metrics found a much larger fleet
    assert slots.bound == one.task_slots_per_permit * 10 * one.auto_initial_concurrency
    assert (
        build_limiter(fast_settings(tmp_path, ["http://h/v1"], concurrency="12"), ["http://h/v1"]).limit == 12
    )


@pytest.mark.parametrize("wait_ready_s", [10.0, 0.0])
def test_start_up_reads_the_model_list_once(tmp_path: Path, wait_ready_s: float) -> None:
    """Readiness's reading also gives the judge target; without readiness one reading still happens."""
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}") for i in range(4)])
    with FakeJudgeServer(name="a") as a, FakeJudgeServer(name="b") as b:
        settings = fast_settings(tmp_path, [a.base_url, b.base_url], wait_ready_s=wait_ready_s)
        outcome = execute_pipeline(settings, console=quiet(), report=False)
        assert outcome.stats.succeeded == 4
        assert (a.models_reads, b.models_reads) == (1, 1)


async def test_the_judge_target_takes_the_smallest_context_listed(tmp_path: Path) -> None:
    with (
        FakeJudgeServer(name="a", max_model_len=8192) as a,
        FakeJudgeServer(name="b", max_model_len=4096) as b,
    ):
        settings = fast_settings(tmp_path, [a.base_url, b.base_url])
        pool = build_pool(settings)
        assert await resolve_target(pool) == JudgeTarget("fake-judge", 4096)
        async with build_readiness(settings, pool, quiet()).watching() as readiness:
            model = await readiness.wait_first()
            target = await resolve_target(pool, model, readiness.start_readings())
        assert target == JudgeTarget("fake-judge", 4096)
        assert (a.models_reads, b.models_reads) == (2, 2)  # one reading each way, none more


async def test_no_answer_from_any_backend_names_each_one(tmp_path: Path) -> None:
    pool = build_pool(fast_settings(tmp_path, ["http://127.0.0.1:9/v1"]))
    with pytest.raises(
        NoModelError, match=r"cannot choose a judge model \(pass --model\): http://127.0.0.1:9/v1: "
    ):
        await resolve_target(pool)
    with FakeJudgeServer() as fake:
        pool = build_pool(fast_settings(tmp_path, [fake.base_url]))
        assert await resolve_target(pool, "fake-judge") == JudgeTarget("fake-judge", None)
        assert await resolve_target(pool, "other") == JudgeTarget("other", None)  # listed nowhere: no context
