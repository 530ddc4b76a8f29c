"""`analyze validate`: which input lines are not valid tasks, and which tests each task carries, without
calling any model."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from analyze.inputs.tasks import Reject, iter_tasks
from analyze.inputs.test_specs import why_not_runnable

NO_TESTS = "none"


@dataclass(frozen=True)
class TaskTests:
    line: int
    task_id: str
    shape: str  # the input's spelling of its tests (test_specs.Shape), or NO_TESTS
    not_runnable: str | None  # why its language cannot run them, None when it can (or has none)


@dataclass
class ValidationReport:
    valid: int = 0
    rejected: list[Reject] = field(default_factory=list)
    tasks: list[TaskTests] = field(default_factory=list)

    def shapes(self) -> Counter[str]:
        return Counter(task.shape for task in self.tasks)

    def as_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            "tests": dict(self.shapes()),
            "tasks": [
                {"line": t.line, "task_id": t.task_id, "tests": t.shape, "not_runnable": t.not_runnable}
                for t in self.tasks
            ],
        }

    def text_lines(self) -> list[str]:
        shapes = ", ".join(f"{shape} {count}" for shape, count in sorted(self.shapes().items()))
        lines = [f"{self.valid} valid task(s), {len(self.rejected)} rejected line(s)"]
        if self.tasks:
            lines.append(f"  tests by shape: {shapes}")
        lines += [
            f"  line {t.line}: task {t.task_id!r}: its tests will not run: {t.not_runnable}"
            for t in self.tasks
            if t.not_runnable
        ]
        lines += [f"  {reject.reason}" for reject in self.rejected]
        return lines


def validate_file(path: Path) -> ValidationReport:
    """Stream the file once; raises OSError if it cannot be opened or read."""
    report = ValidationReport()
    for item in iter_tasks(path):
        if isinstance(item, Reject):
            report.rejected.append(item)
            continue
        report.valid += 1
        spec = item.tests
        shape = spec.shape if spec is not None else NO_TESTS
        why = why_not_runnable(item.language, spec) if spec is not None else None
        report.tasks.append(TaskTests(item.line, item.task_id, shape, why))
    return report
