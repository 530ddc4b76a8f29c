"""Start, watch and stop the local server processes a scenario needs; every one on a free port
(vllm_sim.testing.free_port, the one the tests use too)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import psutil
from vllm_sim.testing import wait_healthy


def start(
    cmd: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    base_env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Run `cmd` in its own process group with stdout and stderr in `log_path`; its environment is
    `base_env` (default: this process's) with `env` over it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            list(cmd),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**(os.environ if base_env is None else base_env), **(env or {})},
            start_new_session=True,  # one group per server: stop() ends it and only it
        )


def stop(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_up(proc: subprocess.Popen[bytes], log_path: Path, ready_url: str, timeout_s: float) -> None:
    """`ready_url` answers 200, else ServerStartError with the log's tail (the process died, time ran out)."""
    wait_healthy(
        ready_url,
        timeout_s=timeout_s,
        exited=lambda: proc.poll() is not None,
        diagnose=lambda: tail(log_path),
    )


@contextlib.contextmanager
def running(
    cmd: Sequence[str],
    log_path: Path,
    ready_url: str,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    base_env: Mapping[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    proc = start(cmd, log_path, env, base_env)
    try:
        wait_up(proc, log_path, ready_url, timeout_s)
        yield proc
    finally:
        stop(proc)


def tree_usage(proc: psutil.Process) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) of a process and all its descendants; members that just left count 0."""
    cpu, rss = 0.0, 0
    for member in (proc, *proc.children(recursive=True)):
        try:
            times = member.cpu_times()
            cpu += times.user + times.system
            rss += member.memory_info().rss
        except psutil.Error:
            continue
    return cpu, rss
