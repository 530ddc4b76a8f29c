"""A journal write that fails stops the run, says so and exits non-zero, against real simulator processes
and real kernel write errors: /dev/full (ENOSPC, a full disk) and RLIMIT_FSIZE (EFBIG)."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from analyze.fleet.prometheus import metric_totals
from vllm_sim.testing import start_simulator

from tests.analyze.judge_fakes import read_jsonl
from tests.analyze.mounts import full_disk
from tests.analyze.sim_runs import analyze_run, jsonl_ids, line_count, task_file

RESULTS_LIMIT_BYTES = 6000  # a few verdict lines


def sim_requests(base_url: str) -> float:
    """Chat requests the simulator answered, whatever the status (its /metrics counter)."""
    import urllib.request

    with urllib.request.urlopen(base_url + "/metrics", timeout=5) as response:
        return metric_totals(response.read().decode()).get("vllm_sim:requests_total", 0.0)


@pytest.mark.parametrize(
    ("journal_file", "sim_flags", "sent"),
    [
        ("failures.jsonl", {"fail_400_context": 1.0}, range(1, 10)),  # each task fails, not retried
        ("rejects.jsonl", {}, range(0, 1)),  # written while the input is read: no task is sent
    ],
)
def test_a_full_disk_stops_dispatching_and_exits_2(
    tmp_path: Path, journal_file: str, sim_flags: dict[str, float], sent: range
) -> None:
    task_file(tmp_path / "tasks.jsonl", 30)
    with (tmp_path / "tasks.jsonl").open("a") as tasks:
        tasks.write("not json\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / journal_file).touch()
    with start_simulator(time_scale=0, **sim_flags) as sim:
        run = analyze_run(
            tmp_path / "tasks.jsonl",
            out,
            [sim.base_url],
            "--concurrency",
            "2",
            prefix=full_disk(out / journal_file),
        )
        requests = sim_requests(sim.base_url)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"error: run stopped: cannot write {out / journal_file}: No space left on device" in run.stderr
    assert "Stopping: cannot write" in run.stdout
    assert requests in sent, f"{requests} requests: dispatching must stop at the first failed write"


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
