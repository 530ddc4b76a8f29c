"""Tables, charts, word cloud and a self-contained HTML page, rebuilt from the journal files alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from analyze.report import constants as c
from analyze.report.analysis import BootstrapSettings, analyse
from analyze.report.charts import write_charts
from analyze.report.fonts import find_cjk_font
from analyze.report.i18n import LANGUAGES, Texts
from analyze.report.issue_cloud import write_word_cloud
from analyze.report.journal import JournalError, read_journal
from analyze.report.outputs import ReportWriteError, remove, write_text
from analyze.report.page import render
from analyze.report.tables import write_tables

__all__ = ["LANGUAGES", "STEPS", "JournalError", "ReportWriteError", "build_report"]

log = logging.getLogger(__name__)

STEPS = ("tables", "charts", "word cloud", "HTML page")


def build_report(
    output_dir: Path,
    *,
    font_path: str | None = None,
    on_step: Callable[[int, str], None] | None = None,
    bootstrap_resamples: int = c.BOOTSTRAP_RESAMPLES,
    bootstrap_seed: int = c.BOOTSTRAP_SEED,
    bt_prior: float = c.BT_PRIOR_WINS,
    lang: str = c.DEFAULT_LANG,
) -> dict[str, Path]:
    """Rebuild every report file in `output_dir` from its journal; returns {name: path written}.

    `lang` ("zh" or "en") is the language of the page, the charts and summary.json's judge warnings.

    Raises JournalError (naming file, line and field) for a journal line it cannot read, and
    ReportWriteError for a file it cannot write (read-only directory, a symbolic link in its place).
    """
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise FileNotFoundError(f"output directory {output_dir} does not exist")
    texts = Texts(lang)  # a wrong language fails before anything is written
    step = on_step or (lambda _i, _title: None)
    font = find_cjk_font(font_path)
    warnings = [font.warning] if font.warning else []
    for warning in warnings:
        log.warning("%s", warning)

    step(1, STEPS[0])
    journal = read_journal(output_dir)
    for warning in journal.warnings:
        log.warning("%s", warning)
    settings = BootstrapSettings(bootstrap_resamples, bootstrap_seed, bt_prior)
    analysis = analyse(journal, settings, warnings, texts)
    paths = write_tables(analysis, output_dir)

    step(2, STEPS[1])
    charts_dir = output_dir / c.CHARTS_DIR
    paths["charts"] = charts_dir
    paths.update(write_charts(analysis, charts_dir, font.path))

    step(3, STEPS[2])
    cloud_path = output_dir / c.WORDCLOUD_PNG
    remove(cloud_path)  # a stale cloud from an earlier report must not survive
    cloud = write_word_cloud(((issue.text, issue.cut) for issue in journal.issues), cloud_path, font.path)
    if cloud is not None:
        paths["wordcloud"] = cloud

    step(4, STEPS[3])
    report = output_dir / c.REPORT_HTML
    paths["report_html"] = write_text(report, render(analysis, paths, output_dir))
    return paths
