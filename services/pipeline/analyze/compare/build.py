"""`analyze compare` from run directories to compare.json, compare.csv and compare.html."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from analyze.compare import constants as cc
from analyze.compare.agreement import Side, pair_figures
from analyze.compare.files import write_files
from analyze.compare.jury import jury_figures
from analyze.compare.matching import match_tasks
from analyze.compare.page import render
from analyze.compare.runs import read_runs
from analyze.compare.varied import varied_settings
from analyze.report import constants as rc
from analyze.report.analysis import BootstrapSettings
from analyze.report.i18n import Texts
from analyze.report.outputs import make_dir, write_text


def compare_runs(
    run_dirs: list[Path],
    out_dir: Path,
    *,
    lang: str = rc.DEFAULT_LANG,
    jury: bool = False,
    bootstrap_resamples: int = rc.BOOTSTRAP_RESAMPLES,
    bootstrap_seed: int = rc.BOOTSTRAP_SEED,
    bt_prior: float = rc.BT_PRIOR_WINS,
) -> tuple[dict[str, Any], dict[str, Path]]:
    """compare.json's content and the paths written. Raises FileNotFoundError for a missing run directory,
    JournalError for a journal line it cannot read, ReportWriteError for a file it cannot write."""
    if len(run_dirs) < 2:
        raise ValueError("compare needs at least two run directories")
    texts = Texts(lang)  # a wrong language fails before anything is read
    settings = BootstrapSettings(bootstrap_resamples, bootstrap_seed, bt_prior)
    runs = read_runs([Path(p) for p in run_dirs])
    out_dir = make_dir(Path(out_dir))
    matching = match_tasks(runs)
    sides = [Side(run, groups) for run, groups in zip(runs, matching.groups, strict=True)]
    summary: dict[str, Any] = {
        "runs": [{"name": run.name, "path": str(run.path)} for run in runs],
        "tasks": matching.counts(),
        "settings": varied_settings(runs),
        "pairs": [pair_figures(a, b, settings, out_dir) for a, b in itertools.combinations(sides, 2)],
        "jury": jury_figures(runs, matching.groups, settings) if jury and matching.tasks else None,
        "bootstrap": {"resamples": settings.resamples, "seed": settings.seed, "prior": settings.prior},
        "language": texts.lang,
    }
    paths = write_files(summary, out_dir)
    paths["compare_html"] = write_text(out_dir / cc.COMPARE_HTML, render(summary, texts, out_dir))
    return summary, paths
