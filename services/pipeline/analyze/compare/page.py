"""compare.html in the report's look (report/page.py's document and CSS, html_parts' cells, i18n's texts)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analyze.compare import constants as cc
from analyze.report.html_parts import Cell, ci, fmt, num, pct, table
from analyze.report.i18n import Texts
from analyze.report.page import document

# The banner's colour per agreement level: the report's trust banner classes.
_BANNER = {"strong": "trusted", "weak": "unverified", "chance": "untrusted", "opposed": "untrusted"}


class Link(Cell):
    """A cell linking into a run's report (a relative path, quoted; the text is ours)."""

    def __init__(self, href: str | None, text: str) -> None:
        super().__init__(text if href else "–")
        self.href = href

    def td(self) -> str:
        if not self.href:
            return super().td()
        path, _, anchor = self.href.partition("#")
        target = quote(path) + (f"#{quote(anchor)}" if anchor else "")
        return f'<td><a href="{html.escape(target)}">{self.html}</a></td>'


def render(summary: dict[str, Any], t: Texts, out_dir: Path) -> str:
    sections = [
        _banners(summary["pairs"], t),
        _tasks(summary["tasks"], t),
        _varied(summary["settings"], t),
        _pairs(summary["pairs"], t),
        *(_pair(pair, t) for pair in summary["pairs"]),
        _jury(summary["jury"], t) if summary["jury"] else "",
        _definitions(t),
    ]
    byline = " · ".join(run["name"] for run in summary["runs"])
    return document(t, t("cmp_title"), out_dir.name, byline, sections)


def _banners(pairs: list[dict[str, Any]], t: Texts) -> str:
    items = []
    for pair in pairs:
        level = pair["agreement"]
        sentence = t(
            f"cmp_level_{level}",
            a=pair["a"],
            b=pair["b"],
            tau=fmt(pair["mean_task_kendall_tau"]),
            low=fmt(pair["mean_task_kendall_tau_ci_low"]),
            high=fmt(pair["mean_task_kendall_tau_ci_high"]),
            tasks=pair["mean_task_kendall_tau_tasks"],
            top1=pct(pair["top1_agreement"]),
            chance=pct(pair["top1_chance"]),
            min_tasks=cc.MIN_AGREEMENT_TASKS,
        )
        css = _BANNER.get(level, "unverified")
        items.append(f'<div class="trust trust-{css}"><strong>{html.escape(sentence)}</strong></div>')
    return f'<h2 id="agreement">{html.escape(t("cmp_agreement_heading"))}</h2>{"".join(items)}'


def _tasks(counts: dict[str, int], t: Texts) -> str:
    text = t(
        "cmp_tasks",
        compared=counts["compared"],
        changed=counts["changed"],
        missing=counts["not_in_every_run"],
    )
    by_id = f" {t('cmp_by_id', n=counts['compared_by_id'])}" if counts["compared_by_id"] else ""
    return f'<div class="notice">{html.escape(text + by_id)}</div>'


