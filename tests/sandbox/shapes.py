"""Request bodies the tests send: one builder per test shape."""

from __future__ import annotations

from typing import Any

ADD_TEST = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"


def humaneval(code: str, test: str = ADD_TEST, entry_point: str = "add", **extra: Any) -> dict[str, Any]:
    return {"language": "python", "code": code, "tests": {"kind": "humaneval", "test": test,
            "entry_point": entry_point}, **extra}  # fmt: skip


def assertions(
    code: str, asserts: list[str], setup: str = "", imports: list[str] | None = None
) -> dict[str, Any]:
    tests = {"kind": "assertions", "setup": setup, "imports": imports or [], "asserts": asserts}
    return {"language": "python", "code": code, "tests": tests}


def stdio(language: str, code: str, cases: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    tests = {"kind": "stdio", "cases": [{"input": i, "output": o} for i, o in cases]}
    return {"language": language, "code": code, "tests": tests, **extra}


def script(language: str, code: str, test: str = "", **extra: Any) -> dict[str, Any]:
    return {"language": language, "code": code, "tests": {"kind": "script", "script": test}, **extra}


GOOD = humaneval("def add(a, b):\n    return a + b\n")  # the well-behaved neighbour of every hostile run
