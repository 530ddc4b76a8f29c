from pathlib import Path

import pytest

from .journal_factory import JournalDir


@pytest.fixture
def journal(tmp_path: Path) -> JournalDir:
    return JournalDir(tmp_path / "out")
