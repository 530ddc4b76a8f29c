"""The labelled sample (data/tasks.jsonl, `passed` from running each candidate's unit tests) judged by
the simulator, whose verdicts are random: the report must say the judge is no better than chance, with
the figures, and `analyze report` must compute the same figures again from the journal alone.

Stand-in: the simulator (`vllm_sim`, schema-valid random verdicts, content-seeded so the run repeats).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from analyze.cli import app
from analyze.pipeline import execute_pipeline
from analyze.progress import Console
from typer.testing import CliRunner
from vllm_sim.testing import start_simulator

from .judge_fakes import fast_settings

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "tasks.jsonl"


def test_random_judge_on_the_labelled_sample_is_reported_as_no_better_than_chance(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "tasks.jsonl")
    with start_simulator(time_scale=0, seed=0) as sim:
        settings = fast_settings(tmp_path, [sim.base_url], concurrency="16")
        outcome = execute_pipeline(settings, console=Console("en", stream=io.StringIO()))
    assert outcome.stats.succeeded == 40 and outcome.stats.failed == 0
    out = tmp_path / "out"
    judge = json.loads((out / "summary.json").read_text(encoding="utf-8"))["judge"]
    assert judge["truth_labelled_candidates"] == 80  # every label of the sample reached the journal
    assert (
        judge["length_score_corr"] is not None and judge["length_coefficient"] is not None
    )  # code_chars too
    assert judge["truth_pairs"] >= 30 and judge["truth_top1_tasks"] >= 15
    low, high = judge["truth_pairwise_ci_low"], judge["truth_pairwise_ci_high"]
    assert low <= 0.5  # random verdicts: the interval reaches chance
    assert judge["trust"] == "untrusted"
    headline = judge["warnings"][0]
    assert headline.startswith("The judge is no better than chance")
    assert f"{judge['truth_pairwise_accuracy']:.0%} of {judge['truth_pairs']} pairs" in headline
    assert f"95% interval {low:.0%}-{high:.0%}" in headline
    page = (out / "report.html").read_text(encoding="utf-8")
    banner = page[page.index('id="trust-banner"') : page.index("<h2>Overview</h2>")]
    assert "The judge is no better than chance" in banner and f"{judge['truth_pairs']} pairs" in banner

    # the journal alone: drop every derived file and rebuild
    for path in out.iterdir():
        if path.name not in ("results.jsonl", "failures.jsonl", "rejects.jsonl", "runs.jsonl"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    rebuilt = CliRunner().invoke(app, ["report", str(out), "--lang", "en"])
    assert rebuilt.exit_code == 0, rebuilt.output
    again = json.loads((out / "summary.json").read_text(encoding="utf-8"))["judge"]
    assert again == judge
