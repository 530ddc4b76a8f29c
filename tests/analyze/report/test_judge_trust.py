"""summary.json["judge"] from scripted verdicts whose biases are known, so every figure is exact."""

import numpy as np
import pytest
from analyze.report import aggregate, build_report
from analyze.report.analysis import BootstrapSettings, analyse
from analyze.report.i18n import Texts
from analyze.report.journal import read_journal
from analyze.report.length_control import fit_length_controlled
from analyze.report.verdict_records import kendall_tau

from .journal_factory import JournalDir, request, scores


def judge(journal: JournalDir, lang: str = "en", resamples: int = 200) -> dict:
    return analyse(
        read_journal(journal.path), BootstrapSettings(resamples=resamples), [], Texts(lang)
    ).summary["judge"]


def test_position_bias_rate_chance_and_correlation(journal: JournalDir) -> None:
    """10 tasks of 3: 8 rankings are the presentation order, 2 its reverse."""
    for t in range(10):
        positions = [0, 1, 2] if t < 8 else [2, 1, 0]
        journal.result(f"t{t}", [("a", 9), ("b", 6), ("c", 3)], positions=positions)
    figures = judge(journal)
    assert figures["position_order_rate"] == 0.8
    assert figures["position_order_chance"] == pytest.approx(1 / 6)
    # normalised position vs rank: covariance 8 * 0.5 - 2 * 0.5 = 3 over variance 10 * 0.5 = 5
    assert figures["position_rank_corr"] == pytest.approx(0.6)
    assert figures["warning_codes"] == ["position_order", "position_corr"]
    assert figures["trust"] == "untrusted"
    assert figures["warnings"][0].startswith("80% of rankings are exactly the order")
    assert "17%" in figures["warnings"][0]


def test_random_looking_order_is_not_flagged(journal: JournalDir) -> None:
    """Every one of the 6 orders of 3 once: order rate = chance, correlation 0."""
    for t, positions in enumerate([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]):
        journal.result(f"t{t}", [("a", 9), ("b", 6), ("c", 3)], positions=positions)
    figures = judge(journal)
    assert figures["position_order_rate"] == pytest.approx(1 / 6) == figures["position_order_chance"]
    assert figures["position_rank_corr"] == pytest.approx(0.0, abs=1e-12)
    assert figures["warning_codes"] == []
    assert figures["trust"] == "unverified"  # nothing wrong, but no ground truth to prove it right


def test_constant_scores(journal: JournalDir) -> None:
    for t in range(8):
        ranked = [("a", 5), ("b", 5)] if t < 2 else [("a", 7), ("b", 4)]
        journal.result(f"t{t}", ranked, positions=[t % 2, 1 - t % 2])
    figures = judge(journal)
    assert figures["constant_score_rate"] == 0.25
    assert "constant_scores" in figures["warning_codes"]


def test_truth_accuracy_and_top1(journal: JournalDir) -> None:
    """10 tasks with one passed and one failed candidate: the passed one ranked first in 7."""
    for t in range(10):
        labels = [True, False] if t < 7 else [False, True]
        journal.result(f"t{t}", [("a", 8), ("b", 4)], passed=labels, positions=[t % 2, 1 - t % 2])
    journal.result("unlabelled", [("a", 8), ("b", 4)])
    journal.result("all-pass", [("a", 8), ("b", 4)], passed=[True, True])  # no pair, no top-1 task
    figures = judge(journal)
    assert figures["truth_labelled_candidates"] == 22
    assert figures["truth_pairs"] == 10 and figures["truth_pair_tasks"] == 10
    assert figures["truth_pairwise_accuracy"] == 0.7
    assert figures["truth_pairwise_ci_low"] <= 0.7 <= figures["truth_pairwise_ci_high"]
    assert figures["truth_top1_tasks"] == 10
    assert figures["truth_top1_pass_rate"] == 0.7 and figures["truth_top1_chance"] == 0.5
    again = judge(journal)
    assert again["truth_pairwise_ci_low"] == figures["truth_pairwise_ci_low"]  # seeded bootstrap


