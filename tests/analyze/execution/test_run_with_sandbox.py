"""The job with its tests run: the real sandbox image (as docker-compose.yml defines it) beside the
simulator (stand-in for vLLM; its verdicts are random, so only what execution decides is asserted)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from analyze.journal.records import EXECUTIONS_FILE, RESULTS_FILE
from analyze.pipeline import SandboxUnavailable, execute_pipeline
from analyze.progress import Console
from vllm_sim.testing import run_simulator

from tests.analyze.judge_fakes import fast_settings, make_task, read_jsonl, write_jsonl

HUMANEVAL = {"test": "def check(candidate):\n    assert candidate(2, 3) == 5\n", "entry_point": "add"}
# make_task's four codes: a + b, a - b, sum([a, b]), a lambda: the second fails check()
EXPECTED = {"c0": "passed", "c1": "failed", "c2": "passed", "c3": "passed"}
SAMPLE = Path(__file__).resolve().parents[3] / "data" / "tasks.jsonl"
# The sandbox_address fixture's image, built in the background from the start of the session.
pytestmark = pytest.mark.images("sandbox")


def judge(tmp_path: Path, url: str, **overrides: object) -> tuple[object, str]:
    console = io.StringIO()
    settings = fast_settings(tmp_path, [url + "/v1"], timeout_s=30.0, **overrides)
    outcome = execute_pipeline(settings, console=Console("en", stream=console), report=False)
    return outcome, console.getvalue()


def statuses(out: Path) -> dict[tuple[str, str], str]:
    return {
        (r["task_id"], c["candidate_id"]): c["execution"]["status"]
        for r in read_jsonl(out / RESULTS_FILE)
        for c in r["candidates"]
    }


@pytest.fixture
def sim_url() -> object:
    with run_simulator(name="sim", time_scale=0, max_model_len=8192, output_len="fixed:50") as url:
        yield url


def test_candidates_are_run_before_judging_and_the_journal_keeps_it(
    tmp_path: Path, sandbox_address: str, sim_url: str
) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}", n=4, **HUMANEVAL) for i in range(5)])
    outcome, console = judge(tmp_path, sim_url, sandbox=sandbox_address)
    assert outcome.stats.succeeded == 5, console
    assert "Sandbox unix://" in console and "4 slot(s)" in console
    out = tmp_path / "out"
    assert statuses(out) == {(f"t{i}", c): s for i in range(5) for c, s in EXPECTED.items()}
    for record in read_jsonl(out / RESULTS_FILE):
        for cand in record["candidates"]:
            assert cand["passed"] is (cand["execution"]["status"] == "passed")
            assert cand["passed_source"] == "execution"
            assert cand["execution"]["tests_total"] == 1
    runs = read_jsonl(out / "runs.jsonl")
    assert runs[-1]["configuration"]["execution"] == {"feedback": True, "timeout_s": 10.0}
    assert len(read_jsonl(out / EXECUTIONS_FILE)) == 5


def test_a_rerun_runs_again_only_what_changed(tmp_path: Path, sandbox_address: str, sim_url: str) -> None:
    tasks = [make_task(f"t{i}", n=2, **HUMANEVAL) for i in range(4)]
    write_jsonl(tmp_path / "tasks.jsonl", tasks)
    judge(tmp_path, sim_url, sandbox=sandbox_address)
    out = tmp_path / "out"
    first = read_jsonl(out / EXECUTIONS_FILE)
    # Two tasks lost their verdicts (a crash after their executions were journaled), and one of them
    # now holds other code under the same id: only that one runs again.
    kept = [line for line in read_jsonl(out / RESULTS_FILE) if line["task_id"] not in ("t1", "t2")]
    (out / RESULTS_FILE).write_text("".join(json.dumps(line) + "\n" for line in kept))
    tasks[2]["candidates"][1]["code"] = "def add(a, b):\n    return b + a\n"
    write_jsonl(tmp_path / "tasks.jsonl", tasks)
    outcome, console = judge(tmp_path, sim_url, sandbox=sandbox_address)
    assert outcome.stats.succeeded == 2 and outcome.stats.tasks_skipped == 2, console
    lines = read_jsonl(out / EXECUTIONS_FILE)
    assert lines[: len(first)] == first and [line["task_id"] for line in lines[len(first) :]] == ["t2"]
    assert statuses(out)[("t2", "c1")] == "passed" and statuses(out)[("t1", "c1")] == "failed"


def test_execute_on_without_an_answering_sandbox_stops_before_judging(tmp_path: Path, sim_url: str) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task("t0", **HUMANEVAL)])
    with pytest.raises(SandboxUnavailable, match=r"does not answer.*none\.sock"):
        judge(tmp_path, sim_url, execute="on", sandbox=str(tmp_path / "none.sock"))
    with pytest.raises(SandboxUnavailable, match="needs a sandbox"):
        judge(tmp_path, sim_url, execute="on")
    assert not (tmp_path / "out" / RESULTS_FILE).exists()


def test_auto_with_a_silent_sandbox_says_so_and_judges_without_tests(tmp_path: Path, sim_url: str) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task("t0", **HUMANEVAL)])
    outcome, console = judge(tmp_path, sim_url, sandbox=str(tmp_path / "none.sock"))
    assert outcome.stats.succeeded == 1 and "is silent" in console
    (record,) = read_jsonl(tmp_path / "out" / RESULTS_FILE)
    assert all(c["execution"] is None and c["passed"] is None for c in record["candidates"])
    assert "execution" not in read_jsonl(tmp_path / "out" / "runs.jsonl")[-1]["configuration"]


def test_the_sample_s_labels_are_what_its_tests_say(
    tmp_path: Path, sandbox_address: str, sim_url: str
) -> None:
    """data/tasks.jsonl's Python and JavaScript tasks carry tests and labels checked by hand: the sandbox
    must reach the same verdict on every labelled candidate it runs."""
    outcome, console = judge(tmp_path, sim_url, sandbox=sandbox_address, input_jsonl=SAMPLE, concurrency="16")
    assert outcome.stats.failed == 0, console
    compared = 0
    sample = {json.loads(line)["task_id"]: json.loads(line) for line in SAMPLE.read_text().splitlines()}
    for record in read_jsonl(tmp_path / "out" / RESULTS_FILE):
        labels = {c.get("id"): c.get("passed") for c in sample[record["task_id"]]["candidates"]}
        for cand in record["candidates"]:
            run = cand["execution"]
            if run is None or labels.get(cand["candidate_id"]) is None:
                continue
            assert run["status"] != "not_run", (record["task_id"], run)
            assert (run["status"] == "passed") is labels[cand["candidate_id"]], (record["task_id"], cand)
            assert cand["passed_source"] == "input"  # the input's label wins where it has one
            compared += 1
    assert compared >= 60
