"""The tasks every run judged alike: present in each with the same content digest and candidates.

A results line carries `content`, the digest of the task as judged (problem, language, candidates, tests);
lines written before digests were kept have none, and such a task is compared by its id alone (counted
apart, so the page can say so). Every other task is counted, not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyze.compare.runs import Run
from analyze.report.journal import Candidate


@dataclass
class Matching:
    tasks: list[str] = field(default_factory=list)  # compared, in the first run's input order
    by_id: list[str] = field(default_factory=list)  # compared, but some run's line has no content digest
    changed: list[str] = field(default_factory=list)  # in every run, with another content or candidates
    not_in_every_run: list[str] = field(default_factory=list)  # judged by some runs only
    groups: list[dict[str, list[Candidate]]] = field(default_factory=list)  # per run: compared task -> rows

    def counts(self) -> dict[str, int]:
        return {
            "compared": len(self.tasks),
            "compared_by_id": len(self.by_id),
            "changed": len(self.changed),
            "not_in_every_run": len(self.not_in_every_run),
        }


def match_tasks(runs: list[Run]) -> Matching:
    everyone = [run.by_task() for run in runs]
    first = runs[0].journal
    seen = sorted(
        {task for groups in everyone for task in groups},
        key=lambda task: (first.task_lines.get(task, 0), task),
    )
    matching = Matching(groups=[{} for _ in runs])
    for task in seen:
        if not all(task in groups for groups in everyone):
            matching.not_in_every_run.append(task)
            continue
        contents = [run.journal.task_contents.get(task) for run in runs]
        candidate_sets = [sorted(c.candidate_id for c in groups[task]) for groups in everyone]
        known = [digest for digest in contents if digest is not None]
        if len(set(known)) > 1 or any(ids != candidate_sets[0] for ids in candidate_sets):
            matching.changed.append(task)
            continue
        if len(known) < len(contents):
            matching.by_id.append(task)
        matching.tasks.append(task)
        for groups, kept in zip(everyone, matching.groups, strict=True):
            kept[task] = sorted(groups[task], key=lambda c: c.candidate_id)
    return matching
