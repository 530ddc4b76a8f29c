"""Fail fast, against real simulator processes: the same refusal for K tasks in a row stops the run with
one message naming the cause (exit 2), and the journal is kept for the rerun."""

from __future__ import annotations

from pathlib import Path

import pytest
from analyze.fleet.concurrency import OutcomeKind
from analyze.fleet.retry import ErrorClass
from analyze.running.fail_fast import RefusalStreak
from vllm_sim.testing import start_simulator

from tests.analyze.judge_fakes import read_jsonl
from tests.analyze.sim_runs import analyze_run, clean_env, jsonl_ids, sim_configure, task_file, when_lines

SLOW = {"time_scale": 1.0, "output_len": "fixed:20", "itl_ms": 10, "ttft_overhead_ms": 20, "jitter": 0}


def test_a_wrong_model_name_stops_after_k_tasks_with_one_message(tmp_path: Path) -> None:
    task_file(tmp_path / "tasks.jsonl", 40)
    with start_simulator(time_scale=0) as sim:
        # --wait-ready 0 skips the probe that would name the model before any task (test_readiness)
        run = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--model", "nope",
                          "--wait-ready", "0", "--concurrency", "2")  # fmt: skip
    assert run.returncode == 2, run.stdout + run.stderr
    stopped = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert stopped == [
        "error: run stopped: the last 5 tasks were all refused with the same answer "
        "(HTTP 404: Error code: 404 - The model `nope` does not exist.); the judge model or URL is wrong: "
        "compare --model / ANALYZE_MODEL with `analyze check`"
    ]
    failures = read_jsonl(tmp_path / "out" / "failures.jsonl")
    assert 5 <= len(failures) < 10, "stopped after K, not after the whole input"
    assert (tmp_path / "out" / "runs.jsonl").exists()
    assert read_jsonl(tmp_path / "out" / "runs.jsonl")[-1]["stopped"].startswith("the last 5 tasks")


@pytest.mark.slow
def test_a_key_changed_mid_run_stops_it_and_the_rerun_resumes(tmp_path: Path) -> None:
    ids = task_file(tmp_path / "tasks.jsonl", 40)
    results = tmp_path / "out" / "results.jsonl"
    with start_simulator(api_key="old", **SLOW) as sim:
        rotate = when_lines(results, 6, lambda: sim_configure(sim.base_url, bearer="old", api_key="new"))
        run = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--concurrency", "2",
                          env=clean_env(ANALYZE_API_KEY="old"))  # fmt: skip
        rotate.join(5)
        assert run.returncode == 2, run.stdout + run.stderr
        assert (
            "refused with the same answer (HTTP 401" in run.stderr and "the API key is refused" in run.stderr
        )
        kept = jsonl_ids(results)
        assert 6 <= len(kept) < 40
        rerun = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--concurrency", "2",
                            env=clean_env(ANALYZE_API_KEY="new"))  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"already done {len(kept)}" in rerun.stdout
    assert sorted(jsonl_ids(results)) == ids  # each task once: the first run's verdicts were kept


def refusal(status: int, reason: str) -> ErrorClass:
    return ErrorClass("error", False, OutcomeKind.ERROR, False, reason, status=status)


def test_the_streak_needs_the_same_refusal_in_a_row() -> None:
    streak = RefusalStreak(3)
    a, b = refusal(404, "HTTP 404: no model"), refusal(401, "HTTP 401: key")
    assert [streak.record(False, a), streak.record(False, a)] == [None, None]
    assert streak.record(True, None) is None  # a success resets
    assert [streak.record(False, a), streak.record(False, a), streak.record(False, b)] == [None, None, None]
    assert streak.record(False, None) is None  # another kind of failure (timeout, bad verdict) resets
    assert [streak.record(False, b) for _ in range(2)] == [None, None]
    message = streak.record(False, b)
    assert message is not None and "the last 3 tasks" in message and "HTTP 401: key" in message


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_refusing_statuses_other_than_context_length(status: int) -> None:
    from analyze.fleet.retry import classify_status

    assert classify_status(status, "bad", {}, {}).refuses_every_request
    assert not classify_status(400, "maximum context length is 10 tokens", {}, {}).refuses_every_request
    assert not classify_status(503, "starting", {}, {}).refuses_every_request


def test_zero_never_stops() -> None:
    streak = RefusalStreak(0)
    assert all(streak.record(False, refusal(401, "k")) is None for _ in range(50))
