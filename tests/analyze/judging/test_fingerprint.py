"""Resume guards its journal: a rerun with other judging settings is refused (exit 2, each setting
named) unless --force-resume, and the report then says the journal mixes configurations.

Stand-in: the in-process fake judge (tests/analyze/judge_fakes.py), through the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analyze.cli import app
from analyze.judging.fingerprint import differences, fingerprint_digest, run_fingerprint
from analyze.judging.request import JudgeTarget
from analyze.settings import Settings
from typer.testing import CliRunner

from tests.analyze.judge_fakes import FakeJudgeServer, clear_user_env, make_task, read_jsonl, write_jsonl

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_user_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_user_env(monkeypatch)


def run_args(tmp_path: Path, server: FakeJudgeServer, tasks: int, *extra: str) -> list[str]:
    path = write_jsonl(tmp_path / "in.jsonl", [make_task(f"t{i}") for i in range(tasks)])
    out = tmp_path / "out"
    return ["run", str(path), "-o", str(out), "--base-url", server.base_url, "--no-report", *extra]


def chat_requests(server: FakeJudgeServer) -> int:
    return len(server.requests)


def test_resume_with_a_changed_seed_is_refused_naming_the_setting(
    tmp_path: Path, fake_judge: FakeJudgeServer
) -> None:
    assert runner.invoke(app, run_args(tmp_path, fake_judge, 2)).exit_code == 0
    sent = chat_requests(fake_judge)
    result = runner.invoke(app, run_args(tmp_path, fake_judge, 4, "--seed", "1"))
    assert result.exit_code == 2, result.output
    assert "seed: 0 -> 1" in result.stderr and "--force-resume" in result.stderr
    assert chat_requests(fake_judge) == sent, "a refused run must not judge anything"
    assert len(read_jsonl(tmp_path / "out" / "results.jsonl")) == 2


def test_every_differing_setting_is_named(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    assert runner.invoke(app, run_args(tmp_path, fake_judge, 1)).exit_code == 0
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "system.md").write_text("Judge the code. Answer with JSON.\n", encoding="utf-8")
    changed = ("--temperature", "0.5", "--swap", "--max-output-tokens", "4000", "--prompts-dir", str(prompts))
    result = runner.invoke(app, run_args(tmp_path, fake_judge, 2, *changed))
    assert result.exit_code == 2
    for setting in ("temperature: 0.0 -> 0.5", "swap: False -> True", "max_output_tokens: 8192 -> 4000"):
        assert setting in result.stderr
    assert "prompts: '" in result.stderr
    assert "seed" not in result.stderr


def test_the_same_settings_resume_and_force_resume_mixes_with_a_flag(
    tmp_path: Path, fake_judge: FakeJudgeServer
) -> None:
    assert runner.invoke(app, run_args(tmp_path, fake_judge, 2)).exit_code == 0
    assert runner.invoke(app, run_args(tmp_path, fake_judge, 3)).exit_code == 0  # same settings: resumes
    forced = runner.invoke(app, run_args(tmp_path, fake_judge, 4, "--seed", "7", "--force-resume"))
    assert forced.exit_code == 0, forced.output
    results = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert [r["task_id"] for r in results] == ["t0", "t1", "t2", "t3"]
    runs = read_jsonl(tmp_path / "out" / "runs.jsonl")
    assert runs[0]["fingerprint"] == runs[1]["fingerprint"] != runs[2]["fingerprint"]
    assert runs[2]["mixed_with"] == [runs[0]["fingerprint"]] and runs[2]["configuration"]["seed"] == 7
    assert {r["fingerprint"] for r in results} == {runs[0]["fingerprint"], runs[2]["fingerprint"]}

    from analyze.report.analysis import BootstrapSettings, analyse
    from analyze.report.journal import read_journal

    summary = analyse(read_journal(tmp_path / "out"), BootstrapSettings(resamples=10), []).summary
    assert summary["journal_mixes_configurations"] is True
    assert summary["run_fingerprints"] == sorted({runs[0]["fingerprint"], runs[2]["fingerprint"]})


def test_verdicts_without_a_fingerprint_or_without_a_runs_line_are_named(
    tmp_path: Path, fake_judge: FakeJudgeServer
) -> None:
    args = run_args(tmp_path, fake_judge, 2)
    assert runner.invoke(app, args).exit_code == 0
    results = tmp_path / "out" / "results.jsonl"
    lines = read_jsonl(results)
    lines[0].pop("fingerprint")  # as an older analyze wrote it
    lines[1]["fingerprint"] = "0123456789abcdef"  # a run killed before it wrote runs.jsonl
    results.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = runner.invoke(app, run_args(tmp_path, fake_judge, 3))
    assert result.exit_code == 2
    assert "1 verdict(s) written before runs were fingerprinted" in result.stderr
    assert "fingerprint 0123456789abcdef, whose settings runs.jsonl does not hold" in result.stderr


def test_the_fingerprint_covers_what_changes_a_verdict_and_not_the_rest() -> None:
    base = Settings()
    target = JudgeTarget("judge", 8192)
    digest = fingerprint_digest(run_fingerprint(base, target))
    for change in (
        {"seed": 1},
        {"swap": True},
        {"temperature": 0.2},
        {"max_input_tokens": 100},
        {"max_output_tokens": 100},
        {"structured_output": False},
    ):
        other = run_fingerprint(base.model_copy(update=change), target)
        assert fingerprint_digest(other) != digest, change
    assert fingerprint_digest(run_fingerprint(base, JudgeTarget("other", 8192))) != digest
    assert fingerprint_digest(run_fingerprint(base, JudgeTarget("judge", 4096))) != digest
    for same in ({"concurrency": "7"}, {"limit": 3}, {"force_resume": True}, {"max_retries": 9}):
        assert fingerprint_digest(run_fingerprint(base.model_copy(update=same), target)) == digest, same
    assert differences({"seed": 0, "swap": False}, {"seed": 2, "swap": False}) == ["seed: 0 -> 2"]
