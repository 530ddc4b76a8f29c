"""analyze.inputs.test_specs: each dataset's spelling of tests read into the sandbox's wire form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from analyze.inputs.tasks import TaskError, parse_record
from analyze.inputs.test_specs import (
    APPS_SETUP,
    MAX_TEST_BYTES,
    MAX_TEST_CASES,
    normalize_language,
    parse_test_spec,
    why_not_runnable,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Spelled as the datasets spell them (trimmed): HumanEval/0, MBPP (full and sanitized), APPS.
HUMANEVAL = {
    "task_id": "HumanEval/0",
    "prompt": "from typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float)"
    ' -> bool:\n    """ Check if any two numbers are closer to each other than threshold. """\n',
    "canonical_solution": "    return any(abs(a - b) < threshold for i, a in enumerate(numbers)"
    " for b in numbers[i + 1:])\n",
    "test": "\n\nMETADATA = {\n    'author': 'jt',\n    'dataset': 'test'\n}\n\n\ndef check(candidate):\n"
    "    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True\n"
    "    assert candidate([1.0, 2.0, 5.9, 4.0, 5.0], 0.95) == True\n",
    "entry_point": "has_close_elements",
}
MBPP = {
    "task_id": 2,
    "text": "Write a function to find the similar elements from the given two tuple lists.",
    "code": "def similar_elements(a, b):\n  return tuple(set(a) & set(b))",
    "test_list": [
        "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)",
        "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
    ],
    "test_setup_code": "",
    "challenge_test_list": [],
}
MBPP_SANITIZED = {
    "source_file": "Benchmark Questions Verification V2.ipynb",
    "task_id": 3,
    "prompt": "Write a python function to identify non-prime numbers.",
    "code": "import math\ndef is_not_prime(n):\n    ...",
    "test_imports": ["import math"],
    "test_list": ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True"],
}
APPS_STDIO = {
    "problem_id": 4,
    "question": "Read two integers and print their sum.",
    "solutions": json.dumps(["a, b = map(int, input().split())\nprint(a + b)\n"]),
    "input_output": json.dumps({"inputs": ["1 2\n", ["3 4", ""]], "outputs": ["3\n", ["7", ""]]}),
    "difficulty": "introductory",
    "starter_code": "",
}
APPS_CALL = {
    "problem_id": 2500,
    "question": "Return the sum of the list.",
    "input_output": json.dumps({"fn_name": "total", "inputs": [[[1, 2, 3]], [[]]], "outputs": [[6], [0]]}),
    "starter_code": "def total(nums):\n",
}


def spec_of(record: dict[str, Any]) -> dict[str, Any]:
    spec = parse_test_spec(record)
    assert spec is not None
    return {"shape": spec.shape, **spec.to_wire()}


def test_humaneval_record() -> None:
    assert spec_of(HUMANEVAL) == {
        "shape": "humaneval",
        "kind": "humaneval",
        "test": HUMANEVAL["test"],
        "entry_point": "has_close_elements",
    }


def test_mbpp_records_full_and_sanitized() -> None:
    assert spec_of(MBPP) == {
        "shape": "mbpp",
        "kind": "assertions",
        "setup": "",
        "imports": [],
        "asserts": MBPP["test_list"],
    }
    wire = spec_of(MBPP_SANITIZED)
    assert wire["imports"] == ["import math"] and wire["setup"] == "" and len(wire["asserts"]) == 2


def test_apps_stdio_from_json_text_joins_lines_as_apps_does() -> None:
    assert spec_of(APPS_STDIO) == {
        "shape": "apps",
        "kind": "stdio",
        "cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "3 4\n", "output": "7\n"}],
    }
    decoded = {**APPS_STDIO, "input_output": json.loads(APPS_STDIO["input_output"])}
    assert spec_of(decoded) == spec_of(APPS_STDIO)  # already decoded is fine too


def test_apps_call_based_becomes_assertions_with_json_literals() -> None:
    assert spec_of(APPS_CALL) == {
        "shape": "apps",
        "kind": "assertions",
        "setup": APPS_SETUP,
        "imports": [],
        "asserts": [
            "assert _apps_equal(_apps_call('total', [[1, 2, 3]]), [6])",
            "assert _apps_equal(_apps_call('total', [[]]), [0])",
        ],
    }


def run_assertions(wire: dict[str, Any], candidate: str) -> None:
    """What a sandbox does with an assertions spec, in-process (the code here is the test's own)."""
    space: dict[str, Any] = {}
    exec("\n".join([*wire["imports"], candidate, wire["setup"]]), space)
    for line in wire["asserts"]:
        exec(line, space)


@pytest.mark.parametrize(
    ("candidate", "passes"),
    [
        ("def total(nums):\n    return sum(nums)", True),
        ("def total(nums):\n    return (sum(nums),)", True),  # APPS: a tuple compares as a list
        ("class Solution:\n    def total(self, nums):\n        return sum(nums)", True),  # LeetCode form
        ("def total(nums):\n    return len(nums)", False),
    ],
)
def test_apps_call_based_asserts_judge_as_apps_does(candidate: str, passes: bool) -> None:
    wire = spec_of(APPS_CALL)
    if passes:
        run_assertions(wire, candidate)
    else:
        with pytest.raises(AssertionError):
            run_assertions(wire, candidate)


def test_apps_arguments_stay_data_whatever_their_text() -> None:
    hostile = "__import__('os').system('echo owned')'); x = ('"
    record = {"input_output": {"fn_name": "echo", "inputs": [[hostile]], "outputs": [[hostile]]}}
    run_assertions(spec_of(record), "def echo(s):\n    return s")  # passes only if s arrives verbatim


def test_stdio_cases_and_script() -> None:
    cases = [{"input": "2\n", "output": "4\n"}, {"input": "", "output": "0\n"}]
    assert spec_of({"tests": cases}) == {"shape": "stdio", "kind": "stdio", "cases": cases}
    script = "const assert = require('node:assert');\nassert.strictEqual(add(1, 2), 3);\n"
    assert spec_of({"tests": script}) == {"shape": "script", "kind": "script", "script": script}


def test_parse_record_reads_these_records_too() -> None:
    # parse_record does not read MBPP's full `text` nor APPS' `problem_id` (yet): those need a spelling.
    for record in (HUMANEVAL, MBPP_SANITIZED, {"task_id": "apps-4", **APPS_STDIO}):
        task = parse_record({**record, "candidates": ["x = 1"]}, 1)
        assert task.candidates[0].code == "x = 1"


def test_shipped_sample_shows_every_shape_and_runs_in_its_language() -> None:
    sample = Path(__file__).resolve().parents[3] / "data" / "tasks.jsonl"
    shapes: dict[str, set[str]] = {}
    for line in sample.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        spec = parse_test_spec(record)
        if spec is not None:
            assert why_not_runnable(record["language"], spec) is None, record["task_id"]
            shapes.setdefault(spec.shape, set()).add(spec.kind)
    assert shapes == {
        "humaneval": {"humaneval"},
        "mbpp": {"assertions"},
        "apps": {"stdio", "assertions"},
        "stdio": {"stdio"},
        "script": {"script"},
    }


def test_no_tests_nulls_and_apps_empty_input_output_are_none() -> None:
    assert parse_test_spec({"task_id": "t", "problem": "p"}) is None
    assert parse_test_spec({"test": None, "entry_point": None, "tests": None}) is None
    assert parse_test_spec({"input_output": ""}) is None  # APPS rows without tests


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({**MBPP, "test_list": ["assert f(1) == 1", "assert f(2) == 2", 3]}, "'test_list'[2] must be text"),
        ({**MBPP, "test_list": []}, "'test_list' is empty"),
        ({**MBPP, "test_list": "assert f(1)"}, "'test_list' must be a list, got str"),
        ({**MBPP, "test_list": ["  "]}, "'test_list'[0] is empty"),
        ({**MBPP, "test_setup_code": 1}, "'test_setup_code' must be text, got int"),
        ({**MBPP_SANITIZED, "test_imports": ["import math", None]}, "'test_imports'[1] must be text"),
        ({"test_imports": ["import math"]}, "'test_imports' given without 'test_list'"),
        ({**HUMANEVAL, "entry_point": "has-close"}, "'entry_point' must be a Python identifier"),
        ({**HUMANEVAL, "entry_point": "class"}, "'entry_point' must be a Python identifier"),
        ({**HUMANEVAL, "entry_point": 7}, "'entry_point' must be text, got int"),
        ({"test": HUMANEVAL["test"]}, "'test' given without 'entry_point'"),
        ({"entry_point": "f"}, "'entry_point' given without 'test'"),
        ({**HUMANEVAL, "test": "assert f(1) == 1\n"}, "'test' must define check(candidate)"),
        ({"tests": [{"input": "1"}]}, "'tests'[0] has no 'output'"),
        ({"tests": [{"input": "1", "output": 1}]}, "'tests'[0].output must be text, got int"),
        ({"tests": ["1"]}, "'tests'[0] must be an object with 'input' and 'output' text"),
        ({"tests": []}, "'tests' is empty"),
        ({"tests": "   "}, "'tests' is empty"),
        ({"tests": 3}, "'tests' must be a script (text) or a list of {input, output} cases, got int"),
        ({"input_output": "{not json"}, "'input_output' is text but not JSON"),
        ({"input_output": "[1]"}, "'input_output' must be an object (or its JSON text), got list"),
        ({"input_output": {"inputs": ["1"]}}, "'input_output' has no 'outputs'"),
        ({"input_output": {"inputs": ["1"], "outputs": ["1", "2"]}}, "has 1 inputs but 2 outputs"),
        ({"input_output": {"inputs": [1], "outputs": ["1"]}}, "'input_output'.inputs[0] must be text"),
        ({"input_output": {"inputs": [["a", 2]], "outputs": ["1"]}}, "'input_output'.inputs[0][1] must be"),
        (
            {"input_output": {"fn_name": "f", "inputs": [1], "outputs": [1]}},
            "'input_output'.inputs[0] must be a list of arguments",
        ),
        (
            {"input_output": {"fn_name": "f()", "inputs": [[1]], "outputs": [1]}},
            "'input_output'.fn_name must be a Python identifier",
        ),
        (
            {"input_output": '{"fn_name": "f", "inputs": [[NaN]], "outputs": [1]}'},
            "'input_output' is text but not JSON (NaN is not JSON",
        ),
        ({**MBPP, "tests": "assert True"}, "tests given in two shapes ('test_list' and 'tests')"),
        ({**HUMANEVAL, "input_output": APPS_CALL["input_output"]}, "('test' and 'input_output')"),
        ({"tests": "x\ud800"}, "field 'tests' holds text that cannot be encoded as UTF-8"),
        ("not a record", "expected a JSON object, got str"),
    ],
)
def test_malformed_tests_name_the_field(record: Any, message: str) -> None:
    with pytest.raises(TaskError) as caught:
        parse_test_spec(record)
    assert message in str(caught.value)


