"""Which settings differ between the runs, from each one's runs.jsonl `configuration`: what was varied."""

from __future__ import annotations

import json
from typing import Any

from analyze.compare.runs import Run


def _flat(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings (`execution`: {feedback, timeout_s}) as dotted keys."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def varied_settings(runs: list[Run]) -> dict[str, Any]:
    """`varied`: the keys whose values are not the same in every run (absent counts as null, so a run
    without tests differs in `execution` from one with them); `runs`: each run's values of those keys."""
    flat = [_flat(run.configuration) for run in runs]
    keys = sorted({key for settings in flat for key in settings})
    varied = [key for key in keys if len({json.dumps(s.get(key), sort_keys=True) for s in flat}) > 1]
    return {
        "varied": varied,
        "runs": {run.name: {key: s.get(key) for key in varied} for run, s in zip(runs, flat, strict=True)},
        "same": {key: flat[0].get(key) for key in keys if key not in varied},
    }
