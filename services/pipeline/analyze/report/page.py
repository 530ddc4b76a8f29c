"""The self-contained report.html: inline CSS, images as base64 data URIs, no external requests."""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from analyze.report import constants as c
from analyze.report.analysis import Analysis
from analyze.report.execution_section import execution_section
from analyze.report.html_parts import Cell, ci, fmt, num, pct, table, task_anchor
from analyze.report.i18n import Texts
from analyze.report.plain_text import plain
from analyze.report.tables import EXECUTION_KEYS, SCORE_KEYS, issues_frame, scores_frame
from analyze.report.trust_section import trust_section

_CHARTS = ("chart_ranking", "chart_win_rates", "chart_scores_by_model", "chart_dimensions", "chart_backends")


def image(path: Path, alt: str, caption: str = "") -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">{figcaption}</figure>'


def render(analysis: Analysis, images: dict[str, Path], output_dir: Path) -> str:
    summary = analysis.summary
    t = analysis.texts
    sections = [
        _warnings(analysis.warnings, t),
        trust_section(summary["judge"], t),
        _overview(summary, t),
        _models(analysis) if analysis.model_rows else _empty(t),
        execution_section(analysis) if analysis.model_rows else "",
        _charts(images, t),
        _pairwise(analysis),
        _issues(analysis, images.get("wordcloud")),
        _backends(summary, t),
        _failures(analysis),
        _scores(analysis),
        _definitions(summary["bradley_terry"], t),
    ]
    judges = ", ".join(plain(judge, c.HTML_CELL_MAX_CHARS) for judge in summary["judge_models"]) or "–"
    byline = f"{output_dir} · {t('judge')}: {judges}"
    return document(t, t("title"), output_dir.name, byline, sections)


def document(t: Texts, title: str, subject: str, byline: str, sections: list[str]) -> str:
    """A whole page in the report's look: inline CSS, header band, `sections` (HTML) in <main>.
    `subject` follows the title in the tab, `byline` (plain text) sits under the heading."""
    css = resources.files("analyze.report").joinpath("report.css").read_text(encoding="utf-8")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    heading = html.escape(title)
    return (
        f'<!DOCTYPE html>\n<html lang="{t.html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{heading} – {html.escape(plain(subject, c.HTML_CELL_MAX_CHARS))}</title><style>{css}</style>"
        f"</head><body><header><h1>{heading}</h1><p>{html.escape(byline)} · "
        f"{html.escape(t('generated'))} {generated}</p></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )


def _warnings(warnings: list[str], t: Texts) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(plain(w, c.HTML_WARNING_MAX_CHARS))}</li>" for w in warnings)
    return f'<div class="warning"><strong>{html.escape(t("warnings"))}</strong><ul>{items}</ul></div>'


def card(name: str, value: str, css: str = "") -> str:
    value_html = f'<div class="value">{html.escape(value)}</div>'
    return f'<div class="card {css}">{value_html}<div class="name">{html.escape(name)}</div></div>'


def _overview(summary: dict[str, Any], t: Texts) -> str:
    tasks = summary["tasks"]
    consistency = summary["position_consistency"]
    cards = [
        card(t("card_tasks"), str(tasks["total"])),
        card(t("card_succeeded"), str(tasks["succeeded"]), "good"),
        card(t("card_failed"), str(tasks["failed"]), "bad" if tasks["failed"] else ""),
        card(t("card_rejected"), str(tasks["rejected"]), "bad" if tasks["rejected"] else ""),
        card(t("card_skipped"), str(tasks["skipped"])),
        card(t("card_elapsed"), _duration(summary["elapsed_s"])),
        card(t("card_tasks_per_s"), fmt(summary["tasks_per_s"])),
        card(t("card_tokens_per_s"), fmt(summary["tokens_per_s"], 0)),
    ]
    if consistency:
        cards.append(card(t("card_position_consistency"), pct(consistency["share"])))
    return f'<h2>{html.escape(t("overview"))}</h2><div class="cards">{"".join(cards)}</div>'


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def _empty(t: Texts) -> str:
    return f'<div class="notice"><strong>{html.escape(t("empty_title"))}</strong> {t("empty_body")}</div>'


def _models(analysis: Analysis) -> str:
    t = analysis.texts
    headline = c.OVERALL if c.OVERALL in analysis.dimensions else analysis.dimensions[0]
    ranking = table(
        [
            t("col_rank"),
            t("col_model"),
            t("col_candidates"),
            t("col_mean", dimension=t.dimension(headline)),
            t("col_ci"),
            t("col_mean_rank"),
            t("col_win_rate"),
            t("col_bt"),
            t("col_ci"),
            t("col_bt_lc"),
        ],
        (
            [
                num(i),
                row["model"],
                num(row["count"]),
                num(row[f"{headline}_mean"]),
                ci(row[f"{headline}_ci_low"], row[f"{headline}_ci_high"]),
                num(row["mean_rank"]),
                Cell(pct(row["win_rate"]), "num"),
                num(row["bt_strength"], 3),
                ci(row["bt_ci_low"], row["bt_ci_high"], 3),
                num(row.get("bt_lc_strength"), 3),
            ]
            for i, row in enumerate(analysis.model_rows, start=1)
        ),
    )
    per_dimension = table(
        [t("col_model"), *map(t.dimension, analysis.dimensions)],
        (
            [row["model"], *(num(row[f"{d}_mean"]) for d in analysis.dimensions)]
            for row in analysis.model_rows
        ),
    )
    note = f"<p class='muted'>{html.escape(t('ranking_note'))}</p>"
    return (
        f"<h2>{html.escape(t('ranking'))}</h2>{note}{ranking}"
        f"<h3>{html.escape(t('per_dimension'))}</h3>{per_dimension}"
    )