def test_bounds_on_cases_and_text() -> None:
    with pytest.raises(TaskError, match=f"at most {MAX_TEST_CASES} test cases"):
        parse_test_spec({"test_list": ["assert True"] * (MAX_TEST_CASES + 1)})
    assert parse_test_spec({"test_list": ["assert True"] * MAX_TEST_CASES}) is not None
    big = "é" * (MAX_TEST_BYTES // 2)  # 2 bytes each: exactly the limit alone, over it with a newline
    assert parse_test_spec({"tests": big}) is not None
    with pytest.raises(TaskError, match=f"1048577 bytes of text; at most {MAX_TEST_BYTES}"):
        parse_test_spec({"tests": big + "\n"})
    with pytest.raises(TaskError, match=f"limited to {MAX_TEST_BYTES} bytes"):
        parse_test_spec({"input_output": "x" * (MAX_TEST_BYTES + 1)})


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("python", "python"),
        ("Python3", "python"),
        ("py", "python"),
        ("JS", "javascript"),
        ("node", "javascript"),
        ("nodejs", "javascript"),
        (" javascript ", "javascript"),
        ("Go", "go"),
    ],
)
def test_language_spellings(spelling: str, name: str) -> None:
    assert normalize_language(spelling) == name


def test_which_language_runs_which_shape() -> None:
    specs = {
        name: parse_test_spec(record)
        for name, record in {
            "humaneval": HUMANEVAL,
            "mbpp": MBPP,
            "apps-call": APPS_CALL,
            "apps-stdio": APPS_STDIO,
            "stdio": {"tests": [{"input": "", "output": ""}]},
            "script": {"tests": "x"},
        }.items()
    }
    assert all(why_not_runnable("python3", spec) is None for spec in specs.values() if spec)
    runs_in_js = {name for name, spec in specs.items() if spec and why_not_runnable("node", spec) is None}
    assert runs_in_js == {"apps-stdio", "stdio", "script"}
    mbpp = specs["mbpp"]
    assert mbpp is not None
    assert why_not_runnable("js", mbpp) == (
        "javascript cannot run assertions tests (from mbpp); javascript runs stdio, script"
    )
    assert why_not_runnable("go", mbpp) == (
        "no test runner for language 'go' (tests run for python and javascript)"
    )


def test_spec_is_frozen() -> None:
    spec = parse_test_spec({"tests": "x"})
    assert spec is not None
    with pytest.raises(AttributeError):
        spec.shape = "mbpp"  # type: ignore[misc]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
FIELDS = ("test", "entry_point", "test_list", "test_setup_code", "test_imports", "tests", "input_output")
IO_OBJECT = st.fixed_dictionaries(
    {"inputs": JSON, "outputs": JSON}, optional={"fn_name": st.sampled_from(["f", "f g", ""]) | JSON}
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=3),
    st.none() | IO_OBJECT | IO_OBJECT.map(json.dumps) | st.text(max_size=20),
)
def test_any_json_in_these_fields_raises_task_error_or_gives_a_spec(record: dict[str, Any], io: Any) -> None:
    if io is not None:
        record = {**record, "input_output": io}
    try:
        spec = parse_test_spec(record)
    except TaskError:
        return
    if spec is not None:
        json.dumps(spec.to_wire())
