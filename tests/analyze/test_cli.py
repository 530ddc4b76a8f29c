"""The `analyze` command line and `python -m analyze.pipeline` with the seed's environment variables."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from analyze.cli import app
from typer.testing import CliRunner

from .judge_fakes import FakeJudgeServer, clear_user_env, make_task, read_jsonl, write_jsonl

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_user_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_user_env(monkeypatch)


def test_validate_json_lists_rejects_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps(make_task("a")) + "\nnope\n" + json.dumps(make_task("a")) + "\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] == 1
    assert [r["line"] for r in report["rejected"]] == [2, 3]
    assert "repeats task_id 'a'" in report["rejected"][1]["reason"]


def test_validate_names_the_lines_of_lone_surrogates_and_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    surrogate = json.dumps(make_task("s")).replace('"problem": "', '"problem": "\\ud800')
    deep = json.dumps({**make_task("d"), "meta": {"x": json.loads("[" * 100 + "]" * 100)}})
    path.write_text("\n".join([json.dumps(make_task("a")), surrogate, deep, "[" * 100_000]) + "\n")
    result = runner.invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] == 1
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert sorted(reasons) == [2, 3, 4]
    assert "'problem' holds text that cannot be encoded as UTF-8" in reasons[2]
    assert "nested deeper than" in reasons[3] and "nested too deeply" in reasons[4]


def test_validate_clean_file_exits_0(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [make_task("a"), make_task("b")])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "2 valid task(s), 0 rejected" in result.stdout


def test_validate_unreadable_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "missing.jsonl"), "--json"])
    assert result.exit_code == 2


def test_shipped_sample_is_valid() -> None:
    sample = Path(__file__).resolve().parents[2] / "data" / "tasks.jsonl"
    result = runner.invoke(app, ["validate", str(sample), "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["valid"] >= 30


def error_text(output: str) -> str:
    """The CLI's error as one line: typer draws it in a box and wraps it to the terminal."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--limit", "-1"], "Invalid value for '--limit': Input should be greater than or equal to 0"),
        (["--timeout", "0"], "Invalid value for '--timeout': Input should be greater than 0"),
        (["--timeout", "-1"], "Invalid value for '--timeout': Input should be greater than 0"),
        (["--wait-ready", "-1"], "Invalid value for '--wait-ready': Input should be greater than or equal"),
        (["--wait-ready", "inf"], "Invalid value for '--wait-ready': Input should be a finite number"),
        (["--temperature", "nan"], "Invalid value for '--temperature': Input should be a finite number"),
        (["--temperature", "-3"], "Invalid value for '--temperature': Input should be greater than or equal"),
        (["--max-retries", "-5"], "Invalid value for '--max-retries': Input should be greater than or equal"),
        (["--max-input-tokens", "0"], "Invalid value for '--max-input-tokens': Input should be greater"),
        (["--max-output-tokens", "0"], "Invalid value for '--max-output-tokens': Input should be greater"),
        (["--concurrency", "0"], "Invalid value for '--concurrency': concurrency must be a positive integer"),
        (
            ["--concurrency", "-3"],
            "Invalid value for '--concurrency': concurrency must be a positive integer",
        ),
        (
            ["--concurrency", "abc"],
            "Invalid value for '--concurrency': concurrency must be a positive integer",
        ),
        (["--order", "random"], "Invalid value for '--order': Input should be 'longest-first' or 'input'"),
        (["--lang", "fr"], "Invalid value for '--lang': lang must be 'zh' or 'en'"),
    ],
)
def test_run_refuses_an_out_of_range_flag_naming_it(tmp_path: Path, flags: list[str], message: str) -> None:
    """Refused before anything starts (no backend is up here): a usage error, exit 2."""
    path = write_jsonl(tmp_path / "in.jsonl", [make_task("a")])
    result = runner.invoke(app, ["run", str(path), "--base-url", "http://127.0.0.1:9", *flags])
    assert result.exit_code == 2, result.output
    assert message in error_text(result.output)


def test_a_bad_environment_variable_is_a_usage_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [make_task("a")])
    monkeypatch.setenv("ANALYZE_TIMEOUT", "0")
    monkeypatch.setenv("ANALYZE_MAX_RETRIES", "-1")
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2, result.output
    text = error_text(result.output)
    assert "ANALYZE_TIMEOUT: Input should be greater than 0 (got '0')" in text
    assert "ANALYZE_MAX_RETRIES: Input should be greater than or equal to 0 (got '-1')" in text
    # a flag replaces the variable's value, so that one is not refused
    result = runner.invoke(app, ["run", str(path), "--timeout", "3", "--limit", "-1"])
    assert result.exit_code == 2 and "ANALYZE_TIMEOUT" not in result.output
    assert "--limit" in error_text(result.output)


