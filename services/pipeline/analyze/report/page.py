"""The self-contained report.html: inline CSS, images as base64 data URIs, no external requests."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from analyze.report import constants as c
from analyze.report.analysis import Analysis
from analyze.report.tables import issues_frame, scores_frame

_CHART_CAPTIONS = {
    "chart_ranking": "Bradley-Terry strength per model with its 95% bootstrap interval (resampled tasks).",
    "chart_win_rates": "Share of within-task pairs the row model won against the column model.",
    "chart_scores_by_model": "Distribution of each model's scores (box: quartiles, triangle: mean).",
    "chart_dimensions": "Mean score per dimension and model with 95% t-intervals.",
    "chart_backends": "Requests per backend and their latency.",
}


class Cell:
    """A table cell: escaped text plus a CSS class."""

    def __init__(self, text: str, css: str = "") -> None:
        self.html = html.escape(text)
        self.css = css


def fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def pct(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.0%}"


def num(value: Any, digits: int = 2) -> Cell:
    return Cell(fmt(value, digits), "num")


def ci(low: float | None, high: float | None, digits: int = 2) -> Cell:
    return Cell("" if low is None or high is None else f"[{low:.{digits}f}, {high:.{digits}f}]", "ci")


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell | str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = (cell if isinstance(cell, Cell) else Cell(cell) for cell in row)
        body.append("<tr>" + "".join(f'<td class="{x.css}">{x.html}</td>' for x in cells) + "</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def image(path: Path, alt: str, caption: str = "") -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">{figcaption}</figure>'


def render(analysis: Analysis, images: dict[str, Path], output_dir: Path) -> str:
    summary = analysis.summary
    sections = [
        _warnings(analysis.warnings),
        _overview(summary),
        _models(analysis) if analysis.model_rows else _empty(),
        _charts(images),
        _pairwise(analysis),
        _issues(analysis, images.get("wordcloud")),
        _backends(summary),
        _failures(analysis),
        _scores(analysis),
        _definitions(summary["bradley_terry"]["prior_wins_per_pair_side"]),
    ]
    css = resources.files("analyze.report").joinpath("report.css").read_text(encoding="utf-8")
    judges = ", ".join(summary["judge_models"]) or "–"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>judge-fleet report – {html.escape(output_dir.name)}</title><style>{css}</style></head><body>"
        f"<header><h1>judge-fleet report</h1><p>{html.escape(str(output_dir))} · judge: {html.escape(judges)}"
        f" · generated {generated}</p></header><main>{''.join(sections)}</main></body></html>\n"
    )


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return f'<div class="warning"><strong>Warnings</strong><ul>{items}</ul></div>'


def _card(name: str, value: str, css: str = "") -> str:
    value_html = f'<div class="value">{html.escape(value)}</div>'
    return f'<div class="card {css}">{value_html}<div class="name">{html.escape(name)}</div></div>'


def _overview(summary: dict[str, Any]) -> str:
    tasks = summary["tasks"]
    consistency = summary["position_consistency"]
    cards = [
        _card("tasks", str(tasks["total"])),
        _card("succeeded", str(tasks["succeeded"]), "good"),
        _card("failed", str(tasks["failed"]), "bad" if tasks["failed"] else ""),
        _card("rejected", str(tasks["rejected"]), "bad" if tasks["rejected"] else ""),
        _card("skipped", str(tasks["skipped"])),
        _card("elapsed", _duration(summary["elapsed_s"])),
        _card("tasks / s", fmt(summary["tasks_per_s"])),
        _card("tokens / s", fmt(summary["tokens_per_s"], 0)),
    ]
    if consistency:
        cards.append(_card("position consistency", pct(consistency["share"])))
    return f'<h2>Overview</h2><div class="cards">{"".join(cards)}</div>'


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def _empty() -> str:
    return (
        '<div class="notice"><strong>No judged tasks yet.</strong> results.jsonl holds no verdicts, so there '
        "are no scores, rankings or charts. Run <code>analyze run</code> on this directory first.</div>"
    )


def _models(analysis: Analysis) -> str:
    headline = c.OVERALL if c.OVERALL in analysis.dimensions else analysis.dimensions[0]
    ranking = table(
        [
            "#",
            "model",
            "candidates",
            f"{headline} mean",
            "95% CI",
            "mean rank",
            "win rate",
            "BT strength",
            "95% CI",
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
            ]
            for i, row in enumerate(analysis.model_rows, start=1)
        ),
    )
    per_dimension = table(
        ["model", *analysis.dimensions],
        (
            [row["model"], *(num(row[f"{d}_mean"]) for d in analysis.dimensions)]
            for row in analysis.model_rows
        ),
    )
    return f"<h2>Ranking</h2>{ranking}<h3>Mean score per dimension</h3>{per_dimension}"


def _charts(images: dict[str, Path]) -> str:
    figures = [
        image(images[k], k.removeprefix("chart_"), text) for k, text in _CHART_CAPTIONS.items() if k in images
    ]
    return f"<h2>Charts</h2>{''.join(figures)}" if figures else ""


def _pairwise(analysis: Analysis) -> str:
    if len(analysis.models) < 2:
        return ""
    models, shares = analysis.ranked_pairwise()
    rows = ([model, *(Cell(pct(share), "num") for share in shares[i])] for i, model in enumerate(models))
    return f"<h2>Head to head (row beats column)</h2>{table(['model', *models], rows)}"


def _issues(analysis: Analysis, cloud: Path | None) -> str:
    frame = issues_frame(analysis)
    if frame.empty:
        return "<h2>Issues</h2><p class='muted'>The judge reported no issues.</p>"
    headers = ["category", *map(str, frame.columns)]
    rows = (
        [str(category), *(num(int(v)) for v in values)]
        for category, values in zip(frame.index, frame.values, strict=True)
    )
    severities = analysis.summary["issues_by_severity"]
    severity_table = table(list(severities), [[num(v) for v in severities.values()]])
    cloud_html = (
        image(cloud, "word cloud of issues", "Most frequent words in the judge's issue texts.")
        if cloud
        else ""
    )
    return f"<h2>Issues</h2>{table(headers, rows)}<h3>By severity</h3>{severity_table}{cloud_html}"


def _backends(summary: dict[str, Any]) -> str:
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
    headers = ["backend", "requests", "share", "p50 s", "p95 s", "p99 s", "for failed tasks"]
    return f"<h2>Backends</h2>{table(headers, rows)}"


def _failures(analysis: Analysis) -> str:
    parts = []
    kinds = analysis.summary["failures_by_kind"]
    if kinds:
        parts.append(
            "<h3>Failed tasks by kind</h3>"
            + table(["kind", "tasks"], ([k, num(v)] for k, v in kinds.items()))
        )
    rejects = analysis.journal.rejects
    if rejects:
        rows = ([fmt(r.get("line")), str(r.get("reason", ""))] for r in rejects[: c.HTML_MAX_SCORE_ROWS])
        parts.append(f"<h3>Rejected input lines ({len(rejects)})</h3>" + table(["line", "reason"], rows))
    return "<h2>Failures and rejects</h2>" + "".join(parts) if parts else ""


def _scores(analysis: Analysis) -> str:
    frame: pd.DataFrame = scores_frame(analysis)
    if frame.empty:
        return ""
    shown = frame.head(c.HTML_MAX_SCORE_ROWS)
    note = (
        f"<p class='muted'>First {len(shown)} of {len(frame)} rows; all are in {c.SCORES_CSV}.</p>"
        if len(frame) > len(shown)
        else ""
    )
    rows = (
        [num(v) if isinstance(v, int | float) and not isinstance(v, bool) else str(v) for v in r]
        for r in shown.itertuples(index=False)
    )
    return f"<h2>Scores</h2>{note}{table(list(frame.columns), rows)}"


def _definitions(prior: float) -> str:
    return (
        "<h2>How to read this</h2><dl class='defs'>"
        "<dt>Win rate</dt><dd>Over all pairs of candidates of different models in the same task, the share "
        "in which the model's candidate was ranked better.</dd>"
        "<dt>Bradley-Terry strength</dt><dd>P(a beats b) = s_a / (s_a + s_b), fitted to every within-task "
        f"pair with {prior} pseudo-wins per side of each model pair; geometric mean 1. "
        "The interval is the 2.5-97.5 percentile over bootstrap refits on resampled tasks.</dd>"
        "<dt>95% CI of a mean</dt><dd>Student t-interval; none for a single value.</dd>"
        "<dt>Position consistency</dt><dd>With --swap: share of tasks whose best candidate was the same in "
        "both presentation orders.</dd></dl>"
    )
