"""Suite-wide hooks: the `prereq` mark of tests/prereq.py (skip, or fail under CI=true)."""

from __future__ import annotations

import pytest

from tests.prereq import MARK, check_marks


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARK}(available, what, how): a machine prerequisite (tests/prereq.py)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    check_marks(item)
