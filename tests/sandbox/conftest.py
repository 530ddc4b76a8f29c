"""One sandbox container for the whole tier (tests/sandbox/sandbox_stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .sandbox_stack import Sandbox, sandbox_container


@pytest.fixture(scope="session")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with sandbox_container(Path(tmp_path_factory.mktemp("sandbox"))) as sandbox:
        yield sandbox
