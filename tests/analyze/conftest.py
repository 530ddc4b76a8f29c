"""Fixtures for the pipeline tests: task files, settings that retry fast, the in-process fake judge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .judge_fakes import FakeJudgeServer


@pytest.fixture
def fake_judge() -> Iterator[FakeJudgeServer]:
    with FakeJudgeServer() as server:
        yield server