@pytest.mark.parametrize("command", ["export-batch", "import-batch"])
@pytest.mark.parametrize(
    ("flags", "name"),
    [
        (["--limit", "-2"], "--limit"),
        (["--max-model-len", "0"], "--max-model-len"),
        (["--seed", "x"], "--seed"),
    ],
)
def test_batch_commands_refuse_out_of_range_flags(
    tmp_path: Path, command: str, flags: list[str], name: str
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [make_task("a")])
    args = {
        "export-batch": ["export-batch", str(path), "-o", str(tmp_path / "b.jsonl"), "--model", "m"],
        "import-batch": ["import-batch", str(path), "--input", str(path), "-o", str(tmp_path / "o")],
    }[command]
    result = runner.invoke(app, [*args, *flags])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{name}'" in error_text(result.output)


def test_help_explains_every_option_from_its_setting() -> None:
    from analyze.settings import Settings

    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    text = error_text(result.output)
    for field in (
        "limit",
        "timeout_s",
        "max_output_tokens",
        "wait_ready_s",
        "dispatch_order",
        "force_resume",
    ):
        assert Settings.model_fields[field].description in text, field
    assert "per-request timeout in seconds; > 0; env ANALYZE_TIMEOUT" in text
    assert "journal and report directory; env OUTPUT_DIR or ANALYZE_OUTPUT_DIR" in text
    for command in ("export-batch", "import-batch"):  # the same words as run's, not a restatement
        batch = error_text(runner.invoke(app, [command, "--help"], env={"COLUMNS": "400"}).output)
        assert Settings.model_fields["max_input_tokens"].description in batch
        assert Settings.model_fields["seed"].description in batch


def test_run_with_flags_then_check(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [make_task(f"t{i}") for i in range(4)])
    args = ["run", str(path), "-o", str(tmp_path / "o"), "--base-url", fake_judge.base_url, "--no-report"]
    result = runner.invoke(app, [*args, "--limit", "3", "--swap", "--seed", "5", "--lang", "en"])
    assert result.exit_code == 0, result.output
    records = read_jsonl(tmp_path / "o" / "results.jsonl")
    assert len(records) == 3 and all(r["swap"] is not None for r in records)
    assert read_jsonl(tmp_path / "o" / "runs.jsonl")[0]["seed"] == 5
    check = runner.invoke(app, ["check", "--base-url", fake_judge.base_url])
    assert check.exit_code == 0
    assert "models=fake-judge" in check.stdout and "running=2 waiting=1" in check.stdout


def test_run_exits_1_and_says_how_to_retry_when_tasks_fail(
    tmp_path: Path, fake_judge: FakeJudgeServer
) -> None:
    from .judge_fakes import error

    path = write_jsonl(tmp_path / "in.jsonl", [make_task(f"t{i}") for i in range(3)])
    args = ["run", str(path), "-o", str(tmp_path / "o"), "--base-url", fake_judge.base_url, "--no-report"]
    fake_judge.behaviour = lambda body, n: error(400, "bad request") if "t1" in json.dumps(body) else None
    result = runner.invoke(app, [*args, "--max-retries", "0"])
    assert result.exit_code == 1, result.output
    assert "1 task(s) failed" in result.stderr and "rerun the same command" in result.stderr
    assert [r["task_id"] for r in read_jsonl(tmp_path / "o" / "failures.jsonl")] == ["t1"]
    fake_judge.behaviour = None
    assert runner.invoke(app, args).exit_code == 0  # the rerun retries only t1 and succeeds


def test_check_reports_a_dead_backend(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--base-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "✗ http://127.0.0.1:9/v1" in result.stdout


@pytest.fixture
def two_fakes() -> Iterator[list[FakeJudgeServer]]:
    with FakeJudgeServer(name="f1") as first, FakeJudgeServer(name="f2") as second:
        yield [first, second]


def test_python_m_pipeline_reads_seed_env(tmp_path: Path, two_fakes: list[FakeJudgeServer]) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}") for i in range(10)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANALYZE_", "VLLM_"))}
    env.update(
        USE_MULTI_VLLM="true",
        VLLM_HOST="127.0.0.1",
        VLLM_PORTS=",".join(str(f.port) for f in two_fakes),
        INPUT_JSONL=str(tmp_path / "tasks.jsonl"),
        OUTPUT_DIR=str(tmp_path / "outputs"),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "analyze.pipeline"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "📖 [步骤 1/6] 读取任务数据..." in proc.stdout and "使用 2 个 vLLM 实例" in proc.stdout
    assert len(read_jsonl(tmp_path / "outputs" / "results.jsonl")) == 10
    assert all(f.requests for f in two_fakes)


def test_report_command_rebuilds_from_the_journal(tmp_path: Path, fake_judge: FakeJudgeServer) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [make_task(f"t{i}") for i in range(3)])
    out = tmp_path / "o"
    args = [
        "run",
        str(path),
        "-o",
        str(out),
        "--base-url",
        fake_judge.base_url,
        "--no-report",
        "--lang",
        "en",
    ]
    assert runner.invoke(app, args).exit_code == 0
    assert not (out / "report.html").exists()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists() and "report_html" in result.stdout