def test_truth_at_chance_is_said_in_the_banner_with_its_figures(journal: JournalDir) -> None:
    """Every task ranks its passed candidate between two failed ones: exactly 1 of 2 pairs right, so
    the task bootstrap's interval is [50%, 50%] and the judge is no better than chance."""
    for t in range(6):
        journal.result(
            f"t{t}",
            [("a", 8), ("b", 6), ("c", 3)],
            passed=[False, True, False],
            positions=[t % 3, 2 - t % 3, 1],
        )
    figures = judge(journal)
    assert figures["truth_pairs"] == 12 and figures["truth_pairwise_accuracy"] == 0.5
    assert (figures["truth_pairwise_ci_low"], figures["truth_pairwise_ci_high"]) == (0.5, 0.5)
    assert figures["truth_top1_pass_rate"] == 0.0 and figures["truth_top1_chance"] == pytest.approx(1 / 3)
    assert figures["warning_codes"][:2] == ["truth_chance", "truth_top1"]
    assert figures["warnings"][0] == (
        "The judge is no better than chance: it ranked the candidate that passed its tests above the one "
        "that failed in 50% of 12 pairs (95% interval 50%-50%, chance 50%)."
    )
    zh = judge(journal, lang="zh")
    assert zh["warnings"][0].startswith("评审模型不比随机猜测更好") and "12 对" in zh["warnings"][0]


def test_a_judge_that_ranks_the_passed_first_is_trusted(journal: JournalDir) -> None:
    for t in range(12):
        journal.result(f"t{t}", [("a", 8), ("b", 4)], passed=[True, False], positions=[t % 2, 1 - t % 2])
    figures = judge(journal)
    assert figures["truth_pairwise_accuracy"] == 1.0
    assert (figures["truth_pairwise_ci_low"], figures["truth_pairwise_ci_high"]) == (1.0, 1.0)
    assert figures["warning_codes"] == [] and figures["trust"] == "trusted"


def test_swap_figures_new_and_old_format(journal: JournalDir) -> None:
    new = [(1.0, True), (-1 / 3, False), (0.2, True)]
    for t, (tau, top1) in enumerate(new):
        swap = {
            "positions": {"c1": [0, 1], "c2": [1, 2], "c3": [2, 0]},
            "kendall_tau": tau,
            "top1_agree": top1,
        }
        journal.result(f"n{t}", [("a", 9), ("b", 6), ("c", 3)], swap=swap)
    old = {
        "position_consistent": True,
        "forward_ranking": ["c1", "c2", "c3"],
        "reversed_ranking": ["c1", "c3", "c2"],
    }
    journal.result("old", [("a", 9), ("b", 6), ("c", 3)], swap=old)
    figures = judge(journal)
    assert figures["swap_tasks"] == 4
    assert figures["swap_kendall_tau_mean"] == pytest.approx((1.0 - 1 / 3 + 0.2 + 1 / 3) / 4)
    assert figures["swap_top1_agreement"] == 0.75
    assert figures["swap_kendall_tau_mean"] < 0.5 and "swap_tau" in figures["warning_codes"]


def test_kendall_tau() -> None:
    assert kendall_tau(["a", "b", "c"], ["a", "b", "c"]) == 1.0
    assert kendall_tau(["a", "b", "c"], ["c", "b", "a"]) == -1.0
    assert kendall_tau(["a", "b", "c"], ["a", "c", "b"]) == pytest.approx(1 / 3)
    assert kendall_tau(["a"], ["a"]) is None


def test_attempt_figures_from_counts_and_from_attempt_logs(journal: JournalDir) -> None:
    """The attempt log of docs/journal-format.md: a cut, then a repair turn that gave the verdict."""
    cut_then_repaired = [
        {"attempt": 1, "outcome": "length", "finish_reason": "length", "changed": {}, "repair_turn": False},
        {"attempt": 2, "outcome": "no_reply", "changed": {}, "repair_turn": False},  # HTTP 503: no reply
        {"attempt": 3, "outcome": "ok", "finish_reason": "stop", "changed": {"repair_turn": [False, True]},
         "repair_turn": True},
    ]  # fmt: skip
    logged = request("b1", 1.0, attempts=3) | {"attempt_log": cut_then_repaired, "ranking_repair": None}
    rebuilt = request("b1", 1.0) | {"ranking_repair": {"reason": "A (4.5) above B (7.5)"}}
    journal.result("t0", [("a", 8), ("b", 4)], requests=[request("b1", 1.0, attempts=3)])
    journal.result("t1", [("a", 8), ("b", 4)], requests=[logged])
    journal.result("t2", [("a", 8), ("b", 4)], requests=[rebuilt])
    journal.result("t3", [("a", 8), ("b", 4)], requests=[request("b1", 1.0)], ranking_repaired=False)
    journal.failure("t4")  # 5 attempts, none logged: one more request that was retried
    figures = judge(journal)
    assert figures["requests"] == 5
    assert figures["retry_rate"] == 3 / 5  # t0, t1 and the failed one
    assert figures["length_cut_rate"] == 1 / 2  # of the 2 logged attempts that got a reply
    assert figures["repair_rate"] == 2 / 4  # t1's repair turn, t2's rebuilt ranking
    assert {"retries", "length_cuts", "repairs"} <= set(figures["warning_codes"])


