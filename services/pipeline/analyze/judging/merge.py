"""One results.jsonl record from a task's passes: the forward verdict and, with --swap, the rotated one.

- Scores are the mean over the passes; ranks follow the mean overall score (so they never contradict
  it), ties broken by the mean position in the passes' rankings, then by the forward ranking.
- `swap` says how far the second order agreed with the first: where each candidate was shown in both,
  Kendall's tau between the two rankings and whether both put the same candidate first.
- Issues are merged without double counting: per candidate, category and severity, the pass that found
  more such issues gives them (the same problem found twice counts once), exact repeats dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyze.constants import OVERALL, SCORE_KEYS
from analyze.inputs.tasks import Task
from analyze.judging.prompt import JudgePrompt, ShownCandidate
from analyze.judging.ranking import kendall_tau
from analyze.judging.verdict import Issue, Verdict


@dataclass(frozen=True)
class Pass:
    """One order's verdict and its request's journal entry."""

    prompt: JudgePrompt
    verdict: Verdict
    log: dict[str, Any]

    def candidate_id(self, label: str) -> str:
        return self.prompt.by_label()[label].candidate.candidate_id

    def ranking_ids(self) -> list[str]:
        return [self.candidate_id(label) for label in self.verdict.ranking]

    def positions(self) -> dict[str, int]:
        return {item.candidate.candidate_id: item.position for item in self.prompt.shown}


def ranking_repair_entry(prompt: JudgePrompt, verdict: Verdict) -> dict[str, Any] | None:
    """The journal's record of a rebuilt ranking, in candidate ids; None when the model's stood."""
    if verdict.ranking_repair is None:
        return None
    shown = prompt.by_label()
    ids = [shown[lab].candidate.candidate_id if lab in shown else lab for lab in verdict.model_ranking]
    return {"reason": verdict.ranking_repair, "model_ranking": ids}


def mean_scores(passes: list[Pass]) -> dict[str, dict[str, float]]:
    sums: dict[str, dict[str, float]] = {}
    for one in passes:
        for label, card in one.verdict.scores.items():
            totals = sums.setdefault(one.candidate_id(label), dict.fromkeys(SCORE_KEYS, 0.0))
            for key in SCORE_KEYS:
                totals[key] += card[key]
    return {cid: {k: round(v / len(passes), 3) for k, v in totals.items()} for cid, totals in sums.items()}


def combined_ranks(scores: dict[str, dict[str, float]], rankings: list[list[str]]) -> dict[str, int]:
    """Ranks 1..N by mean overall; ties by mean position over `rankings`, then by the first ranking."""
    first = {cid: i for i, cid in enumerate(rankings[0])}
    mean_pos = {cid: sum(r.index(cid) for r in rankings) / len(rankings) for cid in first}
    ordered = sorted(first, key=lambda cid: (-scores[cid][OVERALL], mean_pos[cid], first[cid]))
    return {cid: i + 1 for i, cid in enumerate(ordered)}


def _issue_record(one: Pass, issue: Issue) -> dict[str, Any]:
    candidate = one.prompt.by_label()[issue.label].candidate
    return {
        "candidate_id": candidate.candidate_id,
        "model": candidate.model,
        "category": issue.category,
        "severity": issue.severity,
        "text": issue.text,
    }


def merge_issues(passes: list[Pass]) -> list[dict[str, Any]]:
    """Per (candidate, category, severity) the issues of the pass that found most (the first on ties)."""
    chosen: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for one in passes:
        found: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for issue in one.verdict.issues:
            record = _issue_record(one, issue)
            group = found.setdefault((record["candidate_id"], issue.category, issue.severity), [])
            if record not in group:
                group.append(record)
        for key, group in found.items():
            if len(group) > len(chosen.get(key, [])):
                chosen[key] = group
    return [record for group in chosen.values() for record in group]


def swap_record(passes: list[Pass]) -> dict[str, Any] | None:
    if len(passes) < 2:
        return None
    first, second = passes[0], passes[1]
    first_at, second_at = first.positions(), second.positions()
    rankings = [first.ranking_ids(), second.ranking_ids()]
    return {
        "orders": [first.prompt.order, second.prompt.order],
        "positions": {cid: [first_at[cid], second_at[cid]] for cid in first_at},
        "rankings": rankings,
        "kendall_tau": kendall_tau(rankings[0], rankings[1]),
        "top1_agree": rankings[0][0] == rankings[1][0],
    }


def merge_passes(task: Task, passes: list[Pass]) -> dict[str, Any]:
    forward = passes[0]
    scores = mean_scores(passes)
    ranks = combined_ranks(scores, [one.ranking_ids() for one in passes])
    truncated: dict[str, bool] = {}
    for one in passes:
        for item in one.prompt.shown:
            cid = item.candidate.candidate_id
            truncated[cid] = truncated.get(cid, False) or item.truncated
    candidates = [_candidate_entry(item, truncated, scores, ranks) for item in forward.prompt.shown]
    return {
        "task_id": task.task_id,
        "line": task.line,
        "language": task.language,
        "meta": task.meta,
        "candidates": candidates,
        "issues": merge_issues(passes),
        "rationale": forward.verdict.rationale,
        "ranking_repaired": any(one.verdict.ranking_repair is not None for one in passes),
        "swap": swap_record(passes),
    }


def _candidate_entry(
    item: ShownCandidate,
    truncated: dict[str, bool],
    scores: dict[str, dict[str, float]],
    ranks: dict[str, int],
) -> dict[str, Any]:
    cid = item.candidate.candidate_id
    passed, source = item.candidate.truth
    execution = item.candidate.execution
    return {
        "candidate_id": cid,
        "model": item.candidate.model,
        "label": item.label,
        "position": item.position,
        "truncated": truncated[cid],
        "code_chars": len(item.candidate.code),
        "passed": passed,
        "passed_source": source,
        "execution": execution.as_record() if execution is not None else None,
        "scores": scores[cid],
        "rank": ranks[cid],
    }
