"""Pass rates, Wilson bounds and not-run counts per model, on a journal whose counts are known."""

import json

import pandas as pd
import pytest
from analyze.report.analysis import BootstrapSettings, analyse
from analyze.report.journal import read_journal
from analyze.report.tables import write_tables

from .journal_factory import JournalDir, execution

FAST = BootstrapSettings(resamples=20, seed=0, prior=0.5)
NO_NODE = "no javascript runtime (node) in this sandbox"
NO_KIND = "tests of kind stdio are not supported for javascript"


def five_tasks(journal: JournalDir) -> None:
    """A: passed, passed, failed, error, not_run; B: passed, timeout, not_run x2, one without execution."""
    runs = [
        ("passed", "passed"),
        ("passed", "timeout"),
        ("failed", ("not_run", NO_NODE)),
        ("error", ("not_run", NO_KIND)),
        (("not_run", NO_NODE), None),
    ]
    for t, (a, b) in enumerate(runs):
        pair = [a, b]
        executions = [
            None if x is None else execution(x) if isinstance(x, str) else execution(x[0], detail=x[1])
            for x in pair
        ]
        journal.result(f"t{t}", [("A", 7), ("B", 6)], executions=executions)


def summary_and_models(journal: JournalDir) -> tuple[dict, pd.DataFrame]:
    paths = write_tables(analyse(read_journal(journal.path), FAST, []), journal.path)
    summary = json.loads(paths["summary_json"].read_text())
    return summary, pd.read_csv(paths["models_csv"]).set_index("model")


def test_pass_rates_and_wilson_bounds_per_model(journal: JournalDir) -> None:
    five_tasks(journal)
    summary, models = summary_and_models(journal)
    a, b = models.loc["A"], models.loc["B"]
    assert (a["executed"], a["exec_passed"], a["not_run"], a["pass_rate"]) == (4, 2, 1, 0.5)
    assert (b["executed"], b["exec_passed"], b["not_run"], b["pass_rate"]) == (2, 1, 2, 0.5)
    # Wilson 95%: 2/4 -> centre 0.5, half 1.959964/1.960365 * sqrt(0.0625 + 3.841459/64) = 0.349961
    assert (a["pass_ci_low"], a["pass_ci_high"]) == pytest.approx((0.150039, 0.849961), abs=1e-6)
    # 1/2 -> centre 0.5, half 1.959964/2.920730 * sqrt(0.125 + 3.841459/16) = 0.405469
    assert (b["pass_ci_low"], b["pass_ci_high"]) == pytest.approx((0.094531, 0.905469), abs=1e-6)
    execution_figures = summary["execution"]
    assert execution_figures["models"]["A"]["pass_rate"] == 0.5
    assert (execution_figures["executed"], execution_figures["passed"]) == (6, 3)
    # Wilson 3/6: centre 0.5, half 1.959964/1.640243 * sqrt(0.25/6 + 3.841459/144) = 0.312384
    assert execution_figures["pass_ci_low"] == pytest.approx(0.187616, abs=1e-6)
    assert execution_figures["by_status"] == {
        "passed": 3,
        "failed": 1,
        "error": 1,
        "timeout": 1,
        "not_run": 3,
    }
    assert (execution_figures["not_run"], execution_figures["without_execution"]) == (3, 1)
    assert execution_figures["not_run_by_reason"] == {NO_NODE: 2, NO_KIND: 1}


def test_scores_csv_carries_the_execution(journal: JournalDir) -> None:
    five_tasks(journal)
    journal.result("t9", [("A", 5)], passed=[True], passed_source=["input"])
    paths = write_tables(analyse(read_journal(journal.path), FAST, []), journal.path)
    scores = pd.read_csv(paths["scores_csv"], keep_default_na=False, dtype=str)  # empty cells stay ""
    columns = ["passed", "passed_source", "exec_status", "tests_passed", "tests_total"]
    assert list(scores.columns[7:12]) == columns
    rows = scores.set_index(["task_id", "candidate_id"])[columns]
    assert rows.loc[("t0", "c1")].tolist() == ["True", "execution", "passed", "3", "3"]
    assert rows.loc[("t1", "c2")].tolist() == ["False", "execution", "timeout", "0", "3"]
    assert rows.loc[("t2", "c2")].tolist() == ["", "", "not_run", "0", "3"]
    assert rows.loc[("t4", "c2")].tolist() == ["", "", "", "", ""]  # no execution
    assert rows.loc[("t9", "c1")].tolist() == ["True", "input", "", "", ""]


def test_old_journal_has_no_execution_figures(journal: JournalDir) -> None:
    """A journal from before execution (input labels only): no execution section, empty new columns, and
    the judge's ground-truth figures as before, its labels counted as the input's."""
    for t in range(4):
        journal.result(f"t{t}", [("A", 8), ("B", 6)], passed=[t < 3, t >= 3])
    summary, models = summary_and_models(journal)
    assert summary["execution"] is None
    assert (
        models[["executed", "pass_rate", "pass_ci_low", "grounded_rank", "grounded_bt_strength"]]
        .isna()
        .all(axis=None)
    )
    judge = summary["judge"]
    assert (judge["truth_pairs"], judge["truth_pairwise_accuracy"]) == (4, 0.75)
    assert judge["truth_sources"] == {"input": 8, "execution": 0}
