"""`analyze validate`: report which input lines are not valid tasks, without calling any model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analyze.inputs.tasks import Reject, iter_tasks


@dataclass
class ValidationReport:
    valid: int = 0
    rejected: list[Reject] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
        }


def validate_file(path: Path) -> ValidationReport:
    """Stream the file once; raises OSError if it cannot be opened or read."""
    report = ValidationReport()
    for item in iter_tasks(path):
        if isinstance(item, Reject):
            report.rejected.append(item)
        else:
            report.valid += 1
    return report
