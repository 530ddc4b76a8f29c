"""Fixtures of the compare tests."""

from __future__ import annotations

import pytest
from analyze.compare import constants as cc


@pytest.fixture
def levels_on_few_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agreement levels on journals of a few tasks, small enough to check by hand (below
    MIN_AGREEMENT_TASKS the level is too_few: test_figures.test_too_few_tasks_get_no_level_...)."""
    monkeypatch.setattr(cc, "MIN_AGREEMENT_TASKS", 1)
