"""A rerun on an output directory whose journal is not this input's, against the simulator (stand-in for
vLLM; its verdicts are random, so only what the job decides is asserted): tasks changed under their old
ids, verdicts of another input, an input with nothing to judge, a run stopped by a full disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from analyze.cli import app
from typer.testing import CliRunner
from vllm_sim.testing import run_simulator, start_simulator

from tests.analyze.judge_fakes import make_task, read_jsonl, write_jsonl
from tests.analyze.mounts import full_disk, read_only_command
from tests.analyze.sim_runs import analyze_run


@pytest.fixture(scope="module")
def sim() -> object:
    with run_simulator(name="sim", time_scale=0, output_len="fixed:30") as url:
        yield url


def judged(tmp_path: Path, sim: str, tasks: list[dict], *flags: str) -> object:
    write_jsonl(tmp_path / "tasks.jsonl", tasks)
    return analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim + "/v1"], *flags)


def contents(out: Path) -> dict[str, str]:
    return {line["task_id"]: line["content"] for line in read_jsonl(out / "results.jsonl")}


def test_a_task_changed_under_its_old_id_is_not_taken_for_done(tmp_path: Path, sim: str) -> None:
    tasks = [make_task(f"t{i}") for i in range(8)]
    assert judged(tmp_path, sim, tasks).returncode == 0
    before = contents(tmp_path / "out")
    for i in (2, 5):
        tasks[i]["candidates"][0]["code"] += "# edited\n"
    run = judged(tmp_path, sim, tasks)
    assert run.returncode == 2, run.stderr
    assert "2 task(s) of" in run.stderr and "'t2', 't5'" in run.stderr and "--rejudge-changed" in run.stderr
    assert contents(tmp_path / "out") == before  # nothing was judged or dropped

    run = judged(tmp_path, sim, tasks, "--rejudge-changed")
    assert run.returncode == 0, run.stderr
    lines = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert sorted(line["task_id"] for line in lines) == sorted(f"t{i}" for i in range(8))  # one line each
    after = contents(tmp_path / "out")
    assert {i for i in after if after[i] != before[i]} == {"t2", "t5"}
    assert read_jsonl(tmp_path / "out" / "runs.jsonl")[-1]["tasks_skipped"] == 6


def test_a_journal_of_another_input_is_refused_unless_told(tmp_path: Path, sim: str) -> None:
    assert judged(tmp_path, sim, [make_task(f"old{i}") for i in range(3)]).returncode == 0
    other = [make_task(f"new{i}") for i in range(2)]
    run = judged(tmp_path, sim, other)
    assert run.returncode == 2 and "holds verdicts for 3 task(s) that are not in" in run.stderr
    assert "'old0', 'old1', 'old2'" in run.stderr
    assert len(read_jsonl(tmp_path / "out" / "results.jsonl")) == 3
    assert judged(tmp_path, sim, other, "--force-resume").returncode == 0
    assert len(read_jsonl(tmp_path / "out" / "results.jsonl")) == 5
    assert read_jsonl(tmp_path / "out" / "runs.jsonl")[-1]["foreign_tasks"] == 3
    report = CliRunner().invoke(app, ["report", str(tmp_path / "out"), "--lang", "en"])
    assert report.exit_code == 0, report.output
    tasks = json.loads((tmp_path / "out" / "summary.json").read_text())["tasks"]
    assert (tasks["total"], tasks["succeeded"], tasks["foreign"]) == (5, 5, 3)  # counts of what it holds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no task to judge\n"),
        ("\n\n", "holds no task to judge\n"),
        ("nope\n[1]\n", "holds no task to judge: all 2 line(s) were rejected"),
    ],
)
def test_an_input_with_nothing_to_judge_says_so_and_exits_2(
    tmp_path: Path, sim: str, text: str, message: str
) -> None:
    (tmp_path / "tasks.jsonl").write_text(text)
    run = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", [sim + "/v1"])
    assert run.returncode == 2 and message in run.stderr, run.stderr


def test_a_run_stopped_by_a_full_disk_writes_no_report_and_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "failures.jsonl").touch()
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}") for i in range(4)])
    flags = ("--report",)  # analyze_run passes --no-report first; the last one given wins
    with start_simulator(time_scale=0, fail_400_context=1.0) as failing:  # every task a failures line
        full = full_disk(out / "failures.jsonl")
        run = analyze_run(tmp_path / "tasks.jsonl", out, [failing.base_url], *flags, prefix=full)
    assert run.returncode == 2 and "No space left on device" in run.stderr, run.stderr
    assert not (out / "scores.csv").exists() and not (out / "report.html").exists()
    assert "Stopped: finished results are saved" in run.stdout
    assert json.loads((out / "runs.jsonl").read_text().splitlines()[-1])["stopped"]


@pytest.mark.parametrize("planted", ["fifo", "device"])
def test_a_journal_file_that_is_not_a_regular_file_is_refused_at_once(
    tmp_path: Path, sim: str, planted: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = out / "results.jsonl"
    if planted == "fifo":
        os.mkfifo(path)
        prefix: list[str] = []
    else:  # /dev/zero bound over it: a reader of it would read forever
        path.touch()
        prefix = full_disk(path, device="/dev/zero")
    write_jsonl(tmp_path / "tasks.jsonl", [make_task("t0")])
    run = analyze_run(tmp_path / "tasks.jsonl", out, [sim + "/v1"], prefix=prefix)
    assert run.returncode in (1, 2) and "results.jsonl is not a regular file" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_a_read_only_output_directory_is_one_clear_message_and_exit_2(tmp_path: Path, sim: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_jsonl(tmp_path / "tasks.jsonl", [make_task("t0")])
    run = analyze_run(tmp_path / "tasks.jsonl", out, [sim + "/v1"], prefix=read_only_command(out, []))
    out.chmod(0o755)
    assert run.returncode == 2, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert errors == [f"error: cannot write the journal in {out}: Read-only file system"], run.stderr
