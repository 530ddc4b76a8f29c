"""An instance stopped mid-run, and what the journal says about it: tasks lost and the time to route around.

Definitions (docs/bench.md, scenario 9): the kill is stamped with time.time(), the clock of the journal's
started_at / finished_at. A task *hit* the outage when one of its requests logged a `no_reply` attempt (a
transport failure the job saw and resent). Its resend went out at finished_at minus the latencies of that
request's answered attempt and of the requests after it (a --swap pass), so the *route-around time* is the
last such resend minus the kill: how long after the kill requests still failed through the balancer. 0 when
no request failed (the balancer retried every one itself). The *completion gap* is the longest time with no
verdict journaled from the kill to the verdict at the window's end (STEADY_WINDOW: 90 % of the verdicts, so
the drain's sparse tail is left out), next to the same figure before the kill (from the window's start):
a balancer that stalls on a dead instance shows as a gap after the kill far above the one before.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyze.judging.attempts import OUTCOME_NO_REPLY

from bench.settings import STEADY_WINDOW

POLL_S = 0.02


@dataclass
class Kill:
    """Set by the watcher thread: when the action ran (time.time()), None until then."""

    at: float | None = None


def when_journaled(path: Path, lines: int, action: Callable[[], object], deadline_s: float) -> tuple[
    threading.Thread, Kill
]:  # fmt: skip
    """Run `action` in a thread once `path` holds `lines` lines (or at the deadline), stamping the moment."""
    kill = Kill()

    def watch() -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if path.exists() and path.read_bytes().count(b"\n") >= lines:
                break
            time.sleep(POLL_S)
        kill.at = time.time()
        action()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread, kill


def _failed_at(request: Mapping[str, Any]) -> bool:
    return any(entry.get("outcome") == OUTCOME_NO_REPLY for entry in request.get("attempt_log") or ())


def resend_times(records: Iterable[Mapping[str, Any]]) -> list[float]:
    """When each task that hit a transport failure sent its answered resend (journal lines, results or
    failures). A request without an answer (a task that failed) counts at its task's finish."""
    times = []
    for record in records:
        requests = list(record.get("requests") or ())
        hit = next((i for i, request in enumerate(requests) if _failed_at(request)), None)
        if hit is None:
            continue
        later = sum(request.get("latency_s") or 0.0 for request in requests[hit:])
        times.append(float(record["finished_at"]) - later)
    return times


@dataclass(frozen=True)
class Outage:
    tasks_lost: int  # input tasks with no verdict at the end
    tasks_hit: int  # tasks that saw a transport failure
    route_around_s: float  # wall seconds from the kill to the last resend (0: nothing failed)
    gap_after_s: float  # wall seconds: the longest stretch without a verdict, kill -> window's end
    gap_before_s: float  # the same, window's start -> kill: what the run's own spacing is


def longest_gap(times: list[float], start: float, end: float) -> float:
    """The longest stretch in [start, end] without one of `times` (sorted or not)."""
    marks = [start, *sorted(t for t in times if start < t < end), end]
    return max(b - a for a, b in itertools.pairwise(marks)) if end > start else 0.0


def outage(
    tasks: int, results: list[Mapping[str, Any]], failures: list[Mapping[str, Any]], kill_at: float
) -> Outage:
    """What the journal of one run says about an instance killed at `kill_at`."""
    answered = {r["task_id"] for r in results}
    failed_only = [f for f in failures if f["task_id"] not in answered]
    resends = resend_times([*results, *failed_only])
    finished = sorted(float(r["finished_at"]) for r in results)
    lo, hi = (finished[min(len(finished) - 1, int(len(finished) * f))] if finished else kill_at
              for f in STEADY_WINDOW)  # fmt: skip
    return Outage(
        tasks_lost=tasks - len(answered),
        tasks_hit=len(resends),
        route_around_s=max(0.0, max(resends, default=kill_at) - kill_at),
        gap_after_s=longest_gap(finished, kill_at, hi),
        gap_before_s=longest_gap(finished, lo, kill_at),
    )
