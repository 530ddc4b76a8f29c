"""Table cells and tables of the HTML page, escaped: shared by page.py and its sections.

A cell or header longer than HTML_CELL_MAX_CHARS (a model name, a task id, a sandbox's detail) is shown
shortened, on one line (plain_text), whole in its tooltip; the CSVs have it whole.
"""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from analyze.report import constants as c
from analyze.report.plain_text import plain


class Cell:
    """A table cell: escaped text plus a CSS class."""

    def __init__(self, text: str, css: str = "") -> None:
        shown = plain(text, c.HTML_CELL_MAX_CHARS)
        self.html = html.escape(shown)
        self.css = css
        self.title = html.escape(plain(text)) if len(shown) < len(text) else ""

    def td(self) -> str:
        title = f' title="{self.title}"' if self.title else ""
        return f'<td class="{self.css}"{title}>{self.html}</td>'


def fmt(value: Any, digits: int = 2) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
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


def task_anchor(task_id: str) -> str:
    """The id of a task's first row on report.html: a digest, since the task id is the input's text
    (analyze compare links to it)."""
    return "task-" + hashlib.sha256(task_id.encode("utf-8", errors="replace")).hexdigest()[:16]


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell | str]],
    row_ids: Sequence[str | None] = (),
) -> str:
    """`row_ids`: an id per row (None: none), for links into the page."""
    head = "".join(f"<th>{html.escape(plain(h, c.HTML_CELL_MAX_CHARS))}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cells = (cell if isinstance(cell, Cell) else Cell(cell) for cell in row)
        row_id = row_ids[i] if i < len(row_ids) else None
        opening = f'<tr id="{row_id}">' if row_id else "<tr>"
        body.append(opening + "".join(cell.td() for cell in cells) + "</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
