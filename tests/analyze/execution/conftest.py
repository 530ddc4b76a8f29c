"""One sandbox container (the real image, as docker-compose.yml defines it) for the job's execution tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.sandbox_stack import sandbox_container


@pytest.fixture(scope="session")
def sandbox_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sandbox_container(Path(tmp_path_factory.mktemp("job-sandbox"))) as box:
        yield f"unix://{box.socket}"
