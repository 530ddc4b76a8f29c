"""The grounded ranking on hand-made tasks: passed above failed, the judge within an outcome, unknown out."""

import numpy as np
import pytest
from analyze.report.analysis import BootstrapSettings, analyse
from analyze.report.bradley_terry import fit
from analyze.report.grounded import grounded_candidates
from analyze.report.journal import read_journal

from .journal_factory import JournalDir, execution

SETTINGS = BootstrapSettings(resamples=50, seed=0, prior=0.5)


def test_grounded_order_within_tasks(journal: JournalDir) -> None:
    # judge ranks X, Y, Z (best first) in every task; truth differs
    journal.result("g1", [("X", 9), ("Y", 6), ("Z", 3)], passed=[False, True, True])
    journal.result("g2", [("X", 9), ("Z", 6), ("Y", 3)], passed=[False, True, None])  # Y unknown: left out
    journal.result("g3", [("X", 9), ("Y", 6)], passed=[False, False])  # same outcome: the judge's order
    journal.result("g4", [("X", 9), ("Z", 6)], passed=[None, True])  # one known candidate: no pair
    grounded = grounded_candidates(read_journal(journal.path).candidates)
    assert [(x.task_id, x.model, x.rank) for x in grounded] == [
        ("g1", "Y", 1),
        ("g1", "Z", 2),
        ("g1", "X", 3),
        ("g2", "Z", 1),
        ("g2", "X", 2),
        ("g3", "X", 1),
        ("g3", "Y", 2),
    ]


def test_grounded_strengths_and_tau_against_the_judge(journal: JournalDir) -> None:
    """The judge always ranks P first (4 of 4: ratio 9); execution says Q beat P in 2 of the 3 known pairs
    (ratio (2 + 0.5) / (1 + 0.5) = 5/3): the two model orders are reversed, tau = -1."""
    runs = [("failed", "passed"), ("failed", "passed"), ("passed", "passed"), ("passed", "not_run")]
    for t, (p, q) in enumerate(runs):
        journal.result(f"t{t}", [("P", 8), ("Q", 5)], executions=[execution(p), execution(q)])
    analysis = analyse(read_journal(journal.path), SETTINGS, [])
    rows = {row["model"]: row for row in analysis.model_rows}
    assert rows["P"]["bt_strength"] / rows["Q"]["bt_strength"] == pytest.approx(9.0)
    assert rows["Q"]["grounded_bt_strength"] / rows["P"]["grounded_bt_strength"] == pytest.approx(5 / 3)
    assert (rows["P"]["grounded_rank"], rows["Q"]["grounded_rank"]) == (2, 1)
    for row in rows.values():
        assert row["grounded_bt_ci_low"] <= row["grounded_bt_strength"] <= row["grounded_bt_ci_high"]
    grounded = analysis.summary["execution"]["grounded_ranking"]
    assert grounded["kendall_tau"] == -1.0
    assert (grounded["tasks"], grounded["candidates"], grounded["left_out_candidates"]) == (3, 6, 2)
    assert [(m["model"], m["judge_rank"], m["grounded_rank"]) for m in grounded["models"]] == [
        ("P", 1, 2),
        ("Q", 2, 1),
    ]


def test_three_models_partly_reordered(journal: JournalDir) -> None:
    """Judge X > Y > Z in every task; the tests put Y > Z > X in every task. Of the three model pairs only
    (Y, Z) keeps its order: tau = (1 - 2) / 3. Each task of 3 weighs 1/2 per pair."""
    for t in range(3):
        journal.result(
            f"t{t}",
            [("X", 9), ("Y", 6), ("Z", 3)],
            executions=[execution("failed"), execution("passed"), execution("passed")],
        )
    analysis = analyse(read_journal(journal.path), SETTINGS, [])
    grounded = analysis.grounded
    assert grounded is not None and grounded.models == ["Y", "Z", "X"]
    assert grounded.kendall_tau == pytest.approx(-1 / 3)
    wins = np.zeros((3, 3))  # X, Y, Z: every task Y beats Z and X, Z beats X, each 1/2
    wins[1, 0] = wins[1, 2] = wins[2, 0] = 1.5
    expected = fit(wins, 0.5)
    assert [grounded.strength[m] for m in ("X", "Y", "Z")] == pytest.approx(list(expected))
