"""What a result line says about the judge itself: its passes (shown order, ranking), swap agreement,
and what its requests' attempts went through (retries, length cuts, repairs).

The verdict format is growing (docs/journal-format.md): `swap` gained `positions`, `kendall_tau` and
`top1_agree`, and requests an attempt log. These readers take whichever fields a line has, old or new,
and never fail a line for a field they only use for these figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analyze.judging.ranking import exact_kendall_tau as kendall_tau

FINISH_LENGTH = "length"
NO_REPLY = "no_reply"
# Words an attempt's recorded change or reason uses for a repair (ranking fixed to the scores, repair turn).
_REPAIR_WORDS = ("repair",)


@dataclass(frozen=True)
class JudgePass:
    """One request's verdict: where each candidate was shown (0-based) and the ranking, best first."""

    positions: dict[str, int]
    ranking: tuple[str, ...]


@dataclass(frozen=True)
class VerdictRecord:
    task_id: str
    passes: tuple[JudgePass, ...]
    swap_kendall_tau: float | None  # None without --swap
    swap_top1_agree: bool | None
    repaired: bool


@dataclass
class AttemptCounts:
    """Over every request logged in results and failures."""

    requests: int = 0
    retried: int = 0  # requests that needed more than one attempt
    attempts: int = 0  # attempts whose outcome the log details (finish reason or change)
    length_cuts: int = 0  # of those, replies cut at max_tokens
    verdicts: int = 0
    repaired: int = 0  # verdicts with a repaired ranking or a repair turn
    detailed: bool = False  # some request carried a per-attempt log

    def add_requests(self, requests: Sequence[Any]) -> bool:
        """Count one task's requests; True when any attempt was a repair."""
        repaired = False
        for request in requests:
            if not isinstance(request, dict):
                continue
            self.requests += 1
            log = attempt_log(request)
            count = _attempt_count(request, log)
            self.retried += count > 1
            if log:
                self.detailed = True
                self.attempts += sum(_got_reply(attempt) for attempt in log)
                self.length_cuts += sum(_was_cut(attempt) for attempt in log)
                repaired = repaired or any(_is_repair(attempt) for attempt in log)
            elif request.get("finish_reason") is not None:
                self.detailed = True
                self.attempts += 1
                self.length_cuts += request.get("finish_reason") == FINISH_LENGTH
            repaired = repaired or request.get("ranking_repair") is not None
        return repaired

    def add_failure(self, record: dict[str, Any]) -> None:
        """A failed task: its finished requests, plus the one that failed (the attempts not in them)."""
        requests = [r for r in record.get("requests") or [] if isinstance(r, dict)]
        self.add_requests(requests)
        total = record.get("attempts")
        if isinstance(total, int) and not isinstance(total, bool):
            logged = sum(_attempt_count(r, attempt_log(r)) for r in requests)
            if total > logged:
                self.requests += 1
                self.retried += total - logged > 1


def attempt_log(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-attempt entries of a request, under whichever name the journal used."""
    for name in ("attempt_log", "attempts"):
        value = request.get(name)
        if isinstance(value, list):
            return [item for item in value if isinstance(item, dict)]
    return []


def _attempt_count(request: dict[str, Any], log: list[dict[str, Any]]) -> int:
    value = request.get("attempts")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return max(1, len(log))


def _was_cut(attempt: dict[str, Any]) -> bool:
    return attempt.get("finish_reason") == FINISH_LENGTH or attempt.get("outcome") == FINISH_LENGTH


def _got_reply(attempt: dict[str, Any]) -> bool:
    """A transport failure (HTTP error, timeout) has no reply that could have been cut."""
    return attempt.get("outcome") != NO_REPLY


def _is_repair(attempt: dict[str, Any]) -> bool:
    """A repair turn (the previous reply and its error quoted back), under its name or as a change."""
    if attempt.get("repair_turn") is True or attempt.get("repaired") is True:
        return True
    change = attempt.get("change")
    return isinstance(change, str) and any(word in change.lower() for word in _REPAIR_WORDS)


def issue_text_bound(requests: Sequence[Any], default: int) -> int:
    """The tightest issue-text length any pass of the task asked for (`bounds.issue_text_chars`)."""
    bounds = [
        r["bounds"]["issue_text_chars"]
        for r in requests
        if isinstance(r, dict)
        and isinstance(r.get("bounds"), dict)
        and isinstance(r["bounds"].get("issue_text_chars"), int)
    ]
    return min(bounds, default=default)


def verdict_record(
    obj: dict[str, Any], task_id: str, positions: dict[str, int], ranks: dict[str, int], repaired: bool
) -> VerdictRecord:
    """The passes of one result line; without usable swap fields, the forward pass from its candidates."""
    forward_ranking = tuple(sorted(ranks, key=ranks.__getitem__))
    swap = obj.get("swap") if isinstance(obj.get("swap"), dict) else None
    repaired = repaired or bool(obj.get("repaired") or obj.get("ranking_repaired"))
    if swap is None:
        return VerdictRecord(task_id, (JudgePass(positions, forward_ranking),), None, None, repaired)
    passes = _swap_passes(swap, positions)
    tau = _number(swap.get("kendall_tau"))
    if tau is None and len(passes) == 2:
        tau = kendall_tau(passes[0].ranking, passes[1].ranking)
    top1 = swap.get("top1_agree", swap.get("position_consistent"))
    if not isinstance(top1, bool):
        top1 = passes[0].ranking[0] == passes[1].ranking[0] if len(passes) == 2 else None
    if not passes:
        passes = (JudgePass(positions, forward_ranking),)
    return VerdictRecord(task_id, passes, tau, top1, repaired)


def _swap_passes(swap: dict[str, Any], forward_positions: dict[str, int]) -> tuple[JudgePass, ...]:
    rankings = swap.get("rankings")
    if not (isinstance(rankings, list) and len(rankings) == 2):
        rankings = [swap.get("forward_ranking"), swap.get("reversed_ranking")]
    if not all(_is_id_list(r, forward_positions) for r in rankings):
        return ()
    both = swap.get("positions")
    if isinstance(both, dict) and all(
        isinstance(both.get(cid), list) and len(both[cid]) == 2 for cid in forward_positions
    ):
        first = {cid: int(both[cid][0]) for cid in forward_positions}
        second = {cid: int(both[cid][1]) for cid in forward_positions}
    else:  # the old format's second pass was the reversed order
        last = len(forward_positions) - 1
        first = dict(forward_positions)
        second = {cid: last - position for cid, position in forward_positions.items()}
    return JudgePass(first, tuple(rankings[0])), JudgePass(second, tuple(rankings[1]))


def _is_id_list(value: Any, ids: dict[str, int]) -> bool:
    return isinstance(value, list) and sorted(map(str, value)) == sorted(ids)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
