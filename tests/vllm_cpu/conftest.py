"""Fixtures: SmolLM2's local files and the session's real vLLM CPU server serving it (smollm2.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .smollm2 import model_files, shared_server
from .vllm_cpu_server import RunningServer


@pytest.fixture(scope="session")
def smollm2_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model_files(tmp_path_factory)


@pytest.fixture(scope="session")
def vllm_cpu_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RunningServer:
    return shared_server(request.config, tmp_path_factory)
