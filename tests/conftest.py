"""Suite-wide hooks: the `prereq` mark of tests/prereq.py (skip, or fail under CI=true); the `images`
mark's background builds (tests/image_builds.py)."""

from __future__ import annotations

import pytest

from tests.image_builds import start_prebuild, stop_prebuild
from tests.prereq import MARK, check_marks


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARK}(available, what, how): a machine prerequisite (tests/prereq.py)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    check_marks(item)


def pytest_collection_finish(session: pytest.Session) -> None:
    start_prebuild(session)


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_prebuild()