def _value(value: Any, t: Texts) -> str:
    """A setting's value as shown: a yes/no in the page's language, text as recorded, numbers as JSON."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return t(f"cmp_value_{str(value).lower()}")
    return value if isinstance(value, str) else json.dumps(value)


def _varied(settings: dict[str, Any], t: Texts) -> str:
    heading = f"<h2>{html.escape(t('cmp_varied'))}</h2>"
    if not settings["varied"]:
        return f"{heading}<p class='muted'>{html.escape(t('cmp_varied_none'))}</p>"
    runs = settings["runs"]
    # a setting the table does not name (a newer journal's) is shown by its key
    rows = (
        [t.term("cmp_setting", key), *(_value(values[key], t) for values in runs.values())]
        for key in settings["varied"]
    )
    return heading + table([t("cmp_col_setting"), *runs], rows)


def _pairs(pairs: list[dict[str, Any]], t: Texts) -> str:
    headers = [
        t("cmp_col_a"),
        t("cmp_col_b"),
        t("cmp_col_tasks"),
        t("cmp_col_lb_tau"),
        t("col_ci"),
        t("cmp_col_top1"),
        t("cmp_col_chance"),
        t("cmp_col_task_tau"),
        t("col_ci"),
        t("cmp_col_agreement"),
    ]
    rows = (
        [
            pair["a"],
            pair["b"],
            num(pair["tasks_common"]),
            num(pair["leaderboard_kendall_tau"]),
            ci(pair["leaderboard_kendall_tau_ci_low"], pair["leaderboard_kendall_tau_ci_high"]),
            Cell(pct(pair["top1_agreement"]), "num"),
            Cell(pct(pair["top1_chance"]), "num"),
            num(pair["mean_task_kendall_tau"]),
            ci(pair["mean_task_kendall_tau_ci_low"], pair["mean_task_kendall_tau_ci_high"]),
            t(f"cmp_agree_{pair['agreement']}"),
        ]
        for pair in pairs
    )
    return f"<h2>{html.escape(t('cmp_pairs'))}</h2>{table(headers, rows)}"


def _pair(pair: dict[str, Any], t: Texts) -> str:
    heading = f"<h2>{html.escape(t('cmp_pair_heading', a=pair['a'], b=pair['b']))}</h2>"
    spearman = table(
        [t("cmp_col_dimension"), t("cmp_col_rho")],
        ([t.dimension(d), num(rho)] for d, rho in pair["score_spearman"].items()),
    )
    moved = pair["models_moved"]
    moved_html = (
        table(
            [
                t("col_model"),
                t("cmp_col_place_a"),
                t("cmp_col_place_b"),
                t("cmp_col_strength_a"),
                t("col_ci"),
                t("cmp_col_strength_b"),
                t("col_ci"),
            ],
            (
                [
                    row["model"],
                    num(row["place_a"]),
                    num(row["place_b"]),
                    num(row["strength_a"], 3),
                    ci(*row["ci_a"], 3),
                    num(row["strength_b"], 3),
                    ci(*row["ci_b"], 3),
                ]
                for row in moved
            ),
        )
        if moved
        else f"<p class='muted'>{html.escape(t('cmp_moved_none'))}</p>"
    )
    queue = pair["disagreements"]
    queue_html = (
        table(
            [
                t("cmp_col_task"),
                t("cmp_col_tau"),
                t("cmp_col_best_a"),
                t("cmp_col_best_b"),
                t("cmp_col_link_a"),
                t("cmp_col_link_b"),
            ],
            (
                [
                    row["task_id"],
                    num(row["kendall_tau"]),
                    f"{row['best_a']} ({row['best_a_model']})",
                    f"{row['best_b']} ({row['best_b_model']})",
                    Link(row["link_a"], t("cmp_open")),
                    Link(row["link_b"], t("cmp_open")),
                ]
                for row in queue
            ),
        )
        if queue
        else f"<p class='muted'>{html.escape(t('cmp_queue_none'))}</p>"
    )
    return (
        f"{heading}<h3>{html.escape(t('cmp_spearman'))}</h3>{spearman}"
        f"<h3>{html.escape(t('cmp_moved'))}</h3>{moved_html}"
        f"<h3>{html.escape(t('cmp_queue'))}</h3>{queue_html}"
    )


def _jury(jury: dict[str, Any], t: Texts) -> str:
    w = t("cmp_jury_w", judges=len(jury["judges"]), w=fmt(jury["kendall_w"]), tasks=jury["kendall_w_tasks"])
    truth = jury["truth"]
    weighted = bool(truth and truth["weighted"])
    model_headers = [t("col_model"), t("cmp_col_mean_z"), t("col_bt"), t("col_ci")]
    if weighted:
        model_headers.append(t("cmp_col_weighted_bt"))
    models = table(
        model_headers,
        (
            [
                row["model"],
                num(row["mean_normalised_score"]),
                num(row["bt_strength"], 3),
                ci(row["bt_ci_low"], row["bt_ci_high"], 3),
                *([num(row.get("weighted_bt_strength"), 3)] if weighted else []),
            ]
            for row in jury["models"]
        ),
    )
    judge_headers = [t("cmp_col_judge"), t("cmp_col_tau_pool"), t("cmp_col_top1_pool"), t("cmp_col_lb_pool")]
    if truth:
        judge_headers += [t("cmp_col_accuracy"), t("col_ci"), t("cmp_col_weight")]
    judges = table(
        judge_headers,
        (
            [
                row["judge"],
                num(row["mean_task_kendall_tau_with_pool"]),
                Cell(pct(row["top1_with_pool"]), "num"),
                num(row["leaderboard_kendall_tau_with_pool"]),
                *(
                    [
                        Cell(pct(row["truth_pairwise_accuracy"]), "num"),
                        ci(row["truth_ci_low"], row["truth_ci_high"]),
                        num(row["weight"]),
                    ]
                    if truth
                    else []
                ),
            ]
            for row in jury["per_judge"]
        ),
    )
    truth_html = ""
    if truth:
        sentence = (
            t(
                "cmp_jury_truth",
                unweighted=pct(truth["unweighted"]["pairwise_accuracy"]),
                pairs=truth["unweighted"]["pairs"],
                weighted=pct(truth["weighted"]["pairwise_accuracy"]),
            )
            if weighted
            else t("cmp_jury_truth_none")
        )
        truth_html = f"<p>{html.escape(sentence)}</p>"
    return (
        f"<h2>{html.escape(t('cmp_jury'))}</h2><p>{html.escape(w)}</p>{truth_html}"
        f"<h3>{html.escape(t('cmp_jury_models'))}</h3>{models}"
        f"<h3>{html.escape(t('cmp_jury_judges'))}</h3>{judges}"
    )


def _definitions(t: Texts) -> str:
    keys = ("cmp_def_lb_tau", "cmp_def_top1", "cmp_def_task_tau", "cmp_def_spearman", "cmp_def_w")
    items = "".join(f"<dt>{html.escape(t(k))}</dt><dd>{html.escape(t(k + '_text'))}</dd>" for k in keys)
    return f"<h2>{html.escape(t('how_to_read'))}</h2><dl class='defs'>{items}</dl>"