def test_report_command_on_missing_dir_exits_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["report", str(tmp_path / "nope")]).exit_code == 2


def test_report_command_names_the_bad_journal_line_and_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "results.jsonl").write_text('{"schema": 1, "task_id": "t1", "candidates": "nope"}\n')
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2, result.output  # a traceback would exit 1
    assert "results.jsonl line 1" in result.output and "'candidates'" in result.output


def test_font_path_setting_reaches_the_report(tmp_path: Path) -> None:
    from analyze.pipeline import report_options
    from analyze.progress import Console
    from analyze.settings import Settings

    console = Console("en")
    assert report_options(Settings(lang="en"), console) == {"on_step": console.report_step, "lang": "en"}
    options = report_options(Settings(font_path=tmp_path / "cjk.ttf"), console)
    assert options["font_path"] == str(tmp_path / "cjk.ttf")


def test_report_language_flag_rebuilds_the_page_in_english(tmp_path: Path) -> None:
    """`analyze report OUTPUT --lang en` after a Chinese report: the page, its lang attribute and the judge
    warnings of summary.json switch language."""
    from .report.journal_factory import JournalDir

    journal = JournalDir(tmp_path / "out")
    for t in range(6):
        journal.result(f"t{t}", [("a", 5), ("b", 5)])  # constant scores, presentation order
    runner = CliRunner()
    zh = runner.invoke(app, ["report", str(journal.path), "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    page = (journal.path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "这个排名可信吗" in page
    en = runner.invoke(app, ["report", str(journal.path), "--lang", "en"])
    assert en.exit_code == 0, en.output
    page = (journal.path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Can this ranking be trusted?" in page and "这个排名" not in page
    summary = json.loads((journal.path / "summary.json").read_text(encoding="utf-8"))
    assert summary["judge"]["language"] == "en"
    assert any("same overall score" in w for w in summary["judge"]["warnings"])
    bad = runner.invoke(app, ["report", str(journal.path), "--lang", "fr"])
    assert bad.exit_code != 0


def test_printed_paths_are_the_hosts_when_running_in_a_container(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analyze.settings import Settings

    monkeypatch.setenv("HOST_OUTPUT_DIR", "")  # compose passes an unset variable as ""
    assert Settings().host_output_dir is None
    settings = Settings(output_dir=Path("/outputs"), host_output_dir=tmp_path / "stamp")
    assert settings.shown_path(Path("/outputs/report.html")) == tmp_path / "stamp" / "report.html"
    assert settings.shown_path(Path("/data/tasks.jsonl")) == Path("/data/tasks.jsonl")  # not an output
    assert Settings(output_dir=Path("/o")).shown_path(Path("/o/x")) == Path("/o/x")


def test_run_in_a_container_prints_only_host_paths(
    tmp_path: Path, fake_judge: FakeJudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `make analyze` runs it: the job writes to its mount (here tmp/o) and names the host directory."""
    host = tmp_path / "host-outputs" / "stamp"
    monkeypatch.setenv("HOST_OUTPUT_DIR", str(host))
    path = write_jsonl(tmp_path / "in.jsonl", [make_task(f"t{i}") for i in range(2)])
    container = tmp_path / "o"
    result = runner.invoke(app, ["run", str(path), "-o", str(container), "--base-url", fake_judge.base_url])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == f"   report_html: {host / 'report.html'}"
    assert str(container) not in result.stdout
    assert f"{host}" in result.stdout and (container / "report.html").exists()


def test_validate_says_which_tests_each_task_carries(tmp_path: Path) -> None:
    humaneval = {"test": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "entry_point": "add"}
    tasks = [
        make_task("he", **humaneval),
        make_task("mbpp", test_list=["assert add(1, 2) == 3"]),
        make_task("js-he", language="javascript", **humaneval),
        make_task("plain"),
        {**make_task("bad"), "test_list": ["assert x", 3]},
    ]
    path = write_jsonl(tmp_path / "in.jsonl", tasks)
    report = json.loads(runner.invoke(app, ["validate", str(path), "--json"]).stdout)
    assert report["tests"] == {"humaneval": 2, "mbpp": 1, "none": 1}
    by_id = {t["task_id"]: t for t in report["tasks"]}
    assert by_id["he"] == {"line": 1, "task_id": "he", "tests": "humaneval", "not_runnable": None}
    assert "javascript cannot run humaneval" in by_id["js-he"]["not_runnable"]
    assert report["rejected"] == [{"line": 5, "reason": "line 5: 'test_list'[1] must be text, got int"}]
    text = runner.invoke(app, ["validate", str(path)]).stdout
    assert "tests by shape: humaneval 2, mbpp 1, none 1" in text
    assert "line 3: task 'js-he': its tests will not run" in text
