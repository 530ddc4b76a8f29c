"""tests/prereq.py: a missing prerequisite skips a test, and fails it naming the prerequisite under CI=true.

Runs inner pytest sessions (pytester) so the real outcome of a test using `require`/`requires` is seen.
"""

from __future__ import annotations

import pytest

from tests.prereq import in_ci

pytest_plugins = ["pytester"]

INNER_TESTS = """
from tests.prereq import require, requires

@requires(False, "the frobnicator", "apt-get install frob")
def test_marked_missing():
    pass

def test_required_missing():
    require(False, "/usr/bin/widget", "apt-get install widget")

@requires(True, "present thing", "nothing to do")
def test_marked_present():
    require(True, "another present thing", "nothing")

@pytest.mark.parametrize("x", [pytest.param(1, marks=requires(False, "param thing", "install p")), 2])
def test_param(x):
    pass
"""


INNER_ARGS = ("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")


@pytest.fixture
def inner(pytester: pytest.Pytester, request: pytest.FixtureRequest) -> pytest.Pytester:
    # The inner session imports tests.prereq and uses the suite's conftest hook, as the real suite does.
    pytester.syspathinsert(request.config.rootpath)
    pytester.makeconftest("from tests.conftest import pytest_configure, pytest_runtest_setup  # noqa: F401")
    pytester.makepyfile(test_inner="import pytest\n" + INNER_TESTS)
    return pytester


def test_missing_prerequisites_skip_with_their_name_outside_ci(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = inner.runpytest("-rs", *INNER_ARGS)
    result.assert_outcomes(passed=2, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "*SKIPPED*missing prerequisite: the frobnicator (apt-get install frob; or scripts/prereqs.sh*",
            "*SKIPPED*missing prerequisite: /usr/bin/widget (apt-get install widget*",
            "*SKIPPED*missing prerequisite: param thing*",
        ],
        consecutive=False,
    )


def test_missing_prerequisites_fail_with_their_name_under_ci(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = inner.runpytest(*INNER_ARGS)
    # A mark's failure happens in setup, so pytest counts it as an error; both make the run fail.
    result.assert_outcomes(passed=2, failed=1, errors=2)
    assert result.ret != 0
    for name in ("the frobnicator", "/usr/bin/widget", "param thing"):
        result.stdout.fnmatch_lines([f"*missing prerequisite: {name}*CI=true: a missing prerequisite fails*"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", False), ("false", False), ("0", False), ("true", True), ("TRUE", True), ("1", True), ("yes", True)],
)
def test_in_ci_reads_the_ci_variable(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected
