"""Tests a task carries, in the spellings of HumanEval, MBPP, APPS, stdin/stdout cases or a script.

`parse_test_spec(record)` reads one decoded task record (as `analyze.inputs.tasks.parse_record` sees it) and
returns a frozen `TestSpec` (None when the task carries no tests) whose `to_wire()` is the sandbox's
tests object; a malformed one raises `TaskError` naming the field and why. `why_not_runnable` says
whether a language can run a spec: a "no" is recorded as not run, never a parse error.

Decisions (docs/pipeline.md, "Tests in the input"):
- one shape per task: keys of two shapes on one record are an error naming both, not a precedence;
- a null field counts as absent, and so does APPS' empty `input_output` (its own spelling of "none");
- APPS' call-based form (`fn_name`) becomes an `assertions` spec with APPS' own comparison: a tuple
  compares as a list, and an expected value wrapped in a list also matches its first item;
- a spec holds at most MAX_TEST_CASES cases and MAX_TEST_BYTES of text (UTF-8, wire form).
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from analyze.inputs.errors import TaskError
from analyze.inputs.json_values import check_json_value, strict_loads

Shape = Literal["humaneval", "mbpp", "stdio", "apps", "script"]
Kind = Literal["humaneval", "assertions", "stdio", "script"]

MAX_TEST_CASES = 1000
MAX_TEST_BYTES = 1 << 20

# The keys that claim each shape; "tests" is stdio or script by its type.
_SHAPE_KEYS: dict[str, tuple[str, ...]] = {
    "humaneval": ("test", "entry_point"),
    "mbpp": ("test_list", "test_setup_code", "test_imports"),
    "apps": ("input_output",),
    "tests": ("tests",),
}
_DEFINES_CHECK = re.compile(r"^def[ \t]+check[ \t]*\(", re.MULTILINE)

# Runs before APPS-derived asserts. LeetCode-style APPS problems define the function as a method of
# class Solution, hence the lookup; the comparison is APPS' (testing_util.py) so its data keeps meaning.
APPS_SETUP = """def _apps_call(name, args):
    space = globals()
    fn = space[name] if name in space else getattr(space["Solution"](), name)
    got = fn(*args)
    return list(got) if isinstance(got, tuple) else got


def _apps_equal(got, expected):
    return got == expected or (isinstance(expected, list) and bool(expected) and got == expected[0])
"""

_LANGUAGE_ALIASES = {
    "python": "python",
    "python3": "python",
    "py": "python",
    "javascript": "javascript",
    "js": "javascript",
    "node": "javascript",
    "nodejs": "javascript",
    "node.js": "javascript",
}
_RUNNABLE_KINDS: dict[str, tuple[Kind, ...]] = {
    "python": ("humaneval", "assertions", "stdio", "script"),
    "javascript": ("stdio", "script"),
}


@dataclass(frozen=True)
class HumanEvalTests:
    test: str
    entry_point: str


@dataclass(frozen=True)
class AssertionTests:
    setup: str
    imports: tuple[str, ...]
    asserts: tuple[str, ...]


@dataclass(frozen=True)
class StdioCase:
    input: str
    output: str


@dataclass(frozen=True)
class StdioTests:
    cases: tuple[StdioCase, ...]


@dataclass(frozen=True)
class ScriptTests:
    script: str


Tests = HumanEvalTests | AssertionTests | StdioTests | ScriptTests


@dataclass(frozen=True)
class TestSpec:
    __test__ = False  # not a pytest test class, despite the name

    shape: Shape  # how the input spelled it, for `analyze validate`
    tests: Tests

    @property
    def kind(self) -> Kind:
        return _kind(self.tests)

    def to_wire(self) -> dict[str, Any]:
        """The sandbox protocol's tests object."""
        tests = self.tests
        if isinstance(tests, HumanEvalTests):
            return {"kind": "humaneval", "test": tests.test, "entry_point": tests.entry_point}
        if isinstance(tests, AssertionTests):
            return {
                "kind": "assertions",
                "setup": tests.setup,
                "imports": list(tests.imports),
                "asserts": list(tests.asserts),
            }
        if isinstance(tests, StdioTests):
            return {"kind": "stdio", "cases": [{"input": c.input, "output": c.output} for c in tests.cases]}
        return {"kind": "script", "script": tests.script}


def _kind(tests: Tests) -> Kind:
    if isinstance(tests, HumanEvalTests):
        return "humaneval"
    if isinstance(tests, AssertionTests):
        return "assertions"
    return "stdio" if isinstance(tests, StdioTests) else "script"


def normalize_language(name: str) -> str:
    """python3/py → python, js/node/nodejs → javascript; other names lower-cased as they are."""
    key = name.strip().lower()
    return _LANGUAGE_ALIASES.get(key, key)


