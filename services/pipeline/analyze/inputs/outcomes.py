"""What running a candidate's tests found: the sandbox's answer, as the judge, the journal and the report
see it.

It sits beside the tests themselves (inputs.test_specs) because a candidate carries its outcome through
judging like any other fact of the input: `passed` is the input's label when it has one, else this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal

ExecStatus = Literal["passed", "failed", "error", "timeout", "not_run"]
EXEC_STATUSES: Final = ("passed", "failed", "error", "timeout", "not_run")
# The statuses that say the candidate does not work; not_run says nothing either way.
FAILING_STATUSES: Final = ("failed", "error", "timeout")
# A detail is the sandbox's one line (first failing assertion, error, reason); it is candidate-made
# text, so it is bounded wherever it is kept.
DETAIL_MAX_CHARS: Final = 500

PASSED_FROM_INPUT: Final = "input"
PASSED_FROM_EXECUTION: Final = "execution"


@dataclass(frozen=True)
class ExecutionResult:
    status: ExecStatus
    tests_passed: int
    tests_total: int
    duration_s: float
    detail: str

    @property
    def passed(self) -> bool | None:
        """True or False when the tests ran to an outcome; None when they were not run."""
        if self.status == "passed":
            return True
        return False if self.status in FAILING_STATUSES else None

    def as_record(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "tests_passed": self.tests_passed,
            "tests_total": self.tests_total,
            "duration_s": self.duration_s,
            "detail": self.detail,
        }


def not_run(reason: str) -> ExecutionResult:
    return ExecutionResult("not_run", 0, 0, 0.0, one_line(reason))


def one_line(text: str, limit: int = DETAIL_MAX_CHARS) -> str:
    """Text as one bounded line: line breaks folded, cut with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class OutcomeError(ValueError):
    """An execution record that is not one (from the sandbox or a journal line); names the field."""


def _count(record: dict[str, Any], name: str) -> int:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OutcomeError(f"field '{name}' must be a non-negative integer, got {value!r}")
    return value


def result_from_record(record: Any) -> ExecutionResult:
    """An ExecutionResult from its JSON form, checked field by field."""
    if not isinstance(record, dict):
        raise OutcomeError(f"expected an object, got {type(record).__name__}")
    status = record.get("status")
    if status not in EXEC_STATUSES:
        raise OutcomeError(f"field 'status' is {status!r}, expected one of {', '.join(EXEC_STATUSES)}")
    passed, total = _count(record, "tests_passed"), _count(record, "tests_total")
    if passed > total:
        raise OutcomeError(f"field 'tests_passed' ({passed}) exceeds 'tests_total' ({total})")
    if status == "passed" and not 0 < passed == total:
        raise OutcomeError(f"status 'passed' with {passed} of {total} tests passed")
    duration = record.get("duration_s")
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not math.isfinite(duration):
        raise OutcomeError(f"field 'duration_s' must be a finite number, got {duration!r}")
    detail = record.get("detail", "")
    if not isinstance(detail, str):
        raise OutcomeError(f"field 'detail' must be text, got {type(detail).__name__}")
    return ExecutionResult(status, passed, total, round(max(float(duration), 0.0), 4), one_line(detail))
