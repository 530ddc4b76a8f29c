"""What the input names, made fit to show: one line of plain text, shortened with an ellipsis."""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
_WHITESPACE_CONTROLS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"
# Embeddings, overrides and isolates reorder the text around them (a model name could turn the rest of
# its line around); the marks (U+200E, U+200F) only affect their neighbours and stay.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REPLACEMENT = "\ufffd"


def plain(text: str, limit: int | None = None) -> str:
    """`text` on one line: line breaks and tabs become spaces, other control characters and lone
    surrogates U+FFFD, bidirectional overrides are dropped; cut to `limit` characters with an ellipsis."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1]  # cut before cleaning: cleaning a 10 MB name costs nothing then
        shortened = True
    else:
        shortened = False
    shown = "".join(_char(ch) for ch in text) if not text.isprintable() else text
    return shown + ELLIPSIS if shortened else shown


def _char(ch: str) -> str:
    if ch in _WHITESPACE_CONTROLS:
        return " "
    if ch in _BIDI_CONTROLS:
        return ""
    category = unicodedata.category(ch)
    return _REPLACEMENT if category in ("Cc", "Cs") else ch
