"""How far the ranking can be trusted: the judge's position bias, constant scores, length bias, retries,
swap agreement, and its accuracy against the ground truth (`passed`: the input's label or the execution's
result). Pure functions of the journal; every formula and threshold is in
docs/report.md#can-this-ranking-be-trusted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analyze.report import constants as c
from analyze.report.aggregate import by_task
from analyze.report.journal import Candidate, Journal
from analyze.report.truth_checks import auroc_figures, truth_sources
from analyze.report.verdict_records import JudgePass


@dataclass(frozen=True)
class Finding:
    """A figure past its threshold: `code` names the sentence (i18n), `values` fill it."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)


def judge_figures(
    journal: Journal,
    length_coefficient: float | None,
    resamples: int = c.BOOTSTRAP_RESAMPLES,
    seed: int = c.BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """summary.json["judge"] without its sentences (analysis adds them in the report's language)."""
    passes = [p for verdict in journal.verdicts for p in verdict.passes if len(p.ranking) >= 2]
    figures: dict[str, Any] = {"verdicts": len(journal.verdicts), "passes": len(passes)}
    figures |= position_figures(passes)
    groups = list(by_task(journal.candidates).values())  # one task's candidates each, grouped once
    figures["constant_score_rate"] = constant_score_rate(groups)
    figures |= attempt_figures(journal)
    figures |= swap_figures(journal)
    figures |= truth_figures(groups, resamples, seed)
    figures["truth_sources"] = truth_sources(groups)
    figures |= auroc_figures(groups, resamples, seed)
    figures["length_score_corr"] = length_score_corr(groups)
    figures["length_coefficient"] = length_coefficient
    return figures


# --- position -------------------------------------------------------------------------------------


def follows_presentation(judge_pass: JudgePass) -> bool:
    """The ranking is exactly the order the candidates were shown in."""
    return [judge_pass.positions[cid] for cid in judge_pass.ranking] == sorted(judge_pass.positions.values())


def position_figures(passes: Sequence[JudgePass]) -> dict[str, Any]:
    if not passes:
        return {"position_order_rate": None, "position_order_chance": None, "position_rank_corr": None}
    in_order = sum(follows_presentation(p) for p in passes)
    chance = math.fsum(1 / math.factorial(len(p.ranking)) for p in passes) / len(passes)
    # normalised to 0..1 within each pass, so passes of every N share one scale
    positions, ranks = [], []
    for judge_pass in passes:
        last = len(judge_pass.ranking) - 1
        shown = sorted(judge_pass.positions, key=judge_pass.positions.__getitem__)
        place = {cid: i for i, cid in enumerate(shown)}  # positions may have gaps: use their order
        for rank, cid in enumerate(judge_pass.ranking):
            positions.append(place[cid] / last)
            ranks.append(rank / last)
    return {
        "position_order_rate": in_order / len(passes),
        "position_order_chance": chance,
        "position_rank_corr": pearson(positions, ranks),
    }


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r; None with fewer than 2 points or when either side is constant."""
    if len(x) < 2:
        return None
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    a, b = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float(a @ a) * float(b @ b))
    return None if denominator == 0 else float(a @ b) / denominator


# --- scores and length ----------------------------------------------------------------------------


def constant_score_rate(groups: Sequence[Sequence[Candidate]]) -> float | None:
    """Share of verdicts (tasks with N >= 2) in which every candidate got the same overall score."""
    scored = [
        [x.scores[c.OVERALL] for x in g]
        for g in groups
        if len(g) >= 2 and all(c.OVERALL in x.scores for x in g)
    ]
    if not scored:
        return None
    return sum(len(set(values)) == 1 for values in scored) / len(scored)


def length_score_corr(groups: Sequence[Sequence[Candidate]]) -> float | None:
    """Pearson's r of overall score and code length, both centred within their task (so tasks that are
    long and hard, or short and easy, do not make a correlation of their own)."""
    scores: list[float] = []
    lengths: list[float] = []
    for group in groups:
        known = [x for x in group if x.code_chars is not None and c.OVERALL in x.scores]
        if len(known) < 2:
            continue
        mean_score = math.fsum(x.scores[c.OVERALL] for x in known) / len(known)
        mean_length = math.fsum(float(x.code_chars or 0) for x in known) / len(known)
        scores += [x.scores[c.OVERALL] - mean_score for x in known]
        lengths += [float(x.code_chars or 0) - mean_length for x in known]
    return pearson(scores, lengths)


# --- attempts and swap ----------------------------------------------------------------------------


def attempt_figures(journal: Journal) -> dict[str, Any]:
    counts = journal.attempts
    return {
        "requests": counts.requests,
        "retry_rate": counts.retried / counts.requests if counts.requests else None,
        # only a journal with per-attempt detail says how often replies were cut
        "length_cut_rate": counts.length_cuts / counts.attempts
        if counts.detailed and counts.attempts
        else None,
        "repair_rate": counts.repaired / counts.verdicts if counts.verdicts else None,
    }


def swap_figures(journal: Journal) -> dict[str, Any]:
    taus = [v.swap_kendall_tau for v in journal.verdicts if v.swap_kendall_tau is not None]
    tops = [v.swap_top1_agree for v in journal.verdicts if v.swap_top1_agree is not None]
    return {
        "swap_tasks": max(len(taus), len(tops)),
        "swap_kendall_tau_mean": math.fsum(taus) / len(taus) if taus else None,
        "swap_top1_agreement": sum(tops) / len(tops) if tops else None,
    }


# --- ground truth ---------------------------------------------------------------------------------


def task_bootstrap_interval(
    correct: Sequence[int], pairs: Sequence[int], resamples: int, seed: int, confidence: float = c.CONFIDENCE
) -> tuple[float, float] | None:
    """Percentile interval of sum(correct) / sum(pairs) over tasks drawn with replacement.

    Tasks, not pairs, are drawn: the pairs of one ranking are not independent (one misplaced candidate
    flips several), so an interval over pairs would be too narrow. None without pairs or resamples."""
    if not pairs or resamples <= 0:
        return None
    rng = np.random.default_rng(seed)
    hits, totals = np.asarray(correct, dtype=float), np.asarray(pairs, dtype=float)
    shares = np.empty(resamples)
    for r in range(resamples):  # one draw at a time: memory stays O(tasks) at 1M tasks
        drawn = rng.integers(0, len(pairs), size=len(pairs))
        shares[r] = hits[drawn].sum() / totals[drawn].sum()
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(shares, [tail, 100 - tail])
    return float(low), float(high)


def truth_figures(
    groups: Sequence[Sequence[Candidate]],
    resamples: int = c.BOOTSTRAP_RESAMPLES,
    seed: int = c.BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """Pairs of one passed and one failed candidate of a task: is the passed one ranked better?
    Tasks with every candidate labelled and both outcomes present: did the rank-1 candidate pass?"""
    labelled = sum(x.passed is not None for group in groups for x in group)
    task_correct: list[int] = []
    task_pairs: list[int] = []
    top1_tasks = top1_passed = 0
    chance_sum = 0.0
    for group in groups:
        passed = [x for x in group if x.passed is True]
        failed = [x for x in group if x.passed is False]
        if passed and failed:
            task_pairs.append(len(passed) * len(failed))
            task_correct.append(sum(p.rank < f.rank for p in passed for f in failed))
        if passed and failed and len(passed) + len(failed) == len(group):
            top1_tasks += 1
            top1_passed += min(group, key=lambda x: x.rank).passed is True
            chance_sum += len(passed) / len(group)
    pairs, correct = sum(task_pairs), sum(task_correct)
    interval = task_bootstrap_interval(task_correct, task_pairs, resamples, seed)
    return {
        "truth_labelled_candidates": labelled,
        "truth_pairs": pairs,
        "truth_pair_tasks": len(task_pairs),
        "truth_pairwise_accuracy": correct / pairs if pairs else None,
        "truth_pairwise_ci_low": interval[0] if interval else None,
        "truth_pairwise_ci_high": interval[1] if interval else None,
        "truth_top1_tasks": top1_tasks,
        "truth_top1_pass_rate": top1_passed / top1_tasks if top1_tasks else None,
        "truth_top1_chance": chance_sum / top1_tasks if top1_tasks else None,
    }


# --- warnings -------------------------------------------------------------------------------------


def findings(figures: dict[str, Any]) -> list[Finding]:
    """The figures past their thresholds, most damning first (constants.TRUST_*)."""
    found: list[Finding] = []
    accuracy = figures["truth_pairwise_accuracy"]
    if accuracy is not None and figures["truth_pairwise_ci_low"] is not None:
        values = {
            "accuracy": accuracy,
            "low": figures["truth_pairwise_ci_low"],
            "high": figures["truth_pairwise_ci_high"],
            "pairs": figures["truth_pairs"],
        }
        if figures["truth_pairwise_ci_high"] < c.TRUST_CHANCE_ACCURACY:
            found.append(Finding("truth_worse_than_chance", values))
        elif figures["truth_pairwise_ci_low"] <= c.TRUST_CHANCE_ACCURACY:
            found.append(Finding("truth_chance", values))
    top1, top1_chance = figures["truth_top1_pass_rate"], figures["truth_top1_chance"]
    if top1 is not None and top1 <= top1_chance:
        found.append(
            Finding("truth_top1", {"rate": top1, "chance": top1_chance, "tasks": figures["truth_top1_tasks"]})
        )
    enough = figures["verdicts"] >= c.TRUST_MIN_VERDICTS
    order, chance = figures["position_order_rate"], figures["position_order_chance"]
    if enough and order is not None and order - chance >= c.TRUST_POSITION_ORDER_EXCESS:
        found.append(Finding("position_order", {"rate": order, "chance": chance}))
    corr = figures["position_rank_corr"]
    if enough and corr is not None and abs(corr) >= c.TRUST_POSITION_RANK_CORR:
        found.append(Finding("position_corr", {"corr": corr}))
    constant = figures["constant_score_rate"]
    if enough and constant is not None and constant >= c.TRUST_CONSTANT_SCORES:
        found.append(Finding("constant_scores", {"rate": constant}))
    tau = figures["swap_kendall_tau_mean"]
    if tau is not None and tau < c.TRUST_SWAP_TAU:
        found.append(Finding("swap_tau", {"tau": tau, "tasks": figures["swap_tasks"]}))
    length = figures["length_score_corr"]
    if enough and length is not None and abs(length) >= c.TRUST_LENGTH_CORR:
        found.append(Finding("length_bias", {"corr": length}))
    for key, code, limit in (
        ("length_cut_rate", "length_cuts", c.TRUST_LENGTH_CUTS),
        ("retry_rate", "retries", c.TRUST_RETRIES),
        ("repair_rate", "repairs", c.TRUST_REPAIRS),
    ):
        value = figures[key]
        if value is not None and value >= limit:
            found.append(Finding(code, {"rate": value}))
    return found


def trust_level(figures: dict[str, Any], found: Sequence[Finding]) -> str:
    """`untrusted` (some warning), `trusted` (none, and ground truth shows better than chance), or
    `unverified` (none, but no ground truth to check the judge against)."""
    if found:
        return "untrusted"
    low = figures["truth_pairwise_ci_low"]
    return "trusted" if low is not None and low > c.TRUST_CHANCE_ACCURACY else "unverified"
