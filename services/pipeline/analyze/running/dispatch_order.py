"""The order tasks are sent in: the input's, or longest-expected first.

At the end of a batch the slots empty while the last long generations finish (the drain). A judge's
verdict grows with what it is shown (N candidates and their code; SmolLM2's fit in docs/bench.md), so
sending the largest tasks first leaves the short ones to fill the slots at the end. The first pass over
the input (step 1/6) notes each task's size and where its line starts, three machine integers per task;
the tasks themselves are read again one at a time as they are sent, so memory stays small.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from pathlib import Path

from analyze.inputs.tasks import Task, read_task_at

ORDER_LONGEST_FIRST = "longest-first"
ORDER_INPUT = "input"
# A candidate's share of the prompt besides its code (its label and fences), in characters.
CANDIDATE_FRAME_CHARS = 40
LINE_BITS = 40  # line numbers below 2**40 sort within one size


def expected_size(task: Task) -> int:
    """What a first pass knows of a task's verdict length: the characters it shows the judge."""
    return len(task.problem) + sum(len(c.code) + CANDIDATE_FRAME_CHARS for c in task.candidates)


class DispatchPlan:
    """The tasks to judge, by where they start in the input, sent largest first (ties: input order)."""

    def __init__(self) -> None:
        self._sizes = array("q")
        self._offsets = array("q")
        self._lines = array("q")

    def __len__(self) -> int:
        return len(self._lines)

    def add(self, task: Task, offset: int) -> None:
        self._sizes.append(expected_size(task))
        self._offsets.append(offset)
        self._lines.append(task.line)

    def order(self) -> list[int]:
        """Indices into the plan, largest expected size first; equal sizes keep their input order."""
        sizes, lines = self._sizes, self._lines
        # one int per key, not a tuple: at 100k tasks the sort's keys stay a few MB
        return sorted(range(len(self)), key=lambda i: (-sizes[i] << LINE_BITS) + lines[i])

    def tasks(self, path: Path) -> Iterator[Task]:
        """Read the planned tasks back from the input, in dispatch order."""
        with open(path, "rb") as handle:
            for i in self.order():
                yield read_task_at(handle, self._offsets[i], self._lines[i])
