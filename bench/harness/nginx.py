"""Real nginx as a local process, started by the stack's own entrypoint (it renders the config and execs
nginx). The one home of local nginx: the stack tests use `nginx_process` too (tests/stack/stack_helpers)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
from vllm_sim.testing import free_port

from bench.harness import procs
from bench.settings import HEALTH_TIMEOUT_S, NGINX_ENTRYPOINT

# Where Debian keeps the nginx binary; searched after the caller's PATH.
SYSTEM_PATH = "/usr/sbin:/usr/bin:/bin"


@dataclass(frozen=True)
class LocalNginx:
    port: int
    run_dir: Path
    pid: int  # the master (the entrypoint execs nginx); its workers are its children

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and its workers."""
        return procs.tree_usage(psutil.Process(self.pid))[0]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def log(self) -> str:
        """The access log, when NGINX_ACCESS_LOG was left at its place in run_dir."""
        access = self.run_dir / "access.log"
        return access.read_text() if access.exists() else ""


def nginx_env(run_dir: Path, upstreams: Sequence[str], **settings: str) -> dict[str, str]:
    """The whole environment of nginx/entrypoint.sh: none of the caller's NGINX_* or LB_POLICY leaks in."""
    env = {
        "PATH": f"{os.environ.get('PATH', '')}:{SYSTEM_PATH}",
        "NGINX_RUN_DIR": str(run_dir),
        "NGINX_ACCESS_LOG": str(run_dir / "access.log"),
        "NGINX_WORKER_PROCESSES": "1",  # the machine has 2 cores for everything
        "NGINX_RESOLVER": "127.0.0.1",  # upstreams are IP literals: nothing to resolve
        "UPSTREAM_SERVERS": " ".join(upstreams),
    }
    return {**env, **settings}


@contextlib.contextmanager
def nginx_process(upstreams: Sequence[str], run_dir: Path, **settings: str) -> Iterator[LocalNginx]:
    """nginx on a free port in front of `upstreams`, with entrypoint `settings` (LB_POLICY, NGINX_*);
    its output in run_dir/nginx.log."""
    run_dir = run_dir.resolve()  # nginx reads relative paths against its prefix
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)  # worker processes (nobody when run as root) must reach the sockets
    port = free_port()
    env = nginx_env(run_dir, upstreams, NGINX_PORT=str(port), **settings)
    ready = f"http://127.0.0.1:{port}/nginx-health"
    cmd = ["sh", str(NGINX_ENTRYPOINT)]
    with procs.running(cmd, run_dir / "nginx.log", ready, HEALTH_TIMEOUT_S, base_env=env) as proc:
        yield LocalNginx(port, run_dir, proc.pid)


@contextlib.contextmanager
def local_nginx(upstreams: Sequence[str], policy: str, run_dir: Path) -> Iterator[LocalNginx]:
    """The benchmarks' nginx: one worker, access log formatted and written as in the stack, then dropped."""
    with nginx_process(upstreams, run_dir, LB_POLICY=policy, NGINX_ACCESS_LOG="/dev/null") as nginx:
        yield nginx
