"""From what a process did to a status: passed only on the harness's own record, a clean exit and the
expected count; stdio output compared here, on the server, never by the candidate's process."""

from __future__ import annotations

import signal
from dataclasses import dataclass

from sandbox.runner import Outcome, Record

DETAIL_CHARS = 500
CPU_SLACK_S = 0.05  # rusage is sampled per tick: a process killed at its CPU limit shows slightly less


@dataclass(frozen=True)
class Verdict:
    status: str  # passed | failed | error | timeout | not_run
    passed: int
    total: int
    detail: str


def one_line(text: str, limit: int = DETAIL_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _last_stderr_line(outcome: Outcome) -> str:
    lines = [ln for ln in outcome.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _tests_ok(records: list[Record]) -> int:
    return sum(1 for r in records if r.kind == "test" and r.fields[1] == "1")


def _limit_verdict(outcome: Outcome, total: int, timeout_s: float, cpu_s: int) -> Verdict | None:
    """timeout / error for a limit hit, or None when the process ended by itself."""
    passed = _tests_ok(outcome.records)
    if outcome.timed_out:
        return Verdict("timeout", passed, total, f"wall-clock limit of {timeout_s:g} s")
    if outcome.exceeded:
        return Verdict("error", passed, total, f"output limit: {outcome.exceeded} too large (process killed)")
    assert outcome.exit is not None
    code = outcome.exit.code
    if code >= 0:
        return None
    sig = -code
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and outcome.exit.cpu_s >= cpu_s - CPU_SLACK_S):
        return Verdict("timeout", passed, total, f"CPU limit of {cpu_s} s")
    if sig == signal.SIGXFSZ:
        return Verdict("error", passed, total, "file size limit (RLIMIT_FSIZE)")
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
    hint = " (memory limit?)" if sig in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT) else ""
    return Verdict("error", passed, total, f"killed by {name}{hint} {_last_stderr_line(outcome)}".strip())


def judge_harnessed(outcome: Outcome, expected: int, timeout_s: float, cpu_s: int) -> Verdict:
    """A humaneval / assertions / script process."""
    limited = _limit_verdict(outcome, expected, timeout_s, cpu_s)
    if limited:
        return limited
    done = _completion(outcome, expected)
    if isinstance(done, Verdict):
        return done
    outcome_word, passed, total = done.fields[0], int(done.fields[1]), int(done.fields[2])
    if outcome_word == "passed":
        if passed == total == expected:
            return Verdict("passed", passed, expected, "")
        return Verdict(
            "error", 0, expected, f"the harness counted {passed}/{total} tests, expected {expected}"
        )
    if outcome_word in ("failed", "error"):
        return Verdict(outcome_word, min(passed, expected), expected, done.detail)
    return Verdict("error", 0, expected, f"unexpected completion record '{outcome_word}'")


def _completion(outcome: Outcome, expected: int) -> Record | Verdict:
    """The one completion record of a process that exited 0, or the error saying why there is none."""
    assert outcome.exit is not None
    passed = _tests_ok(outcome.records)
    if outcome.forged:
        return Verdict(
            "error", 0, expected, "a line on the result pipe without this run's nonce (faked result)"
        )
    dones = [r for r in outcome.records if r.kind == "done"]
    code = outcome.exit.code
    if not dones:
        if code == 0:
            why = (
                "exited 0 before the harness's completion record (os._exit / process.exit in the candidate?)"
            )
        else:
            why = f"exit status {code}: {_last_stderr_line(outcome)}".rstrip(": ")
        return Verdict("error", passed, expected, why)
    if len(dones) > 1:
        return Verdict("error", 0, expected, "more than one completion record (faked result)")
    if code != 0:
        return Verdict("error", passed, expected, f"exit status {code} after the completion record")
    return dones[0]


def normalise(text: str) -> list[str]:
    """Line endings unified, trailing whitespace per line and trailing blank lines dropped (LiveCodeBench)."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def judge_stdio_case(
    outcome: Outcome, expected_output: str, index: int, timeout_s: float, cpu_s: int
) -> Verdict:
    """One stdio case: the program ran to its end (record, exit 0) and printed the expected lines."""
    limited = _limit_verdict(outcome, 1, timeout_s, cpu_s)
    if limited:
        return Verdict(limited.status, 0, 1, f"case {index}: {limited.detail}")
    done = _completion(outcome, 1)
    if isinstance(done, Verdict):
        return Verdict(done.status, 0, 1, f"case {index}: {done.detail}")
    if done.fields[0] != "ran":
        return Verdict("error", 0, 1, f"case {index}: {done.detail or done.fields[0]}")
    got, want = normalise(outcome.stdout.decode("utf-8", "replace")), normalise(expected_output)
    if got == want:
        return Verdict("passed", 1, 1, "")
    for line_no, (g, w) in enumerate(zip(got, want, strict=False), start=1):
        if g != w:
            return Verdict(
                "failed", 0, 1, f"case {index}: line {line_no}: expected {w[:120]!r}, got {g[:120]!r}"
            )
    return Verdict("failed", 0, 1, f"case {index}: expected {len(want)} lines, got {len(got)}")
