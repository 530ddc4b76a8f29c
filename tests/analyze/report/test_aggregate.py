import math

import numpy as np
import pytest
from analyze.report import aggregate
from analyze.report.journal import read_journal

from .journal_factory import JournalDir, request, scores, task_counts


def hand_example(journal: JournalDir) -> None:
    """Wins: t1 A>B, A>C, B>C; t2 B>A; t3 A>C twice (A vs A is no pair); t4 D>E."""
    journal.result("t1", [("A", 8), ("B", 6), ("C", 4)])
    journal.result("t2", [("B", 7), ("A", 6)])
    journal.result("t3", [("A", 9), ("A", 7), ("C", 3)])
    journal.result("t4", [("D", 5), ("E", 5)])


def analysed(journal: JournalDir):
    data = read_journal(journal.path)
    models = aggregate.model_names(data.candidates)
    wins = aggregate.pairwise_outcomes(data.candidates, models).win_matrix(weighted=False)
    return data, models, wins


def test_pairwise_wins_and_win_rates(journal: JournalDir) -> None:
    hand_example(journal)
    _, models, wins = analysed(journal)
    assert models == ["A", "B", "C", "D", "E"]
    np.testing.assert_array_equal(
        wins,
        [[0, 1, 3, 0, 0], [1, 0, 1, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
    )
    won, compared, rate = aggregate.win_rates(wins)
    assert won.tolist() == [4, 2, 0, 1, 0]
    assert compared.tolist() == [5, 3, 4, 1, 1]
    np.testing.assert_allclose(rate, [0.8, 2 / 3, 0.0, 1.0, 0.0])


def test_bradley_terry_weighs_each_pair_one_over_n_minus_one(journal: JournalDir) -> None:
    """t1 and t3 rank 3 candidates (pairs weigh 1/2), t2 and t4 rank 2 (pairs weigh 1)."""
    hand_example(journal)
    data = read_journal(journal.path)
    models = aggregate.model_names(data.candidates)
    weighted = aggregate.pairwise_outcomes(data.candidates, models).win_matrix()
    np.testing.assert_array_equal(
        weighted,
        [[0, 0.5, 1.5, 0, 0], [1, 0, 0.5, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
    )


def test_pairwise_shares_empty_where_never_met(journal: JournalDir) -> None:
    hand_example(journal)
    _, _, wins = analysed(journal)
    shares = aggregate.pairwise_shares(wins)
    assert shares[0, 1] == 0.5 and shares[1, 0] == 0.5
    assert shares[0, 2] == 1.0 and shares[2, 0] == 0.0
    assert shares[3, 4] == 1.0
    assert math.isnan(shares[0, 3]) and math.isnan(shares[0, 0])


def test_model_rows_means_ci_and_rank(journal: JournalDir) -> None:
    hand_example(journal)
    data, models, wins = analysed(journal)
    n = len(models)
    rows = aggregate.model_rows(
        data.candidates, models, ["overall"], wins, np.ones(n), np.full(n, np.nan), np.full(n, np.nan)
    )
    by_model = {row["model"]: row for row in rows}
    a = by_model["A"]
    assert a["count"] == 4 and a["tasks"] == 3
    assert a["overall_mean"] == 7.5  # 8, 6, 9, 7
    half = 3.182446 * math.sqrt(5 / 3 / 4)  # t(0.975, 3) * s / sqrt(n), s^2 = 5/3
    assert a["overall_ci_low"] == pytest.approx(7.5 - half, rel=1e-5)
    assert a["overall_ci_high"] == pytest.approx(7.5 + half, rel=1e-5)
    assert a["mean_rank"] == (0 + 1 + 0 + 0.5) / 4  # (rank - 1) / (N - 1): t1 1st of 3, t2 2nd of 2, t3
    assert a["win_rate"] == 0.8 and a["wins"] == 4 and a["comparisons"] == 5
    assert by_model["B"]["overall_mean"] == 6.5
    assert by_model["C"]["overall_mean"] == 3.5 and by_model["C"]["mean_rank"] == 1.0  # always last
    assert a["bt_ci_low"] is None


def test_dimensions_keep_known_order_then_extras_then_overall(journal: JournalDir) -> None:
    journal.result("t1", [("A", {"overall": 5, "style": 4, "correctness": 6}), ("B", scores(4))])
    data = read_journal(journal.path)
    assert aggregate.score_dimensions(data.candidates) == [
        "correctness",
        "readability",
        "efficiency",
        "robustness",
        "maintainability",
        "style",
        "overall",
    ]


def test_task_counts_failure_that_later_succeeded(journal: JournalDir) -> None:
    journal.failure("t1")  # first run failed t1 ...
    journal.failure("t2", kind="timeout")
    journal.result("t1", [("A", 5), ("B", 4)])  # ... the next run judged it
    journal.failure("t3")
    journal.failure("t3", kind="context_length")  # failed twice: one failed task, last kind counts
    journal.reject(4, "line 4: bad")
    journal.reject(9, "line 9: bad")
    journal.run(100.0, 110.0, tasks_valid=6, tasks_skipped=0)
    journal.run(200.0, 220.0, tasks_valid=6, tasks_skipped=1)
    data = read_journal(journal.path)
    assert aggregate.task_counts(data) == task_counts(6, 1, 2, 2, 1)
    assert data.failure_kinds == {"t2": "timeout", "t3": "context_length"}
    assert aggregate.elapsed_seconds(data) == 30.0


def test_task_counts_without_runs(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5)], started_at=10.0, finished_at=12.0)
    journal.result("t2", [("A", 5)], started_at=11.0, finished_at=15.0)
    journal.failure("t3")
    data = read_journal(journal.path)
    assert aggregate.task_counts(data) == task_counts(3, 2, 1, 0, 0)
    assert aggregate.elapsed_seconds(data) == 5.0  # span of the results' own timestamps


def test_throughput_counts_tokens_of_results_and_failures(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5)], requests=[request("b1", 1.0, 100, 50)])
    journal.result("t2", [("A", 5)], requests=[request("b2", 2.0, 200, 50)])
    journal.failure("t3", requests=[request("b1", 3.0, 100, 0)])
    journal.run(0.0, 10.0, tasks_valid=3)
    data = read_journal(journal.path)
    result = aggregate.throughput(data, succeeded=2)
    assert result["tokens"] == {"prompt": 400, "completion": 100, "total": 500}
    assert result["tasks_per_s"] == 0.2
    assert result["tokens_per_s"] == 50.0


