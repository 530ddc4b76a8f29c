"""What the sandbox's executions say per model: pass rates with Wilson intervals, and what did not run.

Only a definite outcome counts toward a pass rate (passed / failed / error / timeout); not_run (no runtime,
unsupported tests, sandbox unreachable) is counted apart, by its reason, and a candidate without an
execution (its task carried no tests) is counted apart again. docs/report.md#tests-and-ground-truth.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from analyze.report import constants as c
from analyze.report.intervals import wilson_interval
from analyze.report.journal import Candidate

NO_REASON = "(no reason given)"


def carries_tests(candidates: Iterable[Candidate]) -> bool:
    """The journal was written by a run that knows about tests: some candidate has `execution` or
    `passed_source`. Older journals get none of the execution figures (the page says no tests were run)."""
    return any(x.execution is not None or x.passed_source is not None for x in candidates)


@dataclass(frozen=True)
class PassRate:
    executed: int  # candidates with a definite outcome
    passed: int
    not_run: int
    unexecuted: int  # no execution at all

    @property
    def rate(self) -> float | None:
        return self.passed / self.executed if self.executed else None

    @property
    def interval(self) -> tuple[float | None, float | None]:
        return wilson_interval(self.passed, self.executed)

    def row(self) -> dict[str, Any]:
        """models.csv's columns (and summary.json's per-model object)."""
        low, high = self.interval
        return {
            "executed": self.executed,
            "exec_passed": self.passed,
            "not_run": self.not_run,
            "pass_rate": self.rate,
            "pass_ci_low": low,
            "pass_ci_high": high,
        }


PASS_RATE_COLUMNS = tuple(PassRate(0, 0, 0, 0).row())


def pass_rate(candidates: Iterable[Candidate]) -> PassRate:
    executed = passed = not_run = unexecuted = 0
    for candidate in candidates:
        run = candidate.execution
        if run is None:
            unexecuted += 1
        elif run.definite:
            executed += 1
            passed += run.status == c.EXEC_PASSED
        else:
            not_run += 1
    return PassRate(executed, passed, not_run, unexecuted)


def pass_rates(candidates: Sequence[Candidate], models: Sequence[str]) -> dict[str, PassRate]:
    by_model: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_model[candidate.model].append(candidate)
    return {model: pass_rate(by_model[model]) for model in models}


def status_counts(candidates: Iterable[Candidate]) -> dict[str, int]:
    counts = Counter(x.execution.status for x in candidates if x.execution is not None)
    return {status: counts[status] for status in c.EXEC_STATUSES}


def not_run_reasons(candidates: Iterable[Candidate]) -> dict[str, int]:
    """not_run candidates by their `detail` (the sandbox's reason), most frequent first."""
    counts = Counter(
        (x.execution.detail or NO_REASON)[: c.NOT_RUN_REASON_CHARS]
        for x in candidates
        if x.execution is not None and x.execution.status == c.EXEC_NOT_RUN
    )
    return dict(counts.most_common())


def execution_summary(candidates: Sequence[Candidate], models: Sequence[str]) -> dict[str, Any]:
    """summary.json["execution"] without the grounded ranking (analysis adds it)."""
    total = pass_rate(candidates)
    low, high = total.interval
    return {
        "executed": total.executed,
        "passed": total.passed,
        "pass_rate": total.rate,
        "pass_ci_low": low,
        "pass_ci_high": high,
        "not_run": total.not_run,
        "not_run_by_reason": not_run_reasons(candidates),
        "without_execution": total.unexecuted,
        "by_status": status_counts(candidates),
        "models": {model: rate.row() for model, rate in pass_rates(candidates, models).items()},
    }
