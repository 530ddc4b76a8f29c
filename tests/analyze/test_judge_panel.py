"""A panel of judges (`analyze run --model A --model B`): the plan from /v1/models, the directory names
from hostile model names, and the real command on two simulators serving two models (stand-in: the
project's simulator; each judges at random, fixed by the request seed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analyze.fleet.models import ModelsReading
from analyze.fleet.readiness import NotServedError
from analyze.judge_panel import JURY_DIR, judge_dir_names, plan_panel
from analyze.settings import SettingsError, load_settings
from vllm_sim.testing import run_simulator

from tests.analyze.judge_fakes import make_task, read_jsonl, write_jsonl
from tests.analyze.sim_runs import analyze_run, clean_env, finished_requests

TASKS = 6


def listing(url: str, *models: str) -> ModelsReading:
    return ModelsReading(
        url, 200, {"object": "list", "data": [{"id": m, "max_model_len": 4096} for m in models]}
    )


def test_one_model_is_the_single_judge_and_a_repeated_one_is_refused() -> None:
    assert load_settings({"judges": ["a"]}).model == "a"
    assert load_settings({"judges": ["a"]}).judges == []
    assert load_settings({"judges": ["a", "b"]}).judges == ["a", "b"]
    with pytest.raises(SettingsError, match="'a' given twice"):
        load_settings({"judges": ["a", "b", "a"]})
    with pytest.raises(SettingsError, match="1 to 200 characters"):
        load_settings({"judges": ["a", "x" * 201]})


def test_the_variable_names_the_panel_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZE_JUDGES", "judge-a, judge-b")
    assert load_settings().judges == ["judge-a", "judge-b"]


def test_directory_names_are_safe_distinct_and_never_the_jury() -> None:
    names = judge_dir_names(
        ["Qwen/Qwen3-30B", "Qwen_Qwen3-30B", "..", "../../etc", "jury", "AB", "ab", "é" * 300, "x" * 300]
    )
    assert names[:2] == ["Qwen_Qwen3-30B", "Qwen_Qwen3-30B-2"]
    assert names[2] == "judge" and names[3] == "etc"
    assert names[4] != JURY_DIR and names[4].startswith("jury")
    assert names[5] == "AB" and names[6].lower() != "ab"  # distinct where case folds
    assert names[7] == "judge-2"  # nothing safe left, and ".." took "judge"
    assert names[8] == "x" * 80
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 80 and "/" not in n and n not in (".", "..") for n in names)


def test_each_judge_gets_the_backends_that_list_it(tmp_path: Path) -> None:
    readings = [
        listing("http://a/v1", "judge-a"),
        listing("http://b/v1", "judge-b"),
        listing("http://c/v1", "judge-a"),
    ]
    plan = plan_panel(["judge-b", "judge-a"], readings, tmp_path)
    assert [(run.model, run.base_urls, run.output_dir.name) for run in plan] == [
        ("judge-b", ["http://b/v1"], "judge-b"),
        ("judge-a", ["http://a/v1", "http://c/v1"], "judge-a"),
    ]


def test_a_judge_no_backend_serves_is_named_with_what_each_backend_said(tmp_path: Path) -> None:
    readings = [listing("http://a/v1", "judge-a"), ModelsReading("http://b/v1", error="ConnectionRefused")]
    with pytest.raises(NotServedError) as caught:
        plan_panel(["judge-a", "judge-c"], readings, tmp_path)
    message = str(caught.value)
    assert "'judge-c'" in message and "'judge-a'" not in message
    assert "http://a/v1: judge-a" in message and "http://b/v1: ConnectionRefused" in message


@pytest.mark.timeout(300)
def test_a_panel_judges_every_task_with_each_model_on_its_own_instances(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}", n=3) for i in range(TASKS)])
    out = tmp_path / "out"
    flags = ("--model", "judge-a", "--model", "judge/b", "--report", "--wait-ready", "10")
    env = clean_env(ANALYZE_CONCURRENCY="4")
    with (
        run_simulator(name="sim-a", model="judge-a", time_scale=0, output_len="fixed:40") as url_a,
        run_simulator(name="sim-b", model="judge/b", time_scale=0, output_len="fixed:40") as url_b,
    ):
        urls = [url_a + "/v1", url_b + "/v1"]
        first = analyze_run(tmp_path / "tasks.jsonl", out, urls, *flags, env=env)
        assert first.returncode == 0, first.stderr
        # each judge's requests went to the instance that serves it, and to no other
        assert finished_requests(url_a) == TASKS and finished_requests(url_b) == TASKS
        again = analyze_run(tmp_path / "tasks.jsonl", out, urls, *flags[:4], env=env)  # no report
        assert again.returncode == 0, again.stderr
        # resumed: nothing judged anew
        assert finished_requests(url_a) == TASKS and finished_requests(url_b) == TASKS
    assert again.stdout.count(f"already done {TASKS}") == 2
    for model, name in (("judge-a", "judge-a"), ("judge/b", "judge_b")):
        run_dir = out / name
        assert sorted(r["task_id"] for r in read_jsonl(run_dir / "results.jsonl")) == [
            f"t{i}" for i in range(TASKS)
        ]
        assert {r["configuration"]["judge_model"] for r in read_jsonl(run_dir / "runs.jsonl")} == {model}
        assert (run_dir / "report.html").is_file()
    jury = json.loads((out / JURY_DIR / "compare.json").read_text(encoding="utf-8"))
    assert [run["name"] for run in jury["runs"]] == ["judge-a", "judge_b"]
    assert jury["tasks"]["compared"] == TASKS
    assert "judge_model" in jury["settings"]["varied"]
    assert jury["jury"] is not None and len(jury["pairs"]) == 1
    assert "Judge 1/2: judge-a" in first.stdout and "Judge 2/2: judge/b" in first.stdout
    assert (out / JURY_DIR / "compare.html").is_file()


@pytest.mark.timeout(120)
def test_a_judge_the_fleet_does_not_serve_stops_the_panel_before_judging(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task("t0", n=2)])
    with run_simulator(name="sim-a", model="judge-a", time_scale=0) as url:
        done = analyze_run(
            tmp_path / "tasks.jsonl",
            tmp_path / "out",
            [url + "/v1"],
            "--model",
            "judge-a",
            "--model",
            "judge-c",
        )
    assert done.returncode == 2
    assert "no backend serves judge 'judge-c'" in done.stderr and "judge-a" in done.stderr
    assert not (tmp_path / "out" / "judge-a").exists()


@pytest.mark.timeout(120)
def test_the_seed_entry_point_runs_a_panel_named_by_the_variable(tmp_path: Path) -> None:
    from analyze.pipeline import run_pipeline

    from tests.analyze.judge_fakes import fast_settings

    write_jsonl(tmp_path / "tasks.jsonl", [make_task(f"t{i}", n=2) for i in range(3)])
    with (
        run_simulator(name="sim-a", model="judge-a", time_scale=0) as url_a,
        run_simulator(name="sim-b", model="judge-b", time_scale=0) as url_b,
    ):
        settings = fast_settings(tmp_path, [url_a + "/v1", url_b + "/v1"], judges=["judge-a", "judge-b"])
        with pytest.raises(ValueError, match="pass no client"):
            run_pipeline(settings=settings, client=object(), report=False)
        paths = run_pipeline(settings=settings, report=False)
    assert {"judge-a/results", "judge-b/results"} <= set(paths)
    for judge in ("judge-a", "judge-b"):
        assert len(read_jsonl(tmp_path / "out" / judge / "results.jsonl")) == 3
    assert not (tmp_path / "out" / JURY_DIR).exists()  # no report asked: no jury either


@pytest.mark.timeout(120)  # a panel waiting out --wait-ready 600 would fail here
def test_a_backend_that_refuses_stops_the_panel_at_once(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", [make_task("t0", n=2)])
    with (
        run_simulator(name="sim-a", model="judge-a", time_scale=0) as url_a,
        run_simulator(name="sim-b", model="judge-b", time_scale=0, api_key="sk-other") as url_b,
    ):
        urls = [url_a + "/v1", url_b + "/v1"]
        flags = ("--model", "judge-a", "--model", "judge-b", "--wait-ready", "600")
        done = analyze_run(tmp_path / "tasks.jsonl", tmp_path / "out", urls, *flags)
    assert done.returncode == 2
    assert f"{url_b}/v1: HTTP 401 on /v1/models" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_resume_command_quotes_what_the_shell_would_split(tmp_path: Path) -> None:
    from analyze.judge_panel import panel_command

    settings = load_settings({"judges": ["a b", "c;d"], "input_jsonl": tmp_path / "in put.jsonl"})
    assert panel_command(settings).endswith("--model 'a b' --model 'c;d'")
    assert f"'{tmp_path}/in put.jsonl'" in panel_command(settings)