def test_backend_stats(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5)], requests=[request("b1", 1.0), request("b1", 2.0), request("b2", 5.0)])
    journal.result("t2", [("A", 5)], requests=[request("b1", 3.0), request("b1", 4.0)])
    journal.failure("t3", requests=[request("b2", 7.0)])
    stats = aggregate.backend_stats(read_journal(journal.path).requests)
    assert list(stats) == ["b1", "b2"]
    assert stats["b1"]["requests"] == 4 and stats["b1"]["share"] == 4 / 6
    assert stats["b1"]["latency_s"]["p50"] == 2.5 and stats["b1"]["latency_s"]["max"] == 4.0
    assert stats["b2"]["requests_for_failed_tasks"] == 1
    assert stats["b2"]["latency_s"]["mean"] == 6.0


def test_position_consistency(journal: JournalDir) -> None:
    for task_id, consistent in (("t1", True), ("t2", False), ("t3", True)):
        swap = {"position_consistent": consistent, "forward_ranking": [], "reversed_ranking": []}
        journal.result(task_id, [("A", 5), ("B", 4)], swap=swap)
    journal.result("t4", [("A", 5), ("B", 4)])  # not swapped: not counted
    data = read_journal(journal.path)
    assert aggregate.position_consistency(data.swap_consistency) == {
        "swapped_tasks": 3,
        "consistent": 2,
        "share": 2 / 3,
    }
    assert aggregate.position_consistency([]) is None


def test_issue_and_severity_counts(journal: JournalDir) -> None:
    journal.result(
        "t1",
        [("A", 5), ("B", 4)],
        issues=[
            {"candidate_id": "c1", "model": "A", "category": "robustness", "severity": "high", "text": "x"},
            {"candidate_id": "c2", "category": "robustness", "severity": "low", "text": "y"},  # model from c2
            {"candidate_id": "c2", "model": "B", "category": "efficiency", "severity": "low", "text": "z"},
        ],
    )
    data = read_journal(journal.path)
    counts = aggregate.issue_counts(data.issues)
    assert counts == {"robustness": {"A": 1, "B": 1}, "efficiency": {"B": 1}}
    assert aggregate.severity_counts(data.issues) == {"low": 2, "high": 1}
