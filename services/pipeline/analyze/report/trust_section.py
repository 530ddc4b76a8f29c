"""The page's first section, "Can this ranking be trusted?": a banner with the warnings (or why there are
none), then every judge figure next to what chance or an ideal judge gives and when it warns."""

from __future__ import annotations

import html
import math
from typing import Any

from analyze.report import constants as c
from analyze.report.i18n import Texts


def _pct(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.0%}"


def _r(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.2f}"


def trust_section(judge: dict[str, Any], t: Texts) -> str:
    level = judge["trust"]
    if judge["warnings"]:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in judge["warnings"])
        body = f"<ul>{items}</ul>"
    else:
        body = ""
    banner = (
        f'<div class="trust trust-{level}" id="trust-banner"><strong>{html.escape(t("trust_" + level))}'
        f"</strong>{body}</div>"
    )
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in _rows(judge, t)
    )
    head = "".join(
        f"<th>{html.escape(t(key))}</th>"
        for key in ("trust_col_figure", "trust_col_value", "trust_col_reference", "trust_col_threshold")
    )
    figures = (
        f"<h3>{html.escape(t('trust_figures'))}</h3><div class='scroll'><table class='trust-figures'>"
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
        f"<p class='muted'>{html.escape(t('trust_docs'))}</p>"
    )
    return f'<h2 id="trust">{html.escape(t("trust_heading"))}</h2>{banner}{figures}'


def _rows(judge: dict[str, Any], t: Texts) -> list[tuple[str, str, str, str]]:
    chance_half = t("ref_chance", value="50%")
    accuracy = judge["truth_pairwise_accuracy"]
    if accuracy is None:
        accuracy_text = t("no_labels")
    else:
        interval = f"[{_pct(judge['truth_pairwise_ci_low'])}, {_pct(judge['truth_pairwise_ci_high'])}]"
        accuracy_text = f"{_pct(accuracy)} {interval}, {t('pairs_n', n=judge['truth_pairs'])}"
    top1 = judge["truth_top1_pass_rate"]
    top1_text = (
        t("no_labels") if top1 is None else f"{_pct(top1)}, {t('tasks_n', n=judge['truth_top1_tasks'])}"
    )
    no_swap = t("no_swap")
    not_logged = t("not_logged")
    return [
        *_truth_rows(judge, t),
        (
            t("fig_truth_accuracy"),
            accuracy_text,
            chance_half,
            t("warn_ci_reaches", value=_pct(c.TRUST_CHANCE_ACCURACY)),
        ),
        (
            t("fig_truth_top1"),
            top1_text,
            t("ref_chance", value=_pct(judge["truth_top1_chance"])),
            t("warn_at_most_chance"),
        ),
        (
            t("fig_position_order"),
            _pct(judge["position_order_rate"]),
            t("ref_chance", value=_pct(judge["position_order_chance"])),
            t("warn_excess", value=_pct(c.TRUST_POSITION_ORDER_EXCESS)),
        ),
        (
            t("fig_position_corr"),
            _r(judge["position_rank_corr"]),
            t("ref_chance", value="0"),
            t("warn_abs", value=f"{c.TRUST_POSITION_RANK_CORR:g}"),
        ),
        (
            t("fig_constant"),
            _pct(judge["constant_score_rate"]),
            t("ref_ideal", value="0%"),
            t("warn_at_least", value=_pct(c.TRUST_CONSTANT_SCORES)),
        ),
        (
            t("fig_length_corr"),
            _r(judge["length_score_corr"]),
            t("ref_ideal", value="0"),
            t("warn_abs", value=f"{c.TRUST_LENGTH_CORR:g}"),
        ),
        (t("fig_length_coef"), _r(judge["length_coefficient"]), t("ref_ideal", value="0"), ""),
        (
            t("fig_swap_tau"),
            no_swap if judge["swap_kendall_tau_mean"] is None else _r(judge["swap_kendall_tau_mean"]),
            t("ref_ideal", value="1"),
            t("warn_below", value=f"{c.TRUST_SWAP_TAU:g}"),
        ),
        (
            t("fig_swap_top1"),
            no_swap if judge["swap_top1_agreement"] is None else _pct(judge["swap_top1_agreement"]),
            t("ref_ideal", value="100%"),
            "",
        ),
        (
            t("fig_retries"),
            _pct(judge["retry_rate"]),
            t("ref_ideal", value="0%"),
            t("warn_at_least", value=_pct(c.TRUST_RETRIES)),
        ),
        (
            t("fig_length_cuts"),
            not_logged if judge["length_cut_rate"] is None else _pct(judge["length_cut_rate"]),
            t("ref_ideal", value="0%"),
            t("warn_at_least", value=_pct(c.TRUST_LENGTH_CUTS)),
        ),
        (
            t("fig_repairs"),
            _pct(judge["repair_rate"]),
            t("ref_ideal", value="0%"),
            t("warn_at_least", value=_pct(c.TRUST_REPAIRS)),
        ),
    ]


def _truth_rows(judge: dict[str, Any], t: Texts) -> list[tuple[str, str, str, str]]:
    """Where the truth came from, the correctness score's AUROC, and the first choices that failed."""
    sources = judge["truth_sources"]
    labelled = sum(sources.values())
    none = t("no_labelled_candidates")
    auroc = judge["truth_auroc"]
    auroc_text = (
        none
        if auroc is None
        else t(
            "auroc_value",
            value=_r(auroc),
            low=_r(judge["truth_auroc_ci_low"]),
            high=_r(judge["truth_auroc_ci_high"]),
            passed=judge["truth_auroc_passed"],
            failed=judge["truth_auroc_failed"],
        )
    )
    tasks = judge["truth_first_choice_tasks"]
    first_text = (
        t(
            "first_choice_value",
            rate=_pct(judge["truth_first_choice_miss_rate"]),
            n=judge["truth_first_choice_misses"],
            tasks=tasks,
        )
        if tasks
        else none
    )
    return [
        (t("fig_truth_sources"), t("truth_sources_value", **sources) if labelled else none, "", ""),
        (t("fig_truth_auroc"), auroc_text, t("ref_chance", value="0.5"), ""),
        (t("fig_first_choice"), first_text, t("ref_ideal", value="0%"), ""),
    ]
