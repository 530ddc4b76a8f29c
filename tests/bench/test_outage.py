"""bench.harness.outage: scenario 9b's figures from a journal (tasks lost, route-around time, completion
gap) and the mid-run trigger. No server: journal lines as analyze writes them (docs/journal-format.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from analyze.judging.attempts import OUTCOME_NO_REPLY, OUTCOME_OK

from bench.harness.outage import longest_gap, outage, resend_times, when_journaled

KILL = 1_000.0


def request(latency: float | None, *outcomes: str) -> dict[str, Any]:
    log = [{"attempt": i + 1, "outcome": outcome} for i, outcome in enumerate(outcomes)]
    return {"order": "forward", "latency_s": latency, "attempts": len(log), "attempt_log": log}


def line(task_id: str, finished: float, *requests: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "started_at": finished - 5,
        "finished_at": finished,
        "requests": list(requests),
    }


def test_the_last_resend_after_the_kill_is_the_route_around_time() -> None:
    results = [
        line("a", KILL + 5, request(2.0, OUTCOME_NO_REPLY, OUTCOME_OK)),  # resent at +3
        # --swap: the forward pass failed once; its resend and the rotated pass took 1.5 + 2.5 s: +6
        line("b", KILL + 10, request(1.5, OUTCOME_NO_REPLY, OUTCOME_OK), request(2.5, OUTCOME_OK)),
        line("c", KILL + 20, request(4.0, OUTCOME_OK)),  # never failed
        # the rotated pass failed once: only its own latency comes off the finish (+12 - 3 = +9)
        line("e", KILL + 12, request(1.0, OUTCOME_OK), request(3.0, OUTCOME_NO_REPLY, OUTCOME_OK)),
    ]
    failures = [line("d", KILL + 8, request(None, OUTCOME_NO_REPLY, OUTCOME_NO_REPLY))]  # no answer: +8
    assert sorted(t - KILL for t in resend_times([*results, *failures])) == pytest.approx([3, 6, 8, 9])
    got = outage(6, results, failures, KILL)  # task "f" never got a line
    assert (got.tasks_lost, got.tasks_hit) == (2, 4)
    assert got.route_around_s == pytest.approx(9.0)


def test_nothing_failed_is_zero_route_around() -> None:
    results = [line(t, KILL + i, request(1.0, OUTCOME_OK)) for i, t in enumerate("abc")]
    got = outage(3, results, [], KILL)
    assert (got.tasks_lost, got.tasks_hit, got.route_around_s) == (0, 0, 0.0)


def test_the_gaps_compare_the_kill_with_the_spacing_before_and_leave_the_drain_out() -> None:
    # verdicts every second from -40 to -1, none for 6 s after the kill, every second to +50, then a
    # drain: one at +90. 10 % of the 86 verdicts is the one at -32, 90 % the one at +43
    finished = [*range(-40, 0), *range(6, 51), 90]
    results = [line(f"t{i}", KILL + t, request(1.0, OUTCOME_OK)) for i, t in enumerate(finished)]
    got = outage(len(results), results, [], KILL)
    assert got.gap_after_s == pytest.approx(6.0)  # the stall, not the drain's 40 s
    assert got.gap_before_s == pytest.approx(1.0)


def test_the_longest_gap_counts_the_window_edges() -> None:
    assert longest_gap([3.0, 1.0, 4.0], 0.0, 10.0) == pytest.approx(6.0)  # 4 -> the end
    assert longest_gap([], 2.0, 5.0) == pytest.approx(3.0)
    assert longest_gap([1.0], 5.0, 5.0) == 0.0


def test_a_task_that_failed_and_later_got_its_verdict_is_not_lost_nor_counted_twice() -> None:
    results = [line("a", KILL + 9, request(2.0, OUTCOME_NO_REPLY, OUTCOME_OK))]
    failures = [line("a", KILL + 2, request(None, OUTCOME_NO_REPLY))]
    got = outage(1, results, failures, KILL)
    assert (got.tasks_lost, got.tasks_hit) == (0, 1)
    assert got.route_around_s == pytest.approx(7.0)


def test_the_action_runs_once_the_file_holds_the_lines_and_is_stamped(tmp_path: Path) -> None:
    journal = tmp_path / "results.jsonl"
    ran: list[float] = []
    thread, kill = when_journaled(journal, 3, lambda: ran.append(time.time()), deadline_s=30)
    journal.write_text("{}\n{}\n")
    time.sleep(0.2)
    assert not ran and kill.at is None
    written = time.time()
    with journal.open("a") as out:
        out.write("{}\n")
    thread.join(timeout=5)
    assert len(ran) == 1 and kill.at is not None
    assert written <= kill.at <= ran[0]


def test_the_action_runs_at_the_deadline_when_the_lines_never_come(tmp_path: Path) -> None:
    ran: list[bool] = []
    started = time.monotonic()
    thread, kill = when_journaled(tmp_path / "absent.jsonl", 1, lambda: ran.append(True), deadline_s=0.3)
    thread.join(timeout=5)
    assert ran == [True] and kill.at is not None
    assert time.monotonic() - started >= 0.3
