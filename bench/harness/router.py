"""The vLLM router (LB=vllm-router) as local processes, the way its image runs it: `vllm-router` from the
pinned wheels with the arguments services/vllm-router/entrypoint.sh prints (`entrypoint.sh args`), behind
the project's nginx as a gate with the router as its one upstream and one try. The one home of the local
router: the benchmarks start it only through `local_router`."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
from vllm_sim.testing import free_port

from bench.harness import procs
from bench.harness.nginx import LocalNginx, nginx_process
from bench.settings import HEALTH_TIMEOUT_S, REPO_ROOT

ROUTER_DIR = REPO_ROOT / "services" / "vllm-router"
REQUIREMENTS = ROUTER_DIR / "requirements.txt"
ENTRYPOINT = ROUTER_DIR / "entrypoint.sh"
# The wheelhouse scripts/build-images.sh fills for the image (make-wheelhouse.sh), and a bench-only venv.
WHEELHOUSE = REPO_ROOT / "build" / "wheelhouse" / "vllm-router"
VENV = REPO_ROOT / "build" / "bench-vllm-router"
INSTALL_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class LocalRouter:
    gate: LocalNginx  # what the job talks to
    router_pid: int
    router_port: int
    metrics_port: int

    @property
    def base_url(self) -> str:
        return self.gate.base_url

    def cpu_seconds(self) -> float:
        """CPU used so far by the whole balancer: the router's process tree and the gate's."""
        return procs.tree_usage(psutil.Process(self.router_pid))[0] + self.gate.cpu_seconds()


def router_binary() -> Path:
    """build/bench-vllm-router/bin/vllm-router, installed hash-checked from the wheelhouse (filled by
    make-wheelhouse.sh from PyPI when empty); reinstalled when requirements.txt changes."""
    binary = VENV / "bin" / "vllm-router"
    stamp = VENV / "requirements.sha256"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if binary.is_file() and stamp.is_file() and stamp.read_text() == want:
        return binary
    if not any(WHEELHOUSE.glob("vllm_router-*.whl")):
        _run(["bash", str(ROUTER_DIR / "make-wheelhouse.sh"), str(WHEELHOUSE)], {"HOST_PY": sys.executable})
    _run([sys.executable, "-m", "venv", "--clear", str(VENV)])
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, "--no-index", "--find-links", str(WHEELHOUSE), "--require-hashes", "-r", str(REQUIREMENTS)])
    stamp.write_text(want)
    return binary


def _run(cmd: Sequence[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        list(cmd),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} ... failed ({done.returncode}): {done.stderr[-2000:]}")


def router_argv(
    upstreams: Sequence[str], policy: str, port: int, metrics_port: int, **settings: str
) -> list[str]:
    """The router's command line as the image's entrypoint builds it (it validates the settings too)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "UPSTREAM_SERVERS": " ".join(upstreams),
        "ROUTER_POLICY": policy,
        "ROUTER_PORT": str(port),
        "ROUTER_METRICS_PORT": str(metrics_port),
        **settings,
    }
    done = subprocess.run(
        ["bash", str(ENTRYPOINT), "args"], capture_output=True, text=True, env=env, timeout=30, check=False
    )
    if done.returncode != 0:
        raise ValueError(f"vllm-router entrypoint refused the settings: {done.stderr.strip()}")
    return done.stdout.splitlines()


@contextlib.contextmanager
def local_router(
    upstreams: Sequence[str], policy: str, run_dir: Path, **settings: str
) -> Iterator[LocalRouter]:
    """The router (policy `policy`, entrypoint `settings` such as ROUTER_HEALTH_CHECK_INTERVAL_SECS) on free
    loopback ports, ready once its /readiness answers, behind a one-worker nginx gate (access log dropped,
    as local_nginx does). Its output in run_dir/router.log."""
    run_dir.mkdir(parents=True, exist_ok=True)
    port, metrics_port = free_port(), free_port()
    argv = router_argv(upstreams, policy, port, metrics_port, **settings)
    argv[0] = str(router_binary())
    ready = f"http://127.0.0.1:{port}/readiness"
    with (
        procs.running(argv, run_dir / "router.log", ready, HEALTH_TIMEOUT_S) as router,
        nginx_process(
            [f"127.0.0.1:{port}"],
            run_dir / "gate",
            NGINX_NEXT_UPSTREAM_TRIES="1",
            NGINX_ACCESS_LOG="/dev/null",
        ) as gate,  # fmt: skip
    ):
        yield LocalRouter(gate, router.pid, port, metrics_port)
