"""Pure functions from journal records to the numbers the tables, charts and page show."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from analyze.report import constants as c
from analyze.report.bradley_terry import Outcomes
from analyze.report.intervals import mean_ci
from analyze.report.journal import Candidate, Issue, Journal, Request


def score_dimensions(candidates: Iterable[Candidate]) -> list[str]:
    """Known dimensions in their usual order, then any others as first seen, then overall."""
    seen: dict[str, None] = {}
    for candidate in candidates:
        seen.update(dict.fromkeys(candidate.scores))
    known = [name for name in c.DIMENSIONS if name in seen]
    extra = [name for name in seen if name not in c.DIMENSIONS and name != c.OVERALL]
    return known + extra + ([c.OVERALL] if c.OVERALL in seen else [])


def model_names(candidates: Iterable[Candidate]) -> list[str]:
    return sorted({candidate.model for candidate in candidates})


def by_task(candidates: Iterable[Candidate]) -> dict[str, list[Candidate]]:
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[candidate.task_id].append(candidate)
    return groups


def pairwise_outcomes(candidates: Sequence[Candidate], models: Sequence[str]) -> Outcomes:
    """Every pair of candidates of different models in one task; the better rank wins.

    Each pair weighs 1/(N-1) for a task of N candidates (docs/report.md), and carries its normalised
    length difference when every candidate's code length is known."""
    index = {model: i for i, model in enumerate(models)}
    task, winner, loser, weight, length = [], [], [], [], []
    for t, group in enumerate(by_task(candidates).values()):
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if first.model == second.model:
                    continue
                better, worse = (first, second) if first.rank < second.rank else (second, first)
                task.append(t)
                winner.append(index[better.model])
                loser.append(index[worse.model])
                weight.append(1.0 / (len(group) - 1))
                length.append(_length_difference(better, worse))
    task_index, winner_index, loser_index = (np.asarray(v, dtype=np.int64) for v in (task, winner, loser))
    known = all(value is not None for value in length)
    return Outcomes(
        task_index,
        winner_index,
        loser_index,
        len(models),
        weight=np.asarray(weight, dtype=float),
        length=np.asarray(length, dtype=float) if known else None,
    )


def _length_difference(better: Candidate, worse: Candidate) -> float | None:
    """(len_winner - len_loser) / (len_winner + len_loser), in -1..1 (Arena-Hard's style feature)."""
    if better.code_chars is None or worse.code_chars is None:
        return None
    total = better.code_chars + worse.code_chars
    return 0.0 if total == 0 else (better.code_chars - worse.code_chars) / total


def pairwise_shares(wins: np.ndarray) -> np.ndarray:
    """shares[a, b] = share of a-vs-b pairs that a won; NaN where they never met (and on the diagonal)."""
    games = wins + wins.T
    return np.divide(wins, games, out=np.full(wins.shape, np.nan), where=games > 0)


