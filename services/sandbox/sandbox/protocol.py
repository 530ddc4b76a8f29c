"""POST /v1/execute's body, validated into typed requests; BadRequest names the field (docs/sandbox.md)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any


class BadRequest(ValueError):
    """A malformed request: answered 400 with the message, which names the field."""


@dataclass(frozen=True)
class HumanEval:
    test: str  # defines check(candidate)
    entry_point: str


@dataclass(frozen=True)
class Assertions:
    setup: str
    imports: list[str]
    asserts: list[str]


@dataclass(frozen=True)
class Case:
    input: str
    output: str


@dataclass(frozen=True)
class Stdio:
    cases: list[Case]


@dataclass(frozen=True)
class Script:
    script: str


Tests = HumanEval | Assertions | Stdio | Script


@dataclass(frozen=True)
class ExecuteRequest:
    id: str
    language: str
    code: str
    tests: Tests
    timeout_s: float | None


def _str(obj: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise BadRequest(f"{where}{key}: expected a string")
    return value


def _str_list(obj: dict[str, Any], key: str, where: str, required: bool) -> list[str]:
    value = obj.get(key, None if required else [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{where}{key}: expected a list of strings")
    return value


def _tests(raw: Any) -> Tests:
    if not isinstance(raw, dict):
        raise BadRequest("tests: expected an object")
    kind = raw.get("kind")
    if kind == "humaneval":
        entry = _str(raw, "entry_point", "tests.")
        if not entry.isidentifier():
            raise BadRequest("tests.entry_point: expected a Python identifier")
        return HumanEval(_str(raw, "test", "tests."), entry)
    if kind == "assertions":
        asserts = _str_list(raw, "asserts", "tests.", required=True)
        if not asserts:
            raise BadRequest("tests.asserts: expected at least one assertion")
        return Assertions(
            _str(raw, "setup", "tests.", ""), _str_list(raw, "imports", "tests.", False), asserts
        )
    if kind == "stdio":
        cases = raw.get("cases")
        if not isinstance(cases, list) or not cases:
            raise BadRequest("tests.cases: expected a non-empty list")
        parsed = []
        for i, case in enumerate(cases):
            if not isinstance(case, dict):
                raise BadRequest(f"tests.cases[{i}]: expected an object")
            parsed.append(
                Case(
                    _str(case, "input", f"tests.cases[{i}].", ""), _str(case, "output", f"tests.cases[{i}].")
                )
            )
        return Stdio(parsed)
    if kind == "script":
        return Script(_str(raw, "script", "tests."))
    raise BadRequest("tests.kind: expected one of humaneval, assertions, stdio, script")


def _timeout(raw: dict[str, Any]) -> float | None:
    value = raw.get("timeout_s")
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise BadRequest("timeout_s: expected a positive number of seconds")
    return float(value)


def parse_execute(body: bytes) -> ExecuteRequest:
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body: not JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise BadRequest("body: expected a JSON object")
    return ExecuteRequest(
        id=_str(raw, "id", ""),
        language=_str(raw, "language", ""),
        code=_str(raw, "code", ""),
        tests=_tests(raw.get("tests")),
        timeout_s=_timeout(raw),
    )


def expected_total(tests: Tests) -> int:
    """How many tests a complete run reports: each assert and each stdio case counts."""
    match tests:
        case Assertions(asserts=asserts):
            return len(asserts)
        case Stdio(cases=cases):
            return len(cases)
        case _:
            return 1
