"""Readiness, against real simulator processes (the stand-in for a vLLM fleet still loading its model:
`--startup-delay` answers 503 on /health and /v1/* for that long, as vLLM does while it loads).

A run waits for the first backend to list the judge model, takes later ones as they come up, and
waits out a fleet that restarts mid-run instead of spending the tasks' retries on it."""

from __future__ import annotations

import io
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from analyze.fleet.readiness import ProbeState, classify_models_answer
from analyze.pipeline import execute_pipeline
from analyze.progress import Console
from vllm_sim.testing import start_simulator

from tests.analyze.judge_fakes import fast_settings, read_jsonl
from tests.analyze.sim_runs import analyze_run, sim_configure, task_file, when_lines

SLOW = {"time_scale": 1.0, "output_len": "fixed:30", "itl_ms": 10, "ttft_overhead_ms": 20, "jitter": 0}


@pytest.mark.slow
def test_run_waits_for_a_loading_fleet_and_late_instances_join(tmp_path: Path) -> None:
    ids = task_file(tmp_path / "tasks.jsonl", 40)
    console_out = io.StringIO()
    with ExitStack() as stack:
        early = stack.enter_context(start_simulator(name="early", **SLOW))
        late = stack.enter_context(start_simulator(name="late", **SLOW))
        # "loading" from now on (re-armed here, so slow process starts cannot eat the delay)
        sim_configure(early.base_url, startup_delay=2)
        sim_configure(late.base_url, startup_delay=4)
        settings = fast_settings(
            tmp_path, [early.base_url, late.base_url], concurrency="2", max_retries=1, progress_interval_s=0.5
        )
        outcome = execute_pipeline(settings, console=Console("en", stream=console_out), report=False)
    out = console_out.getvalue()
    assert outcome.stats.failed == 0 and outcome.stats.succeeded == 40, out
    assert sorted(r["task_id"] for r in read_jsonl(tmp_path / "out" / "results.jsonl")) == ids
    assert read_jsonl(tmp_path / "out" / "failures.jsonl") == []
    assert "Waiting for the fleet: 2 backend(s), model ?" in out
    assert "waited" in out and "HTTP 503" in out  # progress names what each backend answers
    assert f"{late.base_url}/v1 is up and joins the run" in out
    served = Counter(
        req["backend"] for r in read_jsonl(tmp_path / "out" / "results.jsonl") for req in r["requests"]
    )
    assert served["early"] > 0 and served["late"] > 0, served


def test_without_the_wait_the_same_fleet_fails_tasks(tmp_path: Path) -> None:
    """The contrast: what `make up && make analyze` did before (every task's retries spent at once)."""
    task_file(tmp_path / "tasks.jsonl", 6)
    with start_simulator(name="loading", startup_delay=30, wait_ready=False, time_scale=0) as sim:
        settings = fast_settings(tmp_path, [sim.base_url], wait_ready_s=0, model="sim-model", max_retries=2)
        outcome = execute_pipeline(settings, console=Console("en", stream=io.StringIO()), report=False)
    assert outcome.stats.failed == 6 and outcome.stats.succeeded == 0
    assert all("HTTP 503" in f["reason"] for f in read_jsonl(tmp_path / "out" / "failures.jsonl"))


def test_a_fleet_restarting_mid_run_is_waited_out_not_counted(tmp_path: Path) -> None:
    ids = task_file(tmp_path / "tasks.jsonl", 30)
    with start_simulator(name="solo", **SLOW) as sim:
        results = tmp_path / "out" / "results.jsonl"
        restart = when_lines(results, 5, lambda: sim_configure(sim.base_url, startup_delay=1.5))
        # max_retries 1: two counted 503s would fail a task; the restart answers 503 for 1.5 s
        run = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--concurrency", "4",
                          "--max-retries", "1")  # fmt: skip
        restart.join(5)
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(r["task_id"] for r in read_jsonl(results)) == ids
    attempts = [req["attempts"] for r in read_jsonl(results) for req in r["requests"]]
    assert max(attempts) > 1, "the restart must have answered some attempts with 503"
    assert read_jsonl(tmp_path / "out" / "failures.jsonl") == []


def test_a_fleet_that_never_comes_up_stops_the_run_with_exit_2(tmp_path: Path) -> None:
    task_file(tmp_path / "tasks.jsonl", 3)
    with start_simulator(startup_delay=120, wait_ready=False, time_scale=0) as sim:
        run = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--model", "sim-model",
                          "--wait-ready", "2")  # fmt: skip
    assert run.returncode == 2, run.stdout + run.stderr
    assert "no backend listed the judge model 'sim-model' on /v1/models within 2 s" in run.stderr
    assert "HTTP 503" in run.stderr and "--wait-ready" in run.stderr
    assert "Waiting for the fleet: 1 backend(s), model sim-model" in run.stdout
    assert not (tmp_path / "out" / "results.jsonl").exists()


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        (["--model", "nope"], {}, "serves sim-model, not 'nope' -- pass the served name with --model"),
        ([], {"ANALYZE_API_KEY": "wrong"}, "HTTP 401 on /v1/models -- the API key is refused"),
    ],
)
def test_a_fleet_that_is_up_but_refuses_us_is_named_at_once(
    tmp_path: Path, flags: list[str], env: dict[str, str], message: str
) -> None:
    from tests.analyze.sim_runs import clean_env

    task_file(tmp_path / "tasks.jsonl", 3)
    with start_simulator(time_scale=0, api_key="right") as sim:
        key = {"ANALYZE_API_KEY": "right", **env}
        run = analyze_run(
            tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], *flags, env=clean_env(**key)
        )
    assert run.returncode == 2, run.stdout + run.stderr
    assert message in run.stderr
    assert run.seconds < 30  # named at once, not after the 30-minute default wait


@pytest.mark.parametrize(
    ("status", "payload", "model", "state"),
    [
        (200, {"data": [{"id": "m"}]}, "m", ProbeState.UP),
        (200, {"data": [{"id": "m"}]}, None, ProbeState.UP),
        (200, {"data": []}, None, ProbeState.STARTING),
        (200, {"data": [{"id": "other"}]}, "m", ProbeState.REFUSED),
        (200, "not json", "m", ProbeState.REFUSED),
        (502, None, "m", ProbeState.STARTING),
        (503, None, "m", ProbeState.STARTING),
        (500, None, "m", ProbeState.STARTING),
        (429, None, "m", ProbeState.STARTING),
        (401, None, "m", ProbeState.REFUSED),
        (404, None, "m", ProbeState.REFUSED),
    ],
)
def test_models_answers_sort_into_up_starting_refused(
    status: int, payload: object, model: str | None, state: ProbeState
) -> None:
    assert classify_models_answer(status, payload, model).state is state
