"""Start the real vLLM CPU server for the tests: from .venv-vllm, else from the image.

From .venv-vllm it serves the model directory it is given (smollm2.py prepares SmolLM2); the image
serves the SmolLM2 it prepared at build time, the same bytes (prepare-model is deterministic).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vllm_cpu_serve import settings
from vllm_sim.testing import free_port, wait_healthy

REPO_ROOT = Path(__file__).resolve().parents[2]
VLLM_VENV_PYTHON = REPO_ROOT / ".venv-vllm" / "bin" / "python"
IMAGE = os.environ.get("VLLM_CPU_IMAGE", "judge-fleet/vllm-cpu:dev")
# "venv" or "image" forces one runtime; unset: .venv-vllm when it exists, else the image.
RUNTIME_CHOICE_ENV = "VLLM_CPU_TEST_RUNTIME"
# vLLM's engine and worker exchange data through ~400 MiB of /dev/shm; Docker's default is 64 MiB.
CONTAINER_SHM_SIZE = "512m"
SERVED_MODEL_NAME = settings.REAL_MODEL_NAME
API_KEY = "contract-test-key"
# 20-45 s alone; much longer while other engineers' builds and servers share the two cores.
HEALTH_DEADLINE_S = float(os.environ.get("VLLM_CPU_HEALTH_DEADLINE_S", "420"))
POLL_INTERVAL_S = 1.0
STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class RunningServer:
    base_url: str  # http://127.0.0.1:PORT
    served_model_name: str
    api_key: str
    runtime: str  # ".venv-vllm" or the image tag


def image_available() -> bool:
    try:
        result = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def chosen_runtime() -> str | None:
    """ "venv", "image", or None when the chosen (or any) runtime is missing."""
    choice = os.environ.get(RUNTIME_CHOICE_ENV, "")
    if choice not in ("", "venv", "image"):
        raise ValueError(f"{RUNTIME_CHOICE_ENV}={choice!r}: expected 'venv', 'image' or unset")
    if choice in ("", "venv") and VLLM_VENV_PYTHON.exists():
        return "venv"
    if choice in ("", "image") and image_available():
        return "image"
    return None


def runtime_unavailable_reason() -> str | None:
    if chosen_runtime():
        return None
    return (
        f"real vLLM on CPU needs {VLLM_VENV_PYTHON.relative_to(REPO_ROOT)} "
        f"(services/vllm-cpu/install-runtime.sh .venv-vllm) or the image {IMAGE} (make images)"
        + (f" as {RUNTIME_CHOICE_ENV} chose" if os.environ.get(RUNTIME_CHOICE_ENV) else "")
    )


def _wait_healthy(base_url: str, exited: Callable[[], bool], log_tail: Callable[[], str]) -> None:
    wait_healthy(
        f"{base_url}/health",
        timeout_s=HEALTH_DEADLINE_S,
        exited=exited,
        diagnose=log_tail,
        poll_s=POLL_INTERVAL_S,
    )


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def run_from_venv(model_dir: Path, log_path: Path) -> Iterator[RunningServer]:
    port = free_port()
    cmd = [
        str(VLLM_VENV_PYTHON), "-m", "vllm_cpu_serve", "serve", "--model", str(model_dir),
        "--host", "127.0.0.1", "--port", str(port),
        "--served-model-name", SERVED_MODEL_NAME, "--api-key", API_KEY,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        # Own session: vLLM forks an engine core and a worker; stopping the group stops them too.
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, lambda: process.poll() is not None, lambda: _tail(log_path))
        yield RunningServer(base_url, SERVED_MODEL_NAME, API_KEY, ".venv-vllm")
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def run_from_image(log_path: Path) -> Iterator[RunningServer]:
    port = free_port()
    name = f"vllm-cpu-contract-{port}"
    subprocess.run(
        [
            "docker", "run", "-d", "--rm", "--name", name, "-p", f"127.0.0.1:{port}:8000",
            "--shm-size", CONTAINER_SHM_SIZE,
            "-e", f"SERVED_MODEL_NAME={SERVED_MODEL_NAME}", "-e", f"VLLM_API_KEY={API_KEY}", IMAGE,
        ],
        check=True, capture_output=True,
    )  # fmt: skip

    def exited() -> bool:
        state = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", name], capture_output=True)
        return state.stdout.strip() != b"true"

    def log_tail() -> str:
        logs = subprocess.run(["docker", "logs", "--tail", "60", name], capture_output=True, text=True)
        log_path.write_text(logs.stdout + logs.stderr)
        return logs.stdout + logs.stderr

    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, exited, log_tail)
        yield RunningServer(base_url, SERVED_MODEL_NAME, API_KEY, IMAGE)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


@contextmanager
def run_server(model_dir: Path, log_path: Path) -> Iterator[RunningServer]:
    """The runtime chosen_runtime() picks: .venv-vllm when present, else the image."""
    if chosen_runtime() == "venv":
        with run_from_venv(model_dir, log_path) as server:
            yield server
    else:
        with run_from_image(log_path) as server:
            yield server
