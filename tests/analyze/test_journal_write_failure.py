"""A journal write that fails stops the run, says so and exits non-zero, against real simulator processes
and real kernel write errors: /dev/full (ENOSPC, a full disk) and RLIMIT_FSIZE (EFBIG)."""

from __future__ import annotations

import os
import resource
from pathlib import Path

from vllm_sim.testing import start_simulator

from .judge_fakes import read_jsonl
from .sim_runs import analyze_run, jsonl_ids, line_count, task_file

RESULTS_LIMIT_BYTES = 6000  # a few verdict lines


def test_a_full_disk_stops_dispatching_and_exits_2(tmp_path: Path) -> None:
    task_file(tmp_path / "tasks.jsonl", 30)
    out = tmp_path / "out"
    out.mkdir()
    os.symlink("/dev/full", out / "failures.jsonl")  # every write: ENOSPC, as on a full disk
    # every task fails (context length, not retried), so the first journal write is to failures.jsonl
    with start_simulator(time_scale=0, fail_400_context=1.0) as sim:
        run = analyze_run(tmp_path / "tasks.jsonl", out, [sim.base_url], "--concurrency", "2")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"error: run stopped: cannot write {out / 'failures.jsonl'}: No space left on device" in run.stderr
    assert "Stopping: cannot write" in run.stdout


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (RESULTS_LIMIT_BYTES, RESULTS_LIMIT_BYTES))


def test_a_write_cut_short_stops_the_run_and_the_rerun_repairs_and_finishes(tmp_path: Path) -> None:
    ids = task_file(tmp_path / "tasks.jsonl", 30)
    results = tmp_path / "out" / "results.jsonl"
    with start_simulator(time_scale=0) as sim:
        run = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--concurrency", "2",
                          preexec_fn=_limit_file_size)  # fmt: skip
        assert run.returncode == 2, run.stdout + run.stderr
        assert f"cannot write {results}: File too large" in run.stderr
        assert results.stat().st_size <= RESULTS_LIMIT_BYTES
        assert line_count(results) < 30
        rerun = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim.base_url], "--concurrency", "2")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert sorted(jsonl_ids(results)) == ids  # the torn line was cut, every task is there once
    assert read_jsonl(tmp_path / "out" / "failures.jsonl") == []
