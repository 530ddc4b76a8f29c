"""The CSV tables and summary.json, written from an Analysis (through csv_files and outputs)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analyze.report import aggregate
from analyze.report import constants as c
from analyze.report.analysis import Analysis
from analyze.report.csv_files import write_csv
from analyze.report.execution import PASS_RATE_COLUMNS
from analyze.report.grounded import GROUNDED_COLUMNS
from analyze.report.journal import Execution
from analyze.report.outputs import write_text
from analyze.report.truth_checks import MISS_COLUMNS, miss_row

SCORE_KEYS = ["task_id", "candidate_id", "model", "label", "position", "truncated", "code_chars", "passed"]
EXECUTION_KEYS = ["passed_source", "exec_status", "tests_passed", "tests_total"]


def scores_frame(analysis: Analysis) -> pd.DataFrame:
    columns = [*SCORE_KEYS, *EXECUTION_KEYS, *analysis.dimensions, "rank"]
    rows = (
        [
            candidate.task_id,
            candidate.candidate_id,
            candidate.model,
            candidate.label,
            candidate.position,
            candidate.truncated,
            candidate.code_chars,
            candidate.passed,
            candidate.passed_source,
            *_execution_cells(candidate.execution),
            *(candidate.scores.get(name) for name in analysis.dimensions),
            candidate.rank,
        ]
        for candidate in analysis.journal.candidates
    )
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    for name in ("code_chars", "tests_passed", "tests_total"):
        frame[name] = frame[name].astype("Int64")  # integers, empty where unknown
    return frame


def _execution_cells(run: Execution | None) -> tuple[str | None, int | None, int | None]:
    return (None, None, None) if run is None else (run.status, run.tests_passed, run.tests_total)


def models_frame(analysis: Analysis) -> pd.DataFrame:
    columns = ["model", "count", "tasks"]
    for name in analysis.dimensions:
        columns += [f"{name}_mean", f"{name}_ci_low", f"{name}_ci_high"]
    columns += ["mean_rank", "wins", "comparisons", "win_rate", "bt_strength", "bt_ci_low", "bt_ci_high"]
    columns += ["bt_lc_strength", *PASS_RATE_COLUMNS, *GROUNDED_COLUMNS]
    return pd.DataFrame.from_records(analysis.model_rows, columns=columns)


def pairwise_frame(analysis: Analysis) -> pd.DataFrame:
    """Row model a, column model b: share of a-vs-b pairs a won (empty where they never met)."""
    models, shares = analysis.ranked_pairwise()
    frame = pd.DataFrame(shares, index=models, columns=models)
    frame.index.name = "model"
    return frame


def misses_frame(analysis: Analysis) -> pd.DataFrame:
    """judge_misses.csv: every task whose rank-1 candidate failed while another passed, in input order."""
    frame = pd.DataFrame.from_records([miss_row(m) for m in analysis.misses], columns=list(MISS_COLUMNS))
    for name in ("tests_passed", "tests_total", "best_passing_rank"):
        frame[name] = frame[name].astype("Int64")
    return frame


def issues_frame(analysis: Analysis) -> pd.DataFrame:
    """Issue categories (rows) x models (columns), counts, with a total column; most frequent first."""
    counts = aggregate.issue_counts(analysis.journal.issues)
    models = sorted({model for per_model in counts.values() for model in per_model})
    frame = pd.DataFrame(
        [[per_model.get(model, 0) for model in models] for per_model in counts.values()],
        index=pd.Index(list(counts), name="category"),
        columns=models,
        dtype="int64",
    )
    frame["total"] = frame.sum(axis=1)
    return frame.sort_values("total", ascending=False, kind="stable")


def write_tables(analysis: Analysis, output_dir: Path) -> dict[str, Path]:
    paths = {
        "scores_csv": output_dir / c.SCORES_CSV,
        "models_csv": output_dir / c.MODELS_CSV,
        "pairwise_csv": output_dir / c.PAIRWISE_CSV,
        "issues_csv": output_dir / c.ISSUES_CSV,
        "judge_misses_csv": output_dir / c.JUDGE_MISSES_CSV,
        "summary_json": output_dir / c.SUMMARY_JSON,
    }
    write_csv(scores_frame(analysis), paths["scores_csv"], index=False)
    write_csv(models_frame(analysis), paths["models_csv"], index=False)
    write_csv(pairwise_frame(analysis), paths["pairwise_csv"], index=True)
    write_csv(issues_frame(analysis), paths["issues_csv"], index=True)
    write_csv(misses_frame(analysis), paths["judge_misses_csv"], index=False)
    write_text(paths["summary_json"], json.dumps(analysis.summary, ensure_ascii=False, indent=2) + "\n")
    return paths
