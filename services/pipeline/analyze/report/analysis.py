"""Compute every aggregate once, for the tables, charts and page to share."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from analyze.judging.fingerprint import mixes_configurations
from analyze.report import aggregate, bradley_terry, judge_trust
from analyze.report import constants as c
from analyze.report.execution import PASS_RATE_COLUMNS, carries_tests, execution_summary
from analyze.report.grounded import GROUNDED_COLUMNS, GroundedRanking, grounded_ranking
from analyze.report.i18n import Texts
from analyze.report.journal import Journal
from analyze.report.length_control import fit_length_controlled
from analyze.report.truth_checks import Miss, judge_misses, miss_figures


@dataclass(frozen=True)
class BootstrapSettings:
    resamples: int = c.BOOTSTRAP_RESAMPLES
    seed: int = c.BOOTSTRAP_SEED
    prior: float = c.BT_PRIOR_WINS


@dataclass
class Analysis:
    journal: Journal
    dimensions: list[str]
    models: list[str]
    wins: np.ndarray  # wins[i, j]: times model i's candidate ranked above model j's in one task
    model_rows: list[dict[str, Any]]
    summary: dict[str, Any]
    warnings: list[str]
    texts: Texts
    misses: list[Miss]  # tasks whose rank-1 candidate failed while another passed
    grounded: GroundedRanking | None  # None: the journal carries no execution fields (no tests were run)

    def ranked_pairwise(self) -> tuple[list[str], np.ndarray]:
        """Models strongest first and their pairwise win shares in that order (row beats column)."""
        ranked = [row["model"] for row in self.model_rows]
        order = [self.models.index(model) for model in ranked]
        return ranked, aggregate.pairwise_shares(self.wins)[np.ix_(order, order)]


def analyse(
    journal: Journal, settings: BootstrapSettings, warnings: list[str], texts: Texts | None = None
) -> Analysis:
    texts = texts or Texts(c.DEFAULT_LANG)
    candidates = journal.candidates
    dimensions = aggregate.score_dimensions(candidates) or [*c.DIMENSIONS, c.OVERALL]
    models = aggregate.model_names(candidates)
    outcomes = aggregate.pairwise_outcomes(candidates, models)
    wins = outcomes.win_matrix(weighted=False)
    strength = bradley_terry.fit(outcomes.win_matrix(), settings.prior)
    low, high = bradley_terry.bootstrap_interval(
        outcomes, resamples=settings.resamples, seed=settings.seed, prior=settings.prior
    )
    controlled = fit_length_controlled(outcomes, settings.prior)
    lc_strength = controlled.strength if controlled is not None else np.full(len(models), np.nan)
    rows = aggregate.model_rows(candidates, models, dimensions, wins, strength, low, high, lc_strength)
    all_warnings = [*journal.warnings, *warnings]
    summary = _summary(journal, models, dimensions, settings, all_warnings)
    coefficient = controlled.length_coefficient if controlled else None
    misses, eligible = judge_misses(list(aggregate.by_task(candidates).values()))
    summary["judge"] = judge_summary(journal, coefficient, settings, texts) | miss_figures(misses, eligible)
    grounded = None
    summary["execution"] = None
    if carries_tests(candidates):
        judge_order = [row["model"] for row in rows]
        grounded = grounded_ranking(
            candidates, judge_order, resamples=settings.resamples, seed=settings.seed, prior=settings.prior
        )
        summary["execution"] = execution_summary(candidates, models) | {
            "grounded_ranking": grounded.summary(judge_order)
        }
    _add_execution_columns(rows, summary["execution"], grounded)
    return Analysis(journal, dimensions, models, wins, rows, summary, all_warnings, texts, misses, grounded)


def _add_execution_columns(
    rows: list[dict[str, Any]], execution: dict[str, Any] | None, grounded: GroundedRanking | None
) -> None:
    """models.csv's pass-rate and grounded columns: always there, empty for a journal without tests."""
    rates = execution["models"] if execution else {}
    for row in rows:
        row.update(rates.get(row["model"]) or dict.fromkeys(PASS_RATE_COLUMNS))
        row.update(grounded.row(row["model"]) if grounded else dict.fromkeys(GROUNDED_COLUMNS))


def judge_summary(
    journal: Journal, length_coefficient: float | None, settings: BootstrapSettings, texts: Texts
) -> dict[str, Any]:
    """summary.json["judge"]: the figures, the trust level, and the warnings as sentences."""
    figures = judge_trust.judge_figures(journal, length_coefficient, settings.resamples, settings.seed)
    found = judge_trust.findings(figures)
    return figures | {
        "trust": judge_trust.trust_level(figures, found),
        "warning_codes": [finding.code for finding in found],
        "warnings": [texts.finding(finding) for finding in found],
        "language": texts.lang,
    }


def _summary(
    journal: Journal,
    models: list[str],
    dimensions: list[str],
    settings: BootstrapSettings,
    warnings: list[str],
) -> dict[str, Any]:
    tasks = aggregate.task_counts(journal)
    return {
        "tasks": tasks,
        **aggregate.throughput(journal, tasks["succeeded"]),
        "backends": aggregate.backend_stats(journal.requests),
        "position_consistency": aggregate.position_consistency(journal.swap_consistency),
        "failures_by_kind": dict(sorted(Counter(journal.failure_kinds.values()).items())),
        "issues_by_severity": aggregate.severity_counts(journal.issues),
        "candidates": len(journal.candidates),
        "models": models,
        "dimensions": dimensions,
        "judge_models": sorted(journal.judge_models),
        "runs": len(journal.runs),
        # True when --force-resume mixed verdicts of different judging settings into this journal.
        "journal_mixes_configurations": mixes_configurations(journal.fingerprints),
        "run_fingerprints": sorted(digest for digest in journal.fingerprints if digest),
        "interrupted_runs": sum(bool(run.get("interrupted")) for run in journal.runs),
        "bradley_terry": {
            "normalisation": "geometric mean 1",
            "pair_weight": "1/(N-1) for a task of N candidates",
            "prior_wins_per_pair_side": settings.prior,
            "bootstrap_resamples": settings.resamples,
            "bootstrap_seed": settings.seed,
        },
        "warnings": warnings,
    }