def _charts(images: dict[str, Path], t: Texts) -> str:
    figures = [
        image(images[k], k.removeprefix("chart_"), t("cap_" + k.removeprefix("chart_")))
        for k in _CHARTS
        if k in images
    ]
    return f"<h2>{html.escape(t('charts'))}</h2>{''.join(figures)}" if figures else ""


def _pairwise(analysis: Analysis) -> str:
    if len(analysis.models) < 2:
        return ""
    t = analysis.texts
    models, shares = analysis.ranked_pairwise()
    rows = ([model, *(Cell(pct(share), "num") for share in shares[i])] for i, model in enumerate(models))
    return f"<h2>{html.escape(t('head_to_head'))}</h2>{table([t('col_model'), *models], rows)}"


def _issues(analysis: Analysis, cloud: Path | None) -> str:
    t = analysis.texts
    heading = f"<h2>{html.escape(t('issues'))}</h2>"
    frame = issues_frame(analysis)
    if frame.empty:
        return f"{heading}<p class='muted'>{html.escape(t('no_issues'))}</p>"
    columns = [t("col_total") if col == "total" else str(col) for col in frame.columns]
    headers = [t("col_category"), *columns]
    rows = (
        [t.dimension(str(category)), *(num(int(v)) for v in values)]
        for category, values in zip(frame.index, frame.values, strict=True)
    )
    severities = analysis.summary["issues_by_severity"]
    severity_table = table([t.term("sev", s) for s in severities], [[num(v) for v in severities.values()]])
    cloud_html = image(cloud, t("alt_wordcloud"), t("cap_wordcloud")) if cloud else ""
    return (
        f"{heading}{table(headers, rows)}<h3>{html.escape(t('by_severity'))}</h3>{severity_table}{cloud_html}"
    )


def _backends(summary: dict[str, Any], t: Texts) -> str:
    backends = summary["backends"]
    if not backends:
        return ""
    rows = (
        [
            name,
            num(stats["requests"]),
            Cell(pct(stats["share"]), "num"),
            num(stats["latency_s"]["p50"]),
            num(stats["latency_s"]["p95"]),
            num(stats["latency_s"]["p99"]),
            num(stats["requests_for_failed_tasks"]),
        ]
        for name, stats in backends.items()
    )
    keys = ["col_backend", "col_requests", "col_share", "col_p50", "col_p95", "col_p99", "col_for_failed"]
    return f"<h2>{html.escape(t('backends'))}</h2>{table([t(k) for k in keys], rows)}"


def _failures(analysis: Analysis) -> str:
    t = analysis.texts
    parts = []
    kinds = analysis.summary["failures_by_kind"]
    if kinds:
        parts.append(
            f"<h3>{html.escape(t('failed_by_kind'))}</h3>"
            + table([t("col_kind"), t("col_tasks")], ([k, num(v)] for k, v in kinds.items()))
        )
    rejects = analysis.journal.rejects
    if rejects:
        rows = ([fmt(r.get("line")), str(r.get("reason", ""))] for r in rejects[: c.HTML_MAX_SCORE_ROWS])
        parts.append(
            f"<h3>{html.escape(t('rejected_lines', n=len(rejects)))}</h3>"
            + table([t("col_line"), t("col_reason")], rows)
        )
    return f"<h2>{html.escape(t('failures'))}</h2>" + "".join(parts) if parts else ""


def _scores(analysis: Analysis) -> str:
    t = analysis.texts
    frame: pd.DataFrame = scores_frame(analysis)
    if frame.empty:
        return ""
    shown = frame.head(c.HTML_MAX_SCORE_ROWS).copy()
    # the journal's words for a status or a source, in the page's language (scores.csv keeps them as is)
    for column, prefix in (("exec_status", "status"), ("passed_source", "source")):
        shown[column] = shown[column].map(lambda v, p=prefix: v if v is None else t.term(p, v))
    first = t("scores_first", shown=len(shown), total=len(frame), file=c.SCORES_CSV)
    note = f"<p class='muted'>{html.escape(first)}</p>" if len(frame) > len(shown) else ""
    rows = (
        [num(v) if isinstance(v, int | float) and not isinstance(v, bool) else fmt(v) for v in r]
        for r in shown.itertuples(index=False)
    )
    headers = [
        t.term("score", str(name)) if name in _SCORE_COLUMNS else t.dimension(str(name))
        for name in frame.columns
    ]
    # each task's first row is the target of analyze compare's links
    tasks = shown["task_id"].tolist()
    row_ids = [task_anchor(task) if i == 0 or tasks[i - 1] != task else None for i, task in enumerate(tasks)]
    return f"<h2>{html.escape(t('scores'))}</h2>{note}{table(headers, rows, row_ids)}"


_SCORE_COLUMNS = (
    *SCORE_KEYS,
    *EXECUTION_KEYS,
    "rank",
)  # translated as scores.csv's own columns, the rest as dimensions


def _definitions(bradley_terry: dict[str, Any], t: Texts) -> str:
    entries = [
        ("def_win_rate", {}),
        (
            "def_bt",
            {
                "prior": bradley_terry["prior_wins_per_pair_side"],
                "resamples": bradley_terry["bootstrap_resamples"],
            },
        ),
        ("def_bt_lc", {}),
        ("def_auroc", {}),
        ("def_mean_rank", {}),
        ("def_ci", {}),
        ("def_consistency", {}),
    ]
    items = "".join(
        f"<dt>{html.escape(t(key))}</dt><dd>{html.escape(t(key + '_text', **values))}</dd>"
        for key, values in entries
    )
    return f"<h2>{html.escape(t('how_to_read'))}</h2><dl class='defs'>{items}</dl>"
