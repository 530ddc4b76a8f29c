"""The wire protocol against the real image: every shape and language passing and failing, not_run, 400,
413, and /health."""

from __future__ import annotations

import json

import pytest

from .sandbox_stack import Sandbox
from .shapes import GOOD, assertions, humaneval, script, stdio

pytestmark = [pytest.mark.docker, pytest.mark.images("sandbox")]

DOUBLE_PY = "n = int(input())\nprint(n * 2)\n"
DOUBLE_JS = "const n = Number(require('fs').readFileSync(0, 'utf8'));\nconsole.log(n * 2);\n"


def test_health_names_slots_languages_and_limits(box: Sandbox) -> None:
    status, body = box.call("GET", "/health")
    assert status == 200
    assert body["status"] == "ok" and body["slots"] == 4
    assert body["languages"] == ["python", "javascript"]
    assert body["limits"]["max_body_bytes"] == 2 * 1024 * 1024 and body["version"]


def test_humaneval_pass_and_fail(box: Sandbox) -> None:
    assert box.run(**GOOD)["status"] == "passed"
    failed = box.run(**humaneval("def add(a, b):\n    return a - b\n"))
    assert (failed["status"], failed["tests_passed"], failed["tests_total"]) == ("failed", 0, 1)
    assert "assert candidate(1, 2) == 3" in failed["detail"]


def test_humaneval_syntax_error_is_an_error(box: Sandbox) -> None:
    result = box.run(**humaneval("def add(a, b)\n    return a + b\n"))
    assert result["status"] == "error" and "SyntaxError" in result["detail"]


def test_assertions_count_each_assert(box: Sandbox) -> None:
    code = "def sq(x):\n    return x * x if x != 3 else 10\n"
    asserts = ["assert sq(2) == 4", "assert sq(3) == 9", "assert sq(0) == math.floor(0.5)"]
    result = box.run(**assertions(code, asserts, imports=("import math",)))
    assert (result["status"], result["tests_passed"], result["tests_total"]) == ("failed", 2, 3)
    assert "sq(3) == 9" in result["detail"]
    ok = box.run(
        **assertions("def sq(x):\n    return x * x\n", asserts, setup="K = 1", imports=["import math"])
    )
    assert (ok["status"], ok["tests_passed"], ok["tests_total"]) == ("passed", 3, 3)


@pytest.mark.parametrize("language, code", [("python", DOUBLE_PY), ("javascript", DOUBLE_JS)])
def test_stdio_each_case_and_normalised_output(box: Sandbox, language: str, code: str) -> None:
    cases = [("2\n", "4\n"), ("5\n", "10   \r\n\n\n"), ("7", "14")]
    ok = box.run(**stdio(language, code, cases))
    assert (ok["status"], ok["tests_passed"], ok["tests_total"], ok["detail"]) == ("passed", 3, 3, "")
    wrong = box.run(**stdio(language, code, [("2\n", "4"), ("3\n", "7"), ("4\n", "8")]))
    assert (wrong["status"], wrong["tests_passed"], wrong["tests_total"]) == ("failed", 2, 3)
    assert "case 1" in wrong["detail"] and "'7'" in wrong["detail"]


def test_stdio_program_ending_with_exit_passes(box: Sandbox) -> None:
    """sys.exit() / process.exit(0) is how many contest programs end: their output still counts."""
    py = box.run(**stdio("python", "import sys\nprint(int(input()) + 1)\nsys.exit(0)\n", [("1", "2")]))
    js = box.run(**stdio("javascript", "console.log(3);\nprocess.exit(0);\n", [("", "3")]))
    assert (py["status"], js["status"]) == ("passed", "passed")


@pytest.mark.parametrize("language", ["python", "javascript"])
def test_script_pass_and_fail(box: Sandbox, language: str) -> None:
    if language == "python":
        code, good, bad = "def inc(x):\n    return x + 1\n", "assert inc(1) == 2\n", "assert inc(1) == 3\n"
    else:
        code = "function inc(x) { return x + 1; }"
        good = "const assert = require('assert'); assert.strictEqual(inc(1), 2);"
        bad = "const assert = require('assert'); assert.strictEqual(inc(1), 3);"
    assert box.run(**script(language, code, good))["status"] == "passed"
    failed = box.run(**script(language, code, bad))
    assert failed["status"] == "failed" and "AssertionError" in failed["detail"]


def test_javascript_async_script_passes_only_when_it_completes(box: Sandbox) -> None:
    code = "const later = (v) => new Promise((r) => setTimeout(() => r(v), 20));"
    good = "later(2).then((v) => { if (v !== 2) throw new Error('bad'); });"
    bad = "later(2).then((v) => { require('assert').strictEqual(v, 3); });"
    assert box.run(**script("javascript", code, good))["status"] == "passed"
    assert box.run(**script("javascript", code, bad))["status"] == "failed"


def test_javascript_crash_is_an_error(box: Sandbox) -> None:
    result = box.run(**script("javascript", "null.x;"))
    assert result["status"] == "error" and "TypeError" in result["detail"]


@pytest.mark.parametrize(
    "request_body, reason",
    [
        (script("ruby", "puts 1"), "no runtime for language 'ruby'"),
        ({**humaneval("function add(a, b) { return a + b; }"), "language": "javascript"}, "humaneval"),
        ({**assertions("x = 1", ["assert x"]), "language": "javascript"}, "assertions"),
    ],
)
def test_not_run_with_its_reason(box: Sandbox, request_body: dict, reason: str) -> None:
    result = box.run(**request_body)
    assert result["status"] == "not_run" and reason in result["detail"]


@pytest.mark.parametrize(
    "body, field",
    [
        (b"{not json", "body"),
        (json.dumps([1]).encode(), "body"),
        (json.dumps({**GOOD}).encode(), "id"),
        (json.dumps({**GOOD, "id": "x", "tests": {"kind": "pytest"}}).encode(), "tests.kind"),
        (json.dumps({**GOOD, "id": "x", "timeout_s": -1}).encode(), "timeout_s"),
        (json.dumps({**GOOD, "id": "x", "code": 5}).encode(), "code"),
        (json.dumps({**humaneval("x", entry_point="a b"), "id": "x"}).encode(), "tests.entry_point"),
        (json.dumps({**stdio("python", "x", []), "id": "x"}).encode(), "tests.cases"),
    ],
)
def test_malformed_requests_are_400_naming_the_field(box: Sandbox, body: bytes, field: str) -> None:
    status, reply = box.call("POST", "/v1/execute", body)
    assert status == 400 and reply["error"].startswith(field + ":")
    assert box.healthy()


def test_oversized_body_is_413_and_the_server_lives(box: Sandbox) -> None:
    body = json.dumps({**GOOD, "id": "big", "code": "#" * (3 * 1024 * 1024)}).encode()
    status, reply = box.call("POST", "/v1/execute", body)
    assert status == 413 and "limit" in reply["error"]
    assert box.run(**GOOD)["status"] == "passed"


def test_unknown_path_is_404(box: Sandbox) -> None:
    assert box.call("GET", "/v2/nothing")[0] == 404
