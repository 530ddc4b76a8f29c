"""AUROC of the correctness score on known separations, truth sources, and the judge-miss list."""

import pandas as pd
import pytest
from analyze.report.analysis import BootstrapSettings, analyse
from analyze.report.journal import read_journal
from analyze.report.tables import write_tables

from .journal_factory import JournalDir, execution, scores

SETTINGS = BootstrapSettings(resamples=100, seed=0, prior=0.5)


def judge(journal: JournalDir) -> dict:
    return analyse(read_journal(journal.path), SETTINGS, []).summary["judge"]


def two_candidate_tasks(journal: JournalDir, passing: float, failing: float, tasks: int = 6) -> None:
    for t in range(tasks):
        journal.result(
            f"t{t}",
            [("A", scores(7, correctness=passing)), ("B", scores(5, correctness=failing))],
            executions=[execution("passed"), execution("failed")],
        )


@pytest.mark.parametrize(("passing", "failing", "expected"), [(8, 3, 1.0), (5, 5, 0.5), (3, 8, 0.0)])
def test_auroc_known_separations(
    journal: JournalDir, passing: float, failing: float, expected: float
) -> None:
    two_candidate_tasks(journal, passing, failing)
    figures = judge(journal)
    assert figures["truth_auroc"] == expected
    # every task separates the same way, so every resample gives the same value
    assert figures["truth_auroc_ci_low"] == figures["truth_auroc_ci_high"] == expected
    assert (figures["truth_auroc_passed"], figures["truth_auroc_failed"]) == (6, 6)
    assert figures["truth_sources"] == {"input": 0, "execution": 12}


def test_auroc_is_pooled_across_tasks(journal: JournalDir) -> None:
    """Within each task the passing candidate scores higher, but pooled, task 2's failing 5 ties task 1's
    passing 5: pairs (5>3) 1, (5=5) 1/2, (8>3) 1, (8>5) 1 -> 3.5 / 4."""
    for t, (passing, failing) in enumerate([(5, 3), (8, 5)]):
        journal.result(
            f"t{t}",
            [("A", scores(7, correctness=passing)), ("B", scores(5, correctness=failing))],
            passed=[True, False],
        )
    figures = judge(journal)
    assert figures["truth_auroc"] == 0.875
    assert figures["truth_auroc_ci_low"] <= 0.875 <= figures["truth_auroc_ci_high"]
    assert figures["truth_sources"] == {"input": 4, "execution": 0}  # no passed_source: the input's


def test_auroc_without_both_outcomes_is_none(journal: JournalDir) -> None:
    journal.result("t1", [("A", 7), ("B", 5)], executions=[execution("passed"), execution("not_run")])
    figures = judge(journal)
    assert figures["truth_auroc"] is None and figures["truth_auroc_ci_low"] is None


def misses_journal(journal: JournalDir) -> None:
    failed = execution("failed", 1, 3, "case 2: expected 4, got 5")
    journal.result(
        "m1", [("A", 9), ("B", 7), ("C", 5)], executions=[failed, execution("passed"), execution("passed")]
    )
    journal.result("m2", [("A", 9), ("B", 7)], executions=[execution("passed"), execution("failed")])
    journal.result("m3", [("A", 9), ("B", 7)], executions=[execution("failed"), execution("error")])
    journal.result("m4", [("A", 9), ("B", 7)], executions=[execution("not_run"), execution("passed")])
    journal.result(
        "m5",
        [("B", 9), ("C", 7), ("A", 5)],
        passed=[False, None, True],
        passed_source=["input", None, "input"],
    )


def test_judge_misses_list_and_rate(journal: JournalDir) -> None:
    """m1: first choice failed, c2 passed (a miss); m2: first choice passed; m3: nothing passed and m4: the
    first choice's outcome is unknown (neither can be missed); m5: an input label failed, c3 passed."""
    misses_journal(journal)
    analysis = analyse(read_journal(journal.path), SETTINGS, [])
    figures = analysis.summary["judge"]
    assert (figures["truth_first_choice_tasks"], figures["truth_first_choice_misses"]) == (3, 2)
    assert figures["truth_first_choice_miss_rate"] == pytest.approx(2 / 3)
    paths = write_tables(analysis, journal.path)
    rows = pd.read_csv(paths["judge_misses_csv"], keep_default_na=False, dtype=str)
    assert rows.to_dict(orient="records") == [
        {
            "task_id": "m1",
            "chosen_candidate": "c1",
            "chosen_model": "A",
            "passed_source": "execution",
            "exec_status": "failed",
            "tests_passed": "1",
            "tests_total": "3",
            "detail": "case 2: expected 4, got 5",
            "best_passing_candidate": "c2",
            "best_passing_model": "B",
            "best_passing_rank": "2",
        },
        {
            "task_id": "m5",
            "chosen_candidate": "c1",
            "chosen_model": "B",
            "passed_source": "input",
            "exec_status": "",
            "tests_passed": "",
            "tests_total": "",
            "detail": "",
            "best_passing_candidate": "c3",
            "best_passing_model": "A",
            "best_passing_rank": "3",
        },
    ]


def test_no_misses_gives_a_header_only_csv(journal: JournalDir) -> None:
    journal.result("t1", [("A", 9), ("B", 7)], executions=[execution("passed"), execution("failed")])
    paths = write_tables(analyse(read_journal(journal.path), SETTINGS, []), journal.path)
    frame = pd.read_csv(paths["judge_misses_csv"])
    assert frame.empty and "best_passing_candidate" in frame.columns
