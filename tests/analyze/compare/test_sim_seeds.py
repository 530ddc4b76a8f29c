"""The real job run twice on the simulator (random verdicts fixed by the request seed), seeds 0 and 1:
the two runs agree about as well as chance, and the page says so in both languages."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy
import pytest
from analyze.cli import app
from analyze.compare import compare_runs
from analyze.pipeline import execute_pipeline
from analyze.progress import Console
from analyze.report.html_parts import fmt
from typer.testing import CliRunner
from vllm_sim.testing import run_simulator

from tests.analyze.judge_fakes import fast_settings, make_task, write_jsonl
from tests.analyze.report.test_page import CHROMIUM, needs_chromium, screenshot

TASKS = 20


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("sim")
    write_jsonl(root / "tasks.jsonl", [make_task(f"t{i}", n=3) for i in range(TASKS)])
    dirs = []
    with run_simulator(name="sim", time_scale=0, output_len="fixed:50") as url:
        for seed in (0, 1):
            settings = fast_settings(root, [url + "/v1"], seed=seed, output_dir=root / f"seed{seed}")
            execute_pipeline(settings, console=Console("en", stream=io.StringIO()), report=True)
            dirs.append(root / f"seed{seed}")
    return dirs


@pytest.mark.timeout(400)
def test_two_seeds_agree_near_chance(two_seeds: list[Path], tmp_path: Path) -> None:
    summary, paths = compare_runs(two_seeds, tmp_path / "en", lang="en", bootstrap_resamples=200, jury=True)
    assert summary["tasks"]["compared"] == TASKS and summary["tasks"]["compared_by_id"] == 0
    pair = summary["pairs"][0]
    assert summary["settings"]["varied"] == ["seed"]
    assert pair["agreement"] == "chance"
    assert pair["mean_task_kendall_tau_ci_low"] <= 0 <= pair["mean_task_kendall_tau_ci_high"]
    assert abs(pair["top1_agreement"] - pair["top1_chance"]) < 0.35
    page = paths["compare_html"].read_text(encoding="utf-8")
    assert "agree no better than chance" in page and "neither ranking can be" in page
    # the queue links into each run's report at the task's row
    link = pair["disagreements"][0]["link_a"]
    assert link.startswith("../") and "report.html#task-" in link and f'href="{link}"' in page
    zh = compare_runs(two_seeds, tmp_path / "zh", lang="zh", bootstrap_resamples=200)[1]["compare_html"]
    zh_page = zh.read_text(encoding="utf-8")
    assert (
        '<html lang="zh-CN">' in zh_page
        and "一致程度不比随机更好" in zh_page
        and "两个排名都不可信" in zh_page
    )


@needs_chromium
@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compare_page_renders_in_headless_chromium(two_seeds: list[Path], tmp_path: Path, lang: str) -> None:
    from PIL import ImageStat

    assert CHROMIUM.exists()
    paths = compare_runs(two_seeds, tmp_path / "cmp", lang=lang, bootstrap_resamples=200, jury=True)[1]
    image = screenshot(paths["compare_html"], tmp_path / "compare.png", tmp_path / "profile", height=1200)
    shutil.copy(tmp_path / "compare.png", paths["compare_html"].parent / f"compare-{lang}.png")
    assert image.getpixel((1200, 10)) == (0x1F, 0x4E, 0x79)  # the report's header band: its CSS applied
    assert ImageStat.Stat(image.convert("L")).stddev[0] > 20
    top = image.crop((0, 0, 1280, 600))
    pixels = numpy.asarray(top.convert("RGB"))
    assert (pixels == (0xFD, 0xE8, 0xE6)).all(axis=-1).any()  # the red "chance" banner on top


def test_the_command_writes_the_three_files_and_prints_the_table(
    two_seeds: list[Path], tmp_path: Path
) -> None:

    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        app, ["compare", *map(str, two_seeds), "-o", str(out), "--lang", "en", "--jury"]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {"compare.json", "compare.csv", "compare.html"}
    assert "seed0" in result.output and "seed1" in result.output
    summary = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    pair = summary["pairs"][0]
    row = next(line for line in result.output.splitlines() if line.startswith("seed0"))
    # the leaderboard tau with its interval, and the overall scores' Spearman, as compare.json has them
    assert (
        f"[{fmt(pair['leaderboard_kendall_tau_ci_low'])}, {fmt(pair['leaderboard_kendall_tau_ci_high'])}]"
        in row
    )
    assert row.split()[-2] == fmt(pair["score_spearman"]["overall"]) and row.endswith(pair["agreement"])
    missing = CliRunner().invoke(app, ["compare", str(two_seeds[0]), str(tmp_path / "nope"), "-o", str(out)])
    assert missing.exit_code == 2 and "nope" in missing.output
