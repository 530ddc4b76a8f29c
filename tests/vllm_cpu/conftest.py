"""Fixtures: the tiny model made in a tmp dir, and one real vLLM CPU server for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from vllm_cpu_serve.model_maker import make_model

from tests.prereq import missing

from .vllm_cpu_server import RunningServer, run_server, runtime_unavailable_reason


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model(tmp_path_factory.mktemp("tiny-llama"), seed=0)


@pytest.fixture(scope="session")
def vllm_cpu_server(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    reason = runtime_unavailable_reason()
    if reason:
        missing("a real vLLM CPU runtime", reason)
    log_path = tmp_path_factory.mktemp("vllm-cpu-log") / "server.log"
    with run_server(tiny_model_dir, log_path) as server:
        yield server
