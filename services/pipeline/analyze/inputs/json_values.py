"""What json.loads accepts but later steps cannot handle, checked once per input line."""

from __future__ import annotations

import json
import re
from typing import Any

from analyze.constants import MAX_INPUT_JSON_DEPTH
from analyze.inputs.errors import TaskError


class NotJsonConstant(ValueError):
    """NaN, Infinity or -Infinity: Python's json reads them, but they are not JSON and no strict reader
    (a browser, jq, pandas' default) would read the journal lines they end up in."""


def _refuse_constant(name: str) -> Any:
    raise NotJsonConstant(f"{name} is not JSON (write a number or null)")


def strict_loads(text: str | bytes) -> Any:
    """json.loads without NaN and the infinities."""
    return json.loads(text, parse_constant=_refuse_constant)


# Text read as UTF-8 holds no lone surrogate: JSON can only make one with a \\uD800-\\uDFFF escape.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _json_path(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def check_json_value(value: Any, source: str | None = None) -> None:
    """Reject what json.loads accepts but later steps cannot handle: text that cannot be encoded as
    UTF-8 (a lone surrogate escape such as \\ud800) and nesting deeper than MAX_INPUT_JSON_DEPTH.

    `source`: the valid UTF-8 text `value` was decoded from. Without a surrogate escape in it no string
    can hold one, and only the nesting is walked (every input line is checked, twice per run).
    Iterative, so the check itself cannot hit the recursion limit.
    """
    if source is not None and SURROGATE_ESCAPE.search(source) is None:
        _check_depth(value)
        return
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > MAX_INPUT_JSON_DEPTH:
            raise TaskError(
                f"nested deeper than {MAX_INPUT_JSON_DEPTH} levels (under '{_json_path(path[:1])}')"
            )
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, (*path, key), is_key=True)
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, index)) for index, child in enumerate(item))


def _check_text(text: str, path: tuple[str | int, ...], *, is_key: bool = False) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        parent = _json_path(path[:-1])
        if is_key:
            where = f"a key under '{parent}'" if parent else "a top-level key"
        else:
            where = f"field '{_json_path(path)}'"
        bad = text[exc.start : exc.end].encode("unicode_escape").decode("ascii")
        raise TaskError(
            f"{where} holds text that cannot be encoded as UTF-8 "
            f"(lone surrogate {bad} at character {exc.start})"
        ) from exc


def _check_depth(value: Any) -> None:
    """The nesting part of `check_json_value`, over containers only; the same error for the same value."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())] if isinstance(value, dict | list) else []
    while stack:
        item, path = stack.pop()
        children = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in children:
            if len(path) >= MAX_INPUT_JSON_DEPTH:  # the child sits one level deeper than allowed
                top = _json_path((*path, key)[:1])
                raise TaskError(f"nested deeper than {MAX_INPUT_JSON_DEPTH} levels (under '{top}')")
            if isinstance(child, dict | list):
                stack.append((child, (*path, key)))
