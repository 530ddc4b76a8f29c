"""compare.json (every figure) and compare.csv (one row per pair), written by the report's writers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from analyze.compare import constants as cc
from analyze.report.csv_files import write_csv
from analyze.report.outputs import write_text

PAIR_COLUMNS = (
    "a",
    "b",
    "tasks_common",
    "models",
    "leaderboard_kendall_tau",
    "leaderboard_kendall_tau_ci_low",
    "leaderboard_kendall_tau_ci_high",
    "top1_agreement",
    "top1_chance",
    "mean_task_kendall_tau",
    "mean_task_kendall_tau_ci_low",
    "mean_task_kendall_tau_ci_high",
    "agreement",
)


def pairs_frame(pairs: list[dict[str, Any]]) -> pd.DataFrame:
    dimensions = list(dict.fromkeys(d for pair in pairs for d in pair["score_spearman"]))
    rows = [
        [pair[k] for k in PAIR_COLUMNS]
        + [pair["score_spearman"].get(d) for d in dimensions]
        + [len(pair["models_moved"])]
        for pair in pairs
    ]
    columns = [*PAIR_COLUMNS, *(f"spearman_{d}" for d in dimensions), "models_moved"]
    return pd.DataFrame.from_records(rows, columns=columns)


def write_files(summary: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    text = json.dumps(summary, ensure_ascii=False, indent=2, allow_nan=False)
    return {
        "compare_json": write_text(out_dir / cc.COMPARE_JSON, text + "\n"),
        "compare_csv": write_csv(pairs_frame(summary["pairs"]), out_dir / cc.COMPARE_CSV, index=False),
    }
