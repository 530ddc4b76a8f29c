"""The one CSV writer of the report: cells a spreadsheet would run are neutralised, line breaks quoted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analyze.report.outputs import write_text

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP, "CSV
# Injection"); a leading apostrophe makes it text, and the spreadsheet does not show it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# RFC 4180's line end. The csv module quotes a field holding a character of the line terminator (and the
# delimiter or quote), so with "\n" alone a bare CR went out unquoted and split its row when read back.
LINE_END = "\r\n"


def neutralise(value: object) -> object:
    """A text cell that would start a formula, prefixed with "'"; numbers (-1.5 as a float) are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells, column names and index labels are neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_object_dtype(safe[column]) or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = safe.columns.map(neutralise)
    safe.index = safe.index.map(neutralise)
    safe.index.name = neutralise(frame.index.name)
    return safe


def write_csv(frame: pd.DataFrame, path: Path, *, index: bool) -> Path:
    return write_text(path, safe_frame(frame).to_csv(index=index, lineterminator=LINE_END))
