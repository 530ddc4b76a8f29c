"""The run fingerprint: every setting that changes a verdict, so one journal never silently mixes two.

Each result line carries the fingerprint's digest and each runs.jsonl line the digest with the settings
(`configuration`). A rerun on an output directory whose results were judged with another fingerprint is
refused, naming each setting that differs, unless `--force-resume`; the report then says the journal
mixes configurations (`journal_mixes_configurations` in summary.json).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from analyze.constants import VERDICT_SCHEMA_VERSION
from analyze.journal.records import RUNS_FILE
from analyze.journal.store import iter_journal
from analyze.judging.prompt import prompts_digest
from analyze.judging.request import JudgeTarget
from analyze.settings import Settings

UNRECORDED = "(not recorded)"


def run_fingerprint(settings: Settings, target: JudgeTarget, *, executing: bool = False) -> dict[str, Any]:
    """What decides a verdict besides the task: judge, prompts, format, sampling, token limits, and when
    the tests run, what the judge is shown of them and their limit (absent otherwise, so a journal of a
    run without tests keeps its fingerprint)."""
    fingerprint = {
        "judge_model": target.model,
        "prompts": prompts_digest(settings.prompts_dir),
        "verdict_schema": VERDICT_SCHEMA_VERSION,
        "seed": settings.seed,
        "swap": settings.swap,
        "temperature": settings.temperature,
        "structured_output": settings.structured_output,
        "max_input_tokens": settings.max_input_tokens,
        "max_output_tokens": settings.max_output_tokens,
        "max_model_len": target.context(settings),
        "retry_temperature": settings.retry_temperature,
        "retry_frequency_penalty": settings.retry_frequency_penalty,
    }
    if executing:
        fingerprint["execution"] = {"feedback": settings.exec_feedback, "timeout_s": settings.exec_timeout_s}
    return fingerprint


def fingerprint_digest(fingerprint: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]


def recorded_configurations(output_dir: Path) -> dict[str, dict[str, Any]]:
    """digest -> settings, from runs.jsonl."""
    known: dict[str, dict[str, Any]] = {}
    for run in iter_journal(output_dir / RUNS_FILE):
        digest, configuration = run.get("fingerprint"), run.get("configuration")
        if isinstance(digest, str) and isinstance(configuration, dict):
            known[digest] = configuration
    return known


def differences(journal: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """`setting: journal's value -> this run's value` for each setting that differs."""
    names = list(dict.fromkeys([*current, *journal]))
    return [
        f"{name}: {journal.get(name, UNRECORDED)!r} -> {current.get(name, UNRECORDED)!r}"
        for name in names
        if journal.get(name, UNRECORDED) != current.get(name, UNRECORDED)
    ]


def mixes_configurations(digests: Iterable[str | None]) -> bool:
    """More than one configuration among verdict lines (a line without a digest counts as one)."""
    return len(set(digests)) > 1


class ConfigurationMismatch(Exception):
    """The output directory holds verdicts judged with other settings; mixing them needs --force-resume."""

    def __init__(self, output_dir: Path, conflicts: list[str]) -> None:
        self.conflicts = conflicts
        super().__init__(
            f"{output_dir} holds verdicts judged with other settings, and this run would mix them in:\n"
            + "\n".join(f"  {line}" for line in conflicts)
            + "\nrerun with the same settings, use another output directory, or pass --force-resume "
            "(the report will then say the journal mixes configurations)"
        )


def resume_conflicts(
    output_dir: Path, used: Counter[str | None], digest: str, fingerprint: Mapping[str, Any]
) -> list[str]:
    """One line per other configuration found in results.jsonl, naming every setting that differs."""
    known = recorded_configurations(output_dir)
    conflicts: list[str] = []
    for other, count in sorted(used.items(), key=lambda kv: str(kv[0])):
        if other == digest:
            continue
        if other is None:
            conflicts.append(f"{count} verdict(s) written before runs were fingerprinted")
        elif other in known:
            changed = "; ".join(differences(known[other], fingerprint))
            conflicts.append(f"{count} verdict(s) with fingerprint {other}: {changed}")
        else:
            conflicts.append(
                f"{count} verdict(s) with fingerprint {other}, whose settings runs.jsonl does not hold "
                "(that run ended before writing its line)"
            )
    return conflicts
