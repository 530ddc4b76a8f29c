import json
import math

import pandas as pd
import pytest
from analyze.report.analysis import BootstrapSettings, analyse
from analyze.report.journal import read_journal
from analyze.report.tables import write_tables

from .journal_factory import JournalDir, issue, task_counts

FAST = BootstrapSettings(resamples=20, seed=0, prior=0.5)


def write(journal: JournalDir) -> dict:
    return write_tables(analyse(read_journal(journal.path), FAST, []), journal.path)


def test_scores_csv_one_row_per_candidate(journal: JournalDir) -> None:
    journal.result("t1", [("A", 8), ("B", 6)], positions=[1, 0])
    journal.result("t2", [("B", 7), ("A", 6)])
    scores = pd.read_csv(write(journal)["scores_csv"])
    assert list(scores.columns[:6]) == ["task_id", "candidate_id", "model", "label", "position", "truncated"]
    assert list(scores.columns[-2:]) == ["overall", "rank"]
    assert len(scores) == 4
    first = scores.iloc[0]
    assert (first["task_id"], first["model"], first["position"], first["overall"], first["rank"]) == (
        "t1",
        "A",
        1,
        8.0,
        1,
    )


def test_models_csv_has_bradley_terry_and_win_rate(journal: JournalDir) -> None:
    for t in range(3):
        journal.result(f"w{t}", [("A", 8), ("B", 6)])
    journal.result("l1", [("B", 8), ("A", 6)])
    models = pd.read_csv(write(journal)["models_csv"]).set_index("model")
    assert list(models.index) == ["A", "B"]  # strongest first
    assert models.loc["A", "win_rate"] == 0.75
    assert models.loc["A", "bt_strength"] / models.loc["B", "bt_strength"] == pytest.approx(3.5 / 1.5)
    assert models.loc["A", "bt_ci_low"] <= models.loc["A", "bt_strength"] <= models.loc["A", "bt_ci_high"]
    assert models.loc["A", "overall_mean"] == 7.5


def test_pairwise_csv_blank_where_never_met(journal: JournalDir) -> None:
    journal.result("t1", [("A", 8), ("B", 6)])
    journal.result("t2", [("C", 8), ("D", 6)])
    path = write(journal)["pairwise_csv"]
    pairwise = pd.read_csv(path, index_col="model")
    assert pairwise.loc["A", "B"] == 1.0 and pairwise.loc["B", "A"] == 0.0
    assert math.isnan(pairwise.loc["A", "C"]) and math.isnan(pairwise.loc["A", "A"])
    assert "nan" not in path.read_text().lower()  # blank cells, not "nan"


def test_issues_csv_categories_by_models(journal: JournalDir) -> None:
    journal.result(
        "t1",
        [("A", 8), ("B", 6)],
        issues=[
            issue("c1", "A", "x", "robustness"),
            issue("c2", "B", "y", "robustness"),
            issue("c2", "B", "z", "style"),
        ],
    )
    issues = pd.read_csv(write(journal)["issues_csv"], index_col="category")
    assert issues.to_dict(orient="index") == {
        "robustness": {"A": 1, "B": 1, "total": 2},
        "style": {"A": 0, "B": 1, "total": 1},
    }


def test_summary_json(journal: JournalDir) -> None:
    journal.result("t1", [("A", 8), ("B", 6)])
    journal.failure("t2")
    journal.run(0.0, 4.0, tasks_valid=2)
    summary = json.loads(write(journal)["summary_json"].read_text())
    assert summary["tasks"] == task_counts(2, 1, 1, 0, 0)
    assert summary["elapsed_s"] == 4.0 and summary["tasks_per_s"] == 0.25
    assert summary["position_consistency"] is None
    assert summary["failures_by_kind"] == {"retries_exhausted": 1}
    assert summary["bradley_terry"]["bootstrap_resamples"] == 20


def test_empty_directory_gives_header_only_tables(journal: JournalDir) -> None:
    paths = write(journal)
    assert pd.read_csv(paths["scores_csv"]).empty
    assert "overall_mean" in pd.read_csv(paths["models_csv"]).columns
    assert json.loads(paths["summary_json"].read_text())["tasks"] == task_counts(0, 0, 0, 0, 0)
