"""export-batch / import-batch: the job's requests as an OpenAI Batch file, and a Batch output as a journal.

The round trip runs on the simulator (`vllm_sim`, time scale 0): its answers depend only on the request,
so replaying the exported file must give the same verdicts, hence the same report, as `analyze run`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analyze.cli import app
from typer.testing import CliRunner
from vllm_sim.testing import run_simulator

from tests.analyze.batch_replay import replay_batch
from tests.analyze.judge_fakes import FakeJudgeServer, make_task, read_jsonl, write_jsonl

runner = CliRunner()
MODEL = "sim-model"
REPORT_TABLES = ("scores.csv", "models.csv", "pairwise.csv", "issues.csv")
# What differs between a live run and an import by nature: where and how fast the requests ran.
RUN_ONLY_SUMMARY_KEYS = {"elapsed_s", "tasks_per_s", "tokens_per_s", "backends"}


def _tasks(tmp_path: Path, count: int = 6, **extra: Any) -> Path:
    return write_jsonl(
        tmp_path / "tasks.jsonl", [make_task(f"t{i}", n=2 + i % 3, **extra) for i in range(count)]
    )


def _invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    return result


def _summary(out: Path) -> dict[str, Any]:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in summary.items() if k not in RUN_ONLY_SUMMARY_KEYS}


def test_exported_requests_are_the_ones_run_sends(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    tasks = _tasks(tmp_path)
    out = tmp_path / "requests.jsonl"
    result = _invoke(
        "export-batch", str(tasks), "-o", str(out), "--model", "fake-judge", "--swap", "--seed", "7"
    )
    assert result.exit_code == 0, result.output
    exported = read_jsonl(out)
    assert [e["custom_id"] for e in exported[:2]] == ["t0", "t0#rotated"]
    assert {(e["method"], e["url"]) for e in exported} == {("POST", "/v1/chat/completions")}
    run = _invoke("run", str(tasks), "-o", str(tmp_path / "o"), "--base-url", fake_judge.base_url,
                  "--swap", "--seed", "7", "--no-report", "--concurrency", "1")  # fmt: skip
    assert run.exit_code == 0, run.output
    # the server saw exactly the exported bodies (in another order: a task's second pass waits for a permit)
    assert sorted(map(json.dumps, fake_judge.requests)) == sorted(json.dumps(e["body"]) for e in exported)
    assert len(exported) == 12
    assert exported[0]["body"]["response_format"]["type"] == "json_schema"


def test_round_trip_on_the_simulator_gives_the_same_report(tmp_path: Path) -> None:
    tasks = _tasks(tmp_path, count=12)
    with run_simulator(time_scale=0, output_len="uniform:20:200", seed=3) as url:
        base = url + "/v1"
        live = tmp_path / "live"
        # judged largest first (the default order); the Batch file and its import are in input order
        run = _invoke("run", str(tasks), "-o", str(live), "--base-url", base, "--model", MODEL, "--swap")
        assert run.exit_code == 0, run.output
        requests = tmp_path / "requests.jsonl"
        # the simulator's /v1/models says max_model_len 8192: what the run budgeted max_tokens in
        export = _invoke("export-batch", str(tasks), "-o", str(requests), "--model", MODEL, "--swap",
                         "--max-model-len", "8192")  # fmt: skip
        assert export.exit_code == 0, export.output
        results = replay_batch(requests, base, tmp_path / "results.jsonl")
    imported = tmp_path / "imported"
    result = _invoke("import-batch", str(results), "--input", str(tasks), "-o", str(imported),
                     "--requests", str(requests), "--swap", "--max-model-len", "8192")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "12 verdict(s), 0 failed" in result.output
    assert len(read_jsonl(imported / "results.jsonl")) == 12
    judged = [r["task_id"] for r in read_jsonl(live / "results.jsonl")]
    assert judged != [r["task_id"] for r in read_jsonl(imported / "results.jsonl")]  # another order...
    for name in REPORT_TABLES:  # ...and the same report
        assert (imported / name).read_text() == (live / name).read_text(), name
    assert _summary(imported) == _summary(live)
    assert (imported / "report.html").is_file()
    record = read_jsonl(imported / "results.jsonl")[0]
    assert record["judge_model"] == MODEL  # taken from the replies when --model is not given
    assert [r["order"] for r in record["requests"]] == ["forward", "rotated"]
    assert record["fingerprint"] == read_jsonl(live / "results.jsonl")[0]["fingerprint"]
    assert all(r["completion_tokens"] > 0 for r in record["requests"])


def _output_line(custom_id: str, content: str | None, status: int = 200) -> dict[str, Any]:
    body = None
    if content is not None:
        body = {"id": "c", "object": "chat.completion", "created": 1_700_000_000, "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}  # fmt: skip
    error = None if status == 200 else {"code": "server_error", "message": "engine died"}
    if status == 400:  # vLLM run-batch's shape: its ErrorResponse
        error = {"error": {"message": "prompt too long", "type": "BadRequestError", "code": 400}}
    return {
        "id": "r",
        "custom_id": custom_id,
        "response": {"status_code": status, "body": body},
        "error": error,
    }


def test_bad_failed_and_missing_replies_become_failures_and_the_rest_is_kept(
    tmp_path: Path, fake_judge: FakeJudgeServer
) -> None:
    tasks = _tasks(tmp_path, count=6)
    requests = tmp_path / "requests.jsonl"
    assert _invoke("export-batch", str(tasks), "-o", str(requests), "--model", "m").exit_code == 0
    from tests.analyze.judge_fakes import fake_verdict

    good = {e["custom_id"]: json.dumps(fake_verdict(e["body"])) for e in read_jsonl(requests)}
    results = tmp_path / "results.jsonl"
    lines = [
        json.dumps(_output_line("t3", good["t3"])),  # out of order, as Batch services return them
        json.dumps(_output_line("t0", good["t0"])),
        json.dumps(_output_line("t1", None, status=500)),
        json.dumps(_output_line("t4", None, status=400)),
        "{not json",
        json.dumps(_output_line("t2", '{"ranking": ["A", "A"], "scores": {}}')),
        json.dumps(_output_line("t0", good["t0"])),  # repeated custom_id: the first one counts
    ]  # t5 has no line at all
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "imported"
    result = _invoke("import-batch", str(results), "--input", str(tasks), "-o", str(out), "--no-report")
    assert result.exit_code == 1
    assert f"{results}:5: not a Batch line" in result.output
    assert "custom_id 't0' again (first on line 2)" in result.output
    assert sorted(r["task_id"] for r in read_jsonl(out / "results.jsonl")) == ["t0", "t3"]
    failures = {f["task_id"]: f for f in read_jsonl(out / "failures.jsonl")}
    assert all(f["started_at"] <= f["finished_at"] for f in failures.values())
    assert failures["t1"]["kind"] == "error" and "status 500: engine died" in failures["t1"]["reason"]
    assert failures["t2"]["kind"] == "invalid_verdict"
    assert "custom_id 't2' (results.jsonl:6)" in failures["t2"]["reason"]
    assert "status 400: prompt too long" in failures["t4"]["reason"]
    assert failures["t5"]["reason"] == "no line with custom_id 't5'"
    # a second import (of a corrected file) keeps what is judged and adds only the rest
    results.write_text(
        "".join(json.dumps(_output_line(c, v)) + "\n" for c, v in good.items()), encoding="utf-8"
    )
    again = _invoke("import-batch", str(results), "--input", str(tasks), "-o", str(out), "--no-report")
    assert again.exit_code == 0, again.output
    assert sorted(r["task_id"] for r in read_jsonl(out / "results.jsonl")) == [f"t{i}" for i in range(6)]


def test_import_refuses_settings_that_rebuild_other_requests(tmp_path: Path) -> None:
    tasks = _tasks(tmp_path, count=3)
    requests = tmp_path / "requests.jsonl"
    assert (
        _invoke("export-batch", str(tasks), "-o", str(requests), "--model", "m", "--seed", "1").exit_code == 0
    )
    results = write_jsonl(tmp_path / "results.jsonl", [_output_line("t0", "{}")])
    result = _invoke("import-batch", str(results), "--input", str(tasks), "-o", str(tmp_path / "o"),
                     "--requests", str(requests), "--seed", "2", "--model", "m")  # fmt: skip
    assert result.exit_code == 2
    assert "requests.jsonl:1: the request for 't0' differs" in result.output and "messages" in result.output
    assert not (tmp_path / "o" / "results.jsonl").exists()


def test_export_needs_a_model_and_unique_custom_ids(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("ANALYZE_MODEL", raising=False)
    tasks = _tasks(tmp_path, count=2)
    assert "pass --model" in _invoke("export-batch", str(tasks), "-o", str(tmp_path / "r.jsonl")).output
    clash = write_jsonl(tmp_path / "clash.jsonl", [make_task("x"), make_task("x#rotated")])
    result = _invoke("export-batch", str(clash), "-o", str(tmp_path / "r.jsonl"), "--model", "m", "--swap")
    assert result.exit_code == 1 and "custom_id 'x#rotated' is already used" in result.output
    assert not (tmp_path / "r.jsonl").exists()


def test_export_reports_rejected_lines_and_writes_the_valid_tasks(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(make_task("a")) + "\n{broken\n" + json.dumps(make_task("b")) + "\n")
    result = _invoke("export-batch", str(path), "-o", str(tmp_path / "r.jsonl"), "--model", "m")
    assert result.exit_code == 1 and "line 2: not valid JSON" in result.output
    assert [e["custom_id"] for e in read_jsonl(tmp_path / "r.jsonl")] == ["a", "b"]