def win_rates(wins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(won, compared, rate) per model over all pairs against other models; rate NaN when never compared."""
    won = wins.sum(axis=1)
    compared = won + wins.sum(axis=0)
    return won, compared, np.divide(won, compared, out=np.full(won.shape, np.nan), where=compared > 0)


def model_rows(
    candidates: Sequence[Candidate],
    models: Sequence[str],
    dimensions: Sequence[str],
    wins: np.ndarray,
    strength: np.ndarray,
    strength_low: np.ndarray,
    strength_high: np.ndarray,
    lc_strength: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """One row per model: counts, mean and CI per dimension, mean rank, win rate, Bradley-Terry."""
    by_model: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_model[candidate.model].append(candidate)
    won, compared, rate = win_rates(wins)
    sizes = {task_id: len(group) for task_id, group in by_task(candidates).items()}
    rows = []
    for i, model in enumerate(models):
        group = by_model[model]
        row: dict[str, Any] = {"model": model, "count": len(group), "tasks": len({g.task_id for g in group})}
        for dimension in dimensions:
            mean, low, high = mean_ci([g.scores[dimension] for g in group if dimension in g.scores])
            row.update({f"{dimension}_mean": mean, f"{dimension}_ci_low": low, f"{dimension}_ci_high": high})
        row["mean_rank"] = normalised_mean_rank(group, sizes)
        row.update({"wins": int(won[i]), "comparisons": int(compared[i]), "win_rate": _nan_none(rate[i])})
        row.update(
            {
                "bt_strength": _nan_none(strength[i]),
                "bt_ci_low": _nan_none(strength_low[i]),
                "bt_ci_high": _nan_none(strength_high[i]),
                "bt_lc_strength": None if lc_strength is None else _nan_none(lc_strength[i]),
            }
        )
        rows.append(row)
    return sorted(rows, key=lambda r: -(r["bt_strength"] or 0))


def normalised_mean_rank(group: Sequence[Candidate], sizes: dict[str, int]) -> float | None:
    """Mean of (rank - 1) / (N - 1): 0 always best, 1 always worst, comparable across N; None if no N >= 2."""
    values = [(g.rank - 1) / (sizes[g.task_id] - 1) for g in group if sizes[g.task_id] > 1]
    return math.fsum(values) / len(values) if values else None


def _nan_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def task_counts(journal: Journal) -> dict[str, int]:
    """The summary's task counts as docs/report.md defines them."""
    last_run = journal.runs[-1] if journal.runs else None
    succeeded = len(journal.result_task_ids)
    failed = len(journal.failure_kinds)
    total = last_run.get("tasks_valid") if last_run else None
    skipped = last_run.get("tasks_skipped") if last_run else None
    # Verdicts of another input kept by --force-resume: counted in the total, so it covers what the
    # journal holds and is never below `succeeded`.
    foreign = int(last_run.get("foreign_tasks") or 0) if last_run else 0
    return {
        "total": int(total) + foreign if total is not None else succeeded + failed,
        "foreign": foreign,
        "succeeded": succeeded,
        "failed": failed,
        "rejected": len(journal.rejects),
        "skipped": int(skipped or 0),
    }


def elapsed_seconds(journal: Journal) -> float | None:
    """Sum of the runs' durations; without runs.jsonl, the span of the results' own timestamps."""
    if journal.runs:
        return math.fsum(max(0.0, run["finished_at"] - run["started_at"]) for run in journal.runs)
    if journal.result_times:
        return max(end for _, end in journal.result_times) - min(start for start, _ in journal.result_times)
    return None


def throughput(journal: Journal, succeeded: int) -> dict[str, Any]:
    prompt = sum(request.prompt_tokens for request in journal.requests)
    completion = sum(request.completion_tokens for request in journal.requests)
    elapsed = elapsed_seconds(journal)
    return {
        "elapsed_s": elapsed,
        "tasks_per_s": succeeded / elapsed if elapsed else None,
        "tokens": {"prompt": prompt, "completion": completion, "total": prompt + completion},
        "tokens_per_s": (prompt + completion) / elapsed if elapsed else None,
    }


def backend_stats(requests: Sequence[Request]) -> dict[str, dict[str, Any]]:
    """Per backend: request count, share of all requests, failed-task requests, latency percentiles."""
    latencies: dict[str, list[float]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for_failures: Counter[str] = Counter()
    for request in requests:
        counts[request.backend] += 1
        for_failures[request.backend] += not request.succeeded
        if request.latency_s is not None:
            latencies[request.backend].append(request.latency_s)
    total = sum(counts.values())
    stats = {}
    for backend in sorted(counts):
        values = np.asarray(latencies[backend])
        stats[backend] = {
            "requests": counts[backend],
            "share": counts[backend] / total,
            "requests_for_failed_tasks": for_failures[backend],
            "latency_s": latency_summary(values),
        }
    return stats


def latency_summary(values: np.ndarray) -> dict[str, float | None]:
    if values.size == 0:
        return {"mean": None, **{f"p{p}": None for p in c.LATENCY_PERCENTILES}, "max": None}
    percentiles = np.percentile(values, c.LATENCY_PERCENTILES)
    return {
        "mean": float(values.mean()),
        **{f"p{p}": float(v) for p, v in zip(c.LATENCY_PERCENTILES, percentiles, strict=True)},
        "max": float(values.max()),
    }


def position_consistency(swap_consistency: Sequence[bool]) -> dict[str, Any] | None:
    """Share of swapped tasks whose best candidate was the same in both orders; None without --swap."""
    if not swap_consistency:
        return None
    consistent = sum(swap_consistency)
    return {
        "swapped_tasks": len(swap_consistency),
        "consistent": consistent,
        "share": consistent / len(swap_consistency),
    }


def issue_counts(issues: Iterable[Issue]) -> dict[str, Counter[str]]:
    """category -> model -> number of issues; issues with no known model count under '(unknown)'."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for issue in issues:
        counts[issue.category][issue.model or "(unknown)"] += 1
    return dict(counts)


def severity_counts(issues: Iterable[Issue]) -> dict[str, int]:
    counts = Counter(issue.severity or "(none)" for issue in issues)
    ordered = {s: counts.pop(s) for s in c.SEVERITIES if s in counts}
    return ordered | dict(sorted(counts.items()))