def why_not_runnable(language: str, spec: TestSpec) -> str | None:
    """None when `language` can run the spec's tests, else the reason (the job records it as not run)."""
    lang = normalize_language(language)
    kinds = _RUNNABLE_KINDS.get(lang)
    if kinds is None:
        return f"no test runner for language {language!r} (tests run for python and javascript)"
    if spec.kind not in kinds:
        return f"{lang} cannot run {spec.kind} tests (from {spec.shape}); {lang} runs {', '.join(kinds)}"
    return None


def parse_test_spec(record: Any) -> TestSpec | None:
    """The tests `record` carries, None when it carries none; raises TaskError for malformed ones."""
    if not isinstance(record, dict):
        raise TaskError(f"expected a JSON object, got {type(record).__name__}")
    claimed = {shape: keys for shape, keys in _SHAPE_KEYS.items() if any(_present(record, k) for k in keys)}
    if len(claimed) > 1:
        fields = " and ".join(f"'{_present_keys(record, keys)[0]}'" for keys in claimed.values())
        raise TaskError(f"tests given in two shapes ({fields}): keep one")
    if not claimed:
        return None
    (shape,) = claimed
    for key in _present_keys(record, claimed[shape]):
        check_json_value({key: record[key]})  # a lone surrogate could not reach the sandbox
    spec = _PARSERS[shape](record)
    _check_bounds(spec)
    return spec


def _present(record: dict[str, Any], key: str) -> bool:
    value = record.get(key)
    if key == "input_output" and isinstance(value, str):
        return bool(value.strip())
    return value is not None


def _present_keys(record: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if _present(record, k)]


