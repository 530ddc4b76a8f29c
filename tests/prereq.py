"""One way for a test to say a prerequisite of the machine is missing: a skip on a developer's machine,
a failure naming it under CI=true (CI runs scripts/prereqs.sh first, so a missing binary there is a
broken setup, never a reason to pass quietly).

    require(shutil.which("nginx") is not None, "nginx", "apt-get install nginx-light")   # inside a test
    @requires(CHROMIUM.exists(), "/usr/bin/chromium", "apt-get install chromium")       # as a mark
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

CI_ENV = "CI"
# Where everything a test may miss is installed from (the hint every message ends with).
INSTALL_ALL = "scripts/prereqs.sh"


def in_ci() -> bool:
    """CI=true (or 1/yes, as CI services set it): missing prerequisites fail."""
    return os.environ.get(CI_ENV, "").strip().lower() in ("true", "1", "yes")


def message(what: str, how: str) -> str:
    return f"missing prerequisite: {what} ({how}; or {INSTALL_ALL} for everything)"


def missing(what: str, how: str) -> NoReturn:
    """Skip the running test for the missing WHAT, or fail it under CI=true."""
    text = message(what, how)
    if in_ci():
        pytest.fail(f"{text} [CI=true: a missing prerequisite fails]", pytrace=False)
    pytest.skip(text)


def require(available: bool, what: str, how: str) -> None:
    """Inside a test or fixture: go on when AVAILABLE, else skip (fail under CI=true)."""
    if not available:
        missing(what, how)


MARK = "prereq"


def requires(available: bool, what: str, how: str) -> pytest.MarkDecorator:
    """As a decorator, pytestmark or param mark: checked when the test is set up (tests/conftest.py)."""
    return getattr(pytest.mark, MARK)(available=available, what=what, how=how)


def check_marks(item: pytest.Item) -> None:
    """Apply every `requires` mark of ITEM (the conftest's setup hook calls this)."""
    for mark in item.iter_markers(MARK):
        require(mark.kwargs["available"], mark.kwargs["what"], mark.kwargs["how"])
