"""Never losing work: `kill -9` and Ctrl-C of a real `analyze run` subprocess, then a rerun that completes
the job with exactly one result per task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from vllm_sim.testing import run_simulator

from tests.analyze.judge_fakes import make_task, read_jsonl, write_jsonl

N_TASKS = 80
WAIT_S = 60.0


@pytest.fixture
def slow_sim() -> Iterator[str]:
    # Enough latency that the run is still going when the test interrupts it.
    with run_simulator(name="sim-slow", time_scale=0.2, output_len="fixed:20", max_num_seqs=4) as url:
        yield url


def analyze_cmd(tmp_path: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-m", "analyze.cli", "run", str(tmp_path / "tasks.jsonl"),
        "-o", str(tmp_path / "out"), "--base-url", base_url, "--concurrency", "4",
        "--no-report", "--lang", "en",
    ]  # fmt: skip


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ANALYZE_", "VLLM_", "USE_MULTI"))}


def start_run(tmp_path: Path, base_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        analyze_cmd(tmp_path, base_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
    )


def wait_for_results(path: Path, at_least: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= at_least:
            return
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("no progress")


def rerun(tmp_path: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    """Finish the job; the simulator drops its latency first so the rest goes fast."""
    httpx.post(f"{base_url}/admin/config", json={"time_scale": 0}, timeout=5).raise_for_status()
    return subprocess.run(
        analyze_cmd(tmp_path, base_url), capture_output=True, text=True, env=clean_env(), timeout=120
    )


def one_result_per_task(tmp_path: Path) -> None:
    ids = Counter(r["task_id"] for r in read_jsonl(tmp_path / "out" / "results.jsonl"))
    assert len(ids) == N_TASKS and set(ids.values()) == {1}


def test_kill_9_then_rerun_gives_exactly_one_result_per_task(tmp_path: Path, slow_sim: str) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i:03d}") for i in range(N_TASKS)])
    proc = start_run(tmp_path, slow_sim)
    results = tmp_path / "out" / "results.jsonl"
    wait_for_results(results, 10, proc)
    proc.kill()
    proc.wait(10)
    done_before = results.read_bytes().count(b"\n")
    assert done_before < N_TASKS, "the run finished before it could be killed"
    finished = rerun(tmp_path, slow_sim)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert f"already done {done_before}" in finished.stdout
    one_result_per_task(tmp_path)


def test_torn_last_line_is_redone(tmp_path: Path, slow_sim: str) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i:03d}") for i in range(N_TASKS)])
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text('{"schema": 1, "task_id": "t000", "candidates": [', encoding="utf-8")
    finished = rerun(tmp_path, slow_sim)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    one_result_per_task(tmp_path)


def test_sigint_drains_in_flight_then_rerun_resumes(tmp_path: Path, slow_sim: str) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i:03d}") for i in range(N_TASKS)])
    proc = start_run(tmp_path, slow_sim)
    wait_for_results(tmp_path / "out" / "results.jsonl", 10, proc)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, output
    assert "Resume with: analyze run" in output
    runs = read_jsonl(tmp_path / "out" / "runs.jsonl")
    assert runs[-1]["interrupted"] is True
    partial = read_jsonl(tmp_path / "out" / "results.jsonl")  # every line complete: drained, not torn
    assert runs[-1]["succeeded"] == len(partial) < N_TASKS
    finished = rerun(tmp_path, slow_sim)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    one_result_per_task(tmp_path)
    assert read_jsonl(tmp_path / "out" / "runs.jsonl")[-1]["tasks_skipped"] == len(partial)


def test_second_sigint_cancels_requests_in_flight_then_rerun_completes(tmp_path: Path, slow_sim: str) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i:03d}") for i in range(N_TASKS)])
    proc = start_run(tmp_path, slow_sim)
    wait_for_results(tmp_path / "out" / "results.jsonl", 10, proc)
    # From now on every request hangs, so the first Ctrl-C's drain cannot finish by itself.
    httpx.post(f"{slow_sim}/admin/config", json={"hang_rate": 1.0}, timeout=5).raise_for_status()
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    time.sleep(1.5)
    assert proc.poll() is None, "the first Ctrl-C must wait for the requests in flight"
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, output
    partial = read_jsonl(tmp_path / "out" / "results.jsonl")  # complete lines only, nothing torn
    assert len(partial) < N_TASKS
    httpx.post(f"{slow_sim}/admin/config", json={"hang_rate": 0.0}, timeout=5).raise_for_status()
    finished = rerun(tmp_path, slow_sim)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    one_result_per_task(tmp_path)