def _text(value: Any, where: str, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise TaskError(f"{where} must be text, got {type(value).__name__}")
    if not empty_ok and not value.strip():
        raise TaskError(f"{where} is empty")
    return value


def _items(value: Any, where: str, *, empty_ok: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise TaskError(f"{where} must be a list, got {type(value).__name__}")
    if not value and not empty_ok:
        raise TaskError(f"{where} is empty")
    if len(value) > MAX_TEST_CASES:
        raise TaskError(f"{where} holds {len(value)} items; at most {MAX_TEST_CASES} test cases are read")
    return value


def _identifier(value: Any, where: str) -> str:
    name = _text(value, where)
    if not name.isidentifier() or keyword.iskeyword(name):
        raise TaskError(f"{where} must be a Python identifier, got {name!r}")
    return name


def _humaneval(record: dict[str, Any]) -> TestSpec:
    if record.get("test") is None:
        raise TaskError("'entry_point' given without 'test' (HumanEval's check(candidate) code)")
    test = _text(record["test"], "'test'")
    if not _DEFINES_CHECK.search(test):
        raise TaskError("'test' must define check(candidate) at top level (HumanEval's form)")
    if record.get("entry_point") is None:
        raise TaskError("'test' given without 'entry_point' (the name check(candidate) is called with)")
    entry_point = _identifier(record["entry_point"], "'entry_point'")
    return TestSpec("humaneval", HumanEvalTests(test=test, entry_point=entry_point))


def _mbpp(record: dict[str, Any]) -> TestSpec:
    if record.get("test_list") is None:
        extra = _present_keys(record, ("test_setup_code", "test_imports"))[0]
        raise TaskError(f"'{extra}' given without 'test_list' (MBPP's assert statements)")
    test_list = _items(record["test_list"], "'test_list'")
    asserts = [_text(s, f"'test_list'[{i}]") for i, s in enumerate(test_list)]
    setup = record.get("test_setup_code")
    setup = "" if setup is None else _text(setup, "'test_setup_code'", empty_ok=True)
    raw_imports = record.get("test_imports")
    imports = [] if raw_imports is None else _items(raw_imports, "'test_imports'", empty_ok=True)
    imports = [_text(s, f"'test_imports'[{i}]") for i, s in enumerate(imports)]
    return TestSpec("mbpp", AssertionTests(setup=setup, imports=tuple(imports), asserts=tuple(asserts)))


def _tests_field(record: dict[str, Any]) -> TestSpec:
    value = record["tests"]
    if isinstance(value, str):
        return TestSpec("script", ScriptTests(script=_text(value, "'tests'")))
    if not isinstance(value, list):
        raise TaskError(
            "'tests' must be a script (text) or a list of {input, output} cases, "
            f"got {type(value).__name__}"
        )
    cases = []
    for i, case in enumerate(_items(value, "'tests'")):
        where = f"'tests'[{i}]"
        if not isinstance(case, dict):
            raise TaskError(f"{where} must be an object with 'input' and 'output' text")
        for key in ("input", "output"):
            if key not in case:
                raise TaskError(f"{where} has no '{key}'")
        cases.append(
            StdioCase(
                input=_text(case["input"], f"{where}.input", empty_ok=True),
                output=_text(case["output"], f"{where}.output", empty_ok=True),
            )
        )
    return TestSpec("stdio", StdioTests(cases=tuple(cases)))


def _apps(record: dict[str, Any]) -> TestSpec:
    value = record["input_output"]
    if isinstance(value, str):  # APPS stores it JSON-encoded
        if len(value) > MAX_TEST_BYTES:
            raise TaskError(
                f"'input_output' is {len(value)} characters long; tests are limited to {MAX_TEST_BYTES} bytes"
            )
        try:
            value = strict_loads(value)
        except (ValueError, RecursionError) as exc:  # bad JSON, NaN, or an integer too long
            raise TaskError(f"'input_output' is text but not JSON ({exc})") from exc
        check_json_value({"input_output": value})
    if not isinstance(value, dict):
        raise TaskError(f"'input_output' must be an object (or its JSON text), got {type(value).__name__}")
    for key in ("inputs", "outputs"):
        if key not in value:
            raise TaskError(f"'input_output' has no '{key}'")
    inputs = _items(value["inputs"], "'input_output'.inputs")
    outputs = _items(value["outputs"], "'input_output'.outputs")
    if len(inputs) != len(outputs):
        raise TaskError(f"'input_output' has {len(inputs)} inputs but {len(outputs)} outputs")
    if value.get("fn_name") is not None:
        return _apps_call_based(_identifier(value["fn_name"], "'input_output'.fn_name"), inputs, outputs)
    cases = [
        StdioCase(
            input=_lines(inputs[i], f"'input_output'.inputs[{i}]"),
            output=_lines(outputs[i], f"'input_output'.outputs[{i}]"),
        )
        for i in range(len(inputs))
    ]
    return TestSpec("apps", StdioTests(cases=tuple(cases)))


def _lines(value: Any, where: str) -> str:
    """APPS gives a stdin/stdout text either whole or as a list of lines (joined as APPS joins them)."""
    if isinstance(value, list):
        return "\n".join(_text(line, f"{where}[{j}]", empty_ok=True) for j, line in enumerate(value))
    return _text(value, where, empty_ok=True)


def _apps_call_based(fn_name: str, inputs: list[Any], outputs: list[Any]) -> TestSpec:
    asserts = []
    for i, (args, expected) in enumerate(zip(inputs, outputs, strict=True)):
        if not isinstance(args, list):
            raise TaskError(f"'input_output'.inputs[{i}] must be a list of arguments (fn_name is set)")
        args_text = _literal(args, f"'input_output'.inputs[{i}]")
        expected_text = _literal(expected, f"'input_output'.outputs[{i}]")
        asserts.append(f"assert _apps_equal(_apps_call({fn_name!r}, {args_text}), {expected_text})")
    return TestSpec("apps", AssertionTests(setup=APPS_SETUP, imports=(), asserts=tuple(asserts)))


def _literal(value: Any, where: str) -> str:
    """A Python literal for a JSON value: only JSON's types reach repr, so no text becomes code."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise TaskError(f"{where} holds {item!r}, which has no Python literal")
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                raise TaskError(f"{where} holds an object with a key that is not text")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif not isinstance(item, str | int | float | bool) and item is not None:
            raise TaskError(f"{where} holds a {type(item).__name__}, not a JSON value")
    try:
        return repr(value)
    except ValueError as exc:  # an integer beyond Python's digit limit
        raise TaskError(f"{where} cannot be written as a literal ({exc})") from exc


def _check_bounds(spec: TestSpec) -> None:
    wire = spec.to_wire()
    cases = len(wire.get("asserts", wire.get("cases", [None])))
    if cases > MAX_TEST_CASES:
        raise TaskError(f"{spec.shape} tests hold {cases} cases; at most {MAX_TEST_CASES} are allowed")
    size = sum(len(text.encode("utf-8", "surrogatepass")) for text in _strings(wire))
    if size > MAX_TEST_BYTES:
        raise TaskError(f"{spec.shape} tests hold {size} bytes of text; at most {MAX_TEST_BYTES} are allowed")


def _strings(wire: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in wire.items():
        if key == "kind":
            continue
        if isinstance(value, str):
            out.append(value)
        else:
            for item in value:
                out.extend(item.values() if isinstance(item, dict) else [item])
    return out


_PARSERS = {"humaneval": _humaneval, "mbpp": _mbpp, "apps": _apps, "tests": _tests_field}