def test_old_journal_has_no_length_cut_figure(journal: JournalDir) -> None:
    journal.result("t0", [("a", 8), ("b", 4)], requests=[request("b1", 1.0)])
    figures = judge(journal)
    assert figures["length_cut_rate"] is None and figures["retry_rate"] == 0.0


def test_length_score_correlation(journal: JournalDir) -> None:
    """Within each task the longer candidate scores higher by the same margin: correlation 1."""
    for t in range(6):
        journal.result(
            f"t{t}", [("a", 8), ("b", 4)], code_chars=[200 + t, 100 + t], positions=[t % 2, 1 - t % 2]
        )
    figures = judge(journal)
    assert figures["length_score_corr"] == pytest.approx(1.0)
    assert "length_bias" in figures["warning_codes"]
    assert figures["length_coefficient"] > 0


def test_length_controlled_equals_plain_fit_when_lengths_are_equal(journal: JournalDir) -> None:
    for t in range(5):
        journal.result(f"t{t}", [("a", 8), ("b", 6), ("c", 3)], code_chars=[100, 100, 100])
    journal.result("t5", [("b", 8), ("a", 6)], code_chars=[100, 100])
    data = read_journal(journal.path)
    models = aggregate.model_names(data.candidates)
    outcomes = aggregate.pairwise_outcomes(data.candidates, models)
    from analyze.report.bradley_terry import fit

    controlled = fit_length_controlled(outcomes)
    assert controlled is not None and controlled.length_coefficient == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(controlled.strength, fit(outcomes.win_matrix()), rtol=1e-7)


def test_length_control_removes_a_pure_length_preference(journal: JournalDir) -> None:
    """The judge prefers the longer candidate 85% of the time whoever wrote it; model a wrote the longer
    one in 40 tasks, b in 20. The plain fit credits a; the length-controlled one finds a and b equal and
    the preference in the length coefficient."""
    tasks = [("a", True)] * 34 + [("a", False)] * 6 + [("b", True)] * 17 + [("b", False)] * 3
    for t, (longer, longer_wins) in enumerate(tasks):
        shorter = "b" if longer == "a" else "a"
        order = [longer, shorter] if longer_wins else [shorter, longer]
        journal.result(
            f"t{t}", [(m, 5) for m in order], code_chars=[300 if m == longer else 100 for m in order]
        )
    data = read_journal(journal.path)
    models = aggregate.model_names(data.candidates)
    outcomes = aggregate.pairwise_outcomes(data.candidates, models)
    from analyze.report.bradley_terry import fit

    plain = fit(outcomes.win_matrix())
    assert plain[0] / plain[1] == pytest.approx((34 + 3 + 0.5) / (6 + 17 + 0.5))  # a won 37 of 60
    controlled = fit_length_controlled(outcomes)
    assert controlled is not None
    assert controlled.strength[0] / controlled.strength[1] == pytest.approx(1.0, abs=0.05)
    # logit(0.85) = 1.73 at a length difference of (300 - 100) / 400 = 0.5; the prior shrinks it a little
    assert 2.5 < controlled.length_coefficient < 3.5


def test_report_recomputes_the_judge_figures_from_the_journal_alone(journal: JournalDir) -> None:
    for t in range(10):
        journal.result(f"t{t}", [("a", scores(5)), ("b", scores(5))], passed=[t % 2 == 0, t % 2 == 1])
    first = build_report(journal.path, bootstrap_resamples=50, lang="en")
    summary = first["summary_json"].read_text(encoding="utf-8")
    for name in ("summary.json", "report.html", "models.csv"):
        (journal.path / name).unlink()
    again = build_report(journal.path, bootstrap_resamples=50, lang="en")
    assert again["summary_json"].read_text(encoding="utf-8") == summary
