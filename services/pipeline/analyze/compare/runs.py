"""One run directory as compare reads it: its journal, its settings, and the task anchors of its report."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyze.report import constants as rc
from analyze.report.html_parts import task_anchor
from analyze.report.journal import Candidate, Journal, read_journal

_ANCHOR = re.compile(r'<tr id="(task-[0-9a-f]{16})">')


@dataclass(frozen=True)
class Run:
    name: str  # the directory's name, made unique among the runs compared
    path: Path
    journal: Journal
    configuration: dict[str, Any]  # the last runs.jsonl line's settings ({} when there is none)
    anchors: frozenset[str]  # task anchors present in its report.html (the scores table's first 500 rows)

    def by_task(self) -> dict[str, list[Candidate]]:
        groups: dict[str, list[Candidate]] = {}
        for candidate in self.journal.candidates:
            groups.setdefault(candidate.task_id, []).append(candidate)
        return groups

    def report_link(self, task_id: str, start: Path) -> str | None:
        """Its report.html at the task's row, relative to `start` (the comparison's directory, so the
        link survives copying both); the page alone when the row is not shown; None: no report."""
        page = self.path / rc.REPORT_HTML
        if not page.is_file():
            return None
        link = Path(os.path.relpath(page.resolve(), start.resolve())).as_posix()
        anchor = task_anchor(task_id)
        return f"{link}#{anchor}" if anchor in self.anchors else link


def read_runs(paths: list[Path]) -> list[Run]:
    """Each directory's journal (JournalError names the file and line at fault), in the order given."""
    runs: list[Run] = []
    names: set[str] = set()
    for path in paths:
        if not path.is_dir():
            raise FileNotFoundError(f"run directory {path} does not exist")
        name = _unique(path.resolve().name or str(path), names)
        journal = read_journal(path)
        runs.append(Run(name, path, journal, configuration(journal), _anchors(path / rc.REPORT_HTML)))
    return runs


def _unique(name: str, taken: set[str]) -> str:
    shown, n = name, 1
    while shown in taken:  # one directory given twice, or two runs both called "out"
        n += 1
        shown = f"{name} ({n})"
    taken.add(shown)
    return shown


def configuration(journal: Journal) -> dict[str, Any]:
    """The settings of the directory's last run; a runs.jsonl line from before `configuration` gives its
    top-level judge model, seed and swap; no line at all: the results' judge models."""
    for run in reversed(journal.runs):
        settings = run.get("configuration")
        if isinstance(settings, dict):
            return dict(settings)
        return {key: run.get(key) for key in ("judge_model", "seed", "swap")}
    return {"judge_model": ", ".join(sorted(journal.judge_models)) or None}


def _anchors(page: Path) -> frozenset[str]:
    if not page.is_file():
        return frozenset()
    return frozenset(_ANCHOR.findall(page.read_text(encoding="utf-8", errors="replace")))
