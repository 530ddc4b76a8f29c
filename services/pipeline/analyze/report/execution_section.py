"""The page's "Tests and ground truth" section: pass rates per model with Wilson intervals, what did not
run and why, the grounded ranking beside the judge-only one, and the tasks whose first choice failed.
A journal without execution fields gets one sentence saying no tests were run."""

from __future__ import annotations

import html
from typing import Any

from analyze.report import constants as c
from analyze.report.analysis import Analysis
from analyze.report.html_parts import Cell, ci, fmt, num, pct, table
from analyze.report.i18n import Texts


def execution_section(analysis: Analysis) -> str:
    t = analysis.texts
    heading = f'<h2 id="tests">{html.escape(t("exec_heading"))}</h2>'
    execution = analysis.summary["execution"]
    if execution is None or analysis.grounded is None:
        return f"{heading}<p class='muted'>{html.escape(t('exec_none'))}</p>"
    return (
        heading
        + _pass_rates(analysis, execution, t)
        + _not_run(execution, t)
        + _grounded(analysis, t)
        + _misses(analysis, t)
    )


def _note(text: str) -> str:
    return f"<p class='muted'>{html.escape(text)}</p>"


def _pass_rates(analysis: Analysis, execution: dict[str, Any], t: Texts) -> str:
    overall = t(
        "exec_overall",
        executed=execution["executed"],
        passed=execution["passed"],
        rate=pct(execution["pass_rate"]),
        low=pct(execution["pass_ci_low"]),
        high=pct(execution["pass_ci_high"]),
        not_run=execution["not_run"],
        without=execution["without_execution"],
    )
    rows = (
        [
            row["model"],
            num(row["executed"]),
            num(row["exec_passed"]),
            Cell(pct(row["pass_rate"]), "num"),
            _pct_interval(row["pass_ci_low"], row["pass_ci_high"]),
            num(row["not_run"]),
        ]
        for row in analysis.model_rows
    )
    keys = ["col_model", "col_executed", "col_exec_passed", "col_pass_rate", "col_wilson", "col_not_run"]
    return (
        f"<h3>{html.escape(t('exec_pass_rates'))}</h3>{_note(overall)}"
        f"{table([t(k) for k in keys], rows)}{_note(t('exec_pass_rate_note'))}"
    )


def _pct_interval(low: float | None, high: float | None) -> Cell:
    return Cell("" if low is None or high is None else f"[{pct(low)}, {pct(high)}]", "ci")


def _not_run(execution: dict[str, Any], t: Texts) -> str:
    reasons = execution["not_run_by_reason"]
    if not reasons:
        return ""
    shown = list(reasons.items())[: c.HTML_MAX_NOT_RUN_REASONS]
    rows = ([reason, num(count)] for reason, count in shown)
    more = _note(t("not_run_more", shown=len(shown), total=len(reasons))) if len(reasons) > len(shown) else ""
    return (
        f"<h3>{html.escape(t('exec_not_run', n=execution['not_run']))}</h3>"
        f"{table([t('col_reason'), t('col_candidates')], rows)}{more}"
    )


def _grounded(analysis: Analysis, t: Texts) -> str:
    grounded = analysis.grounded
    assert grounded is not None  # execution_section checked it
    rows = (
        [
            num(judge_rank),
            row["model"],
            num(row["bt_strength"], 3),
            ci(row["bt_ci_low"], row["bt_ci_high"], 3),
            num(row["grounded_rank"]),
            num(row["grounded_bt_strength"], 3),
            ci(row["grounded_bt_ci_low"], row["grounded_bt_ci_high"], 3),
        ]
        for judge_rank, row in enumerate(analysis.model_rows, start=1)
    )
    keys = [
        "col_judge_rank",
        "col_model",
        "col_bt",
        "col_ci",
        "col_grounded_rank",
        "col_grounded_bt",
        "col_ci",
    ]
    tau = t("grounded_tau", tau=fmt(grounded.kendall_tau), models=len(grounded.models))
    counts = t(
        "grounded_counts", tasks=grounded.tasks, candidates=grounded.candidates, left_out=grounded.left_out
    )
    return (
        f"<h3>{html.escape(t('grounded_heading'))}</h3>{_note(t('grounded_rule'))}"
        f"{table([t(k) for k in keys], rows)}{_note(tau)}{_note(counts)}"
    )


def _misses(analysis: Analysis, t: Texts) -> str:
    judge = analysis.summary["judge"]
    misses = analysis.misses
    heading = t("misses_heading", n=len(misses), tasks=judge["truth_first_choice_tasks"])
    if not misses:
        return f"<h3>{html.escape(heading)}</h3>{_note(t('misses_none'))}"
    shown = misses[: c.HTML_MAX_MISS_ROWS]
    rows = (
        [
            m.chosen.task_id,
            m.chosen.candidate_id,
            m.chosen.model,
            _status(m.chosen, t),
            m.chosen.execution.detail if m.chosen.execution else "",
            m.best_passing.candidate_id,
            m.best_passing.model,
            num(m.best_passing.rank),
        ]
        for m in shown
    )
    keys = ["col_task", "col_chosen", "col_model", "col_exec_status", "col_detail", "col_best_passing"]
    keys += ["col_model", "col_its_rank"]
    first = t("misses_first", shown=len(shown), total=len(misses), file=c.JUDGE_MISSES_CSV)
    more = _note(first) if len(misses) > len(shown) else ""
    return f"<h3>{html.escape(heading)}</h3>{more}{table([t(k) for k in keys], rows)}"


def _status(candidate: Any, t: Texts) -> str:
    """The execution's status and test counts, or that the label came from the input."""
    run = candidate.execution
    if run is None:
        return t("status_input_label")
    return f"{t.term('status', run.status)} {run.tests_passed}/{run.tests_total}"
