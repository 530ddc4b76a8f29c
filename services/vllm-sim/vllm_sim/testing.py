"""Start the simulator as a real subprocess on a free port, for tests and benchmarks.

with run_simulator(max_num_seqs=4, time_scale=0) as base_url:   # "http://127.0.0.1:PORT"
    openai_base = base_url + "/v1"

Also the home of what every local server of the tests and benchmarks needs (`free_port`, `wait_healthy`,
`simulator_command`): this package is installed in the repo's .venv, so tests/ and bench/ both import it,
and the launcher below, which needs them too, cannot import from either.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from vllm_sim.settings import ENV_PREFIX, OPTIONS_BY_NAME

START_TIMEOUT_S = 20.0
POLL_INTERVAL_S = 0.05
STOP_TIMEOUT_S = 5.0
BIND_ATTEMPTS = 3


class ServerStartError(RuntimeError):
    """A server exited or never answered its health URL; the message carries its log."""


class ServerExited(ServerStartError):
    """The server's process ended before its health URL answered."""


@dataclass
class SimulatorProcess:
    base_url: str
    process: subprocess.Popen[bytes]
    stderr: IO[bytes]

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def simulator_command(port: int, flags: dict[str, Any]) -> list[str]:
    """`python -m vllm_sim` with `flags` (snake_case option names) turned into `--kebab-case` flags."""
    cmd = [sys.executable, "-m", "vllm_sim", "--host", "127.0.0.1", "--port", str(port)]
    for name, value in flags.items():
        if name not in OPTIONS_BY_NAME or name in ("host", "port"):
            raise ValueError(f"{name}: not a simulator option the launcher can set")
        cmd += [OPTIONS_BY_NAME[name].flag, str(value)]
    return cmd


def http_status(url: str, timeout_s: float = 2.0) -> int | None:
    """The status `url` answers GET with, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def wait_healthy(
    url: str,
    *,
    timeout_s: float,
    exited: Callable[[], bool] = lambda: False,
    diagnose: Callable[[], str] = str,
    poll_s: float = POLL_INTERVAL_S,
    any_answer: bool = False,
) -> None:
    """Poll `url` until it answers 200 (any status with `any_answer`, e.g. a 503 during a startup delay).
    ServerExited once `exited()`, ServerStartError when time runs out; both add `diagnose()` (its log)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if exited():
            raise ServerExited(f"exited before {url} answered:\n{diagnose()}")
        status = http_status(url)
        if status == 200 or (any_answer and status is not None):
            return
        if time.monotonic() > deadline:
            raise ServerStartError(f"no answer on {url} after {timeout_s:.0f} s:\n{diagnose()}")
        time.sleep(poll_s)


def stop(sim: SimulatorProcess) -> None:
    if sim.process.poll() is None:
        sim.process.terminate()
        try:
            sim.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            sim.process.kill()
            sim.process.wait()
    sim.stderr.close()


@contextmanager
def start_simulator(
    *, wait_ready: bool = True, timeout: float = START_TIMEOUT_S, **flags: Any
) -> Iterator[SimulatorProcess]:
    """The simulator process (with `.base_url`, `.process`); stopped on exit.

    `wait_ready=False` returns as soon as /health answers at all (e.g. 503 during a startup delay).
    VLLM_SIM_* variables of the caller's environment are not passed on, so only `flags` apply.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    for _ in range(BIND_ATTEMPTS):
        port = free_port()
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this block; stop() closes it
        process = subprocess.Popen(
            simulator_command(port, flags), stdout=subprocess.DEVNULL, stderr=stderr, env=env
        )
        sim = SimulatorProcess(f"http://127.0.0.1:{port}", process, stderr)
        try:
            wait_healthy(
                sim.base_url + "/health",
                timeout_s=timeout,
                exited=lambda proc=process: proc.poll() is not None,
                diagnose=sim.stderr_text,
                any_answer=not wait_ready,
            )
            break
        except ServerExited:
            message = sim.stderr_text()
            stop(sim)
            if "address already in use" not in message.lower():
                raise ServerStartError(f"simulator exited with {process.returncode}:\n{message}") from None
        except BaseException:
            stop(sim)
            raise
    else:
        raise ServerStartError(f"no free port after {BIND_ATTEMPTS} attempts")
    try:
        yield sim
    finally:
        stop(sim)


@contextmanager
def run_simulator(**flags: Any) -> Iterator[str]:
    """The simulator's base URL (`http://127.0.0.1:PORT`, OpenAI base is that + `/v1`); stopped on exit."""
    with start_simulator(**flags) as sim:
        yield sim.base_url
