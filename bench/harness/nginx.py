"""Real nginx as a local process, with the config rendered by the stack's own entrypoint."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.harness import procs
from bench.settings import HEALTH_TIMEOUT_S, NGINX_BINARY, NGINX_ENTRYPOINT


@dataclass(frozen=True)
class LocalNginx:
    port: int
    policy: str
    pid: int  # the master; its workers are its children

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and its workers."""
        return procs.tree_usage(psutil.Process(self.pid))[0]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def render_config(upstreams: Sequence[str], policy: str, port: int, run_dir: Path) -> Path:
    """`nginx/entrypoint.sh render` with this run's env; returns the rendered nginx.conf."""
    env = {
        "UPSTREAM_SERVERS": " ".join(upstreams),
        "LB_POLICY": policy,
        "NGINX_PORT": str(port),
        "NGINX_RUN_DIR": str(run_dir),
        "NGINX_RESOLVER": "127.0.0.1",  # upstreams are IP literals: nothing to resolve
        "NGINX_ACCESS_LOG": "/dev/null",  # formatted and written like in the stack, then dropped
        "NGINX_WORKER_PROCESSES": "1",  # the machine has 2 cores for everything
    }
    done = subprocess.run(
        ["sh", str(NGINX_ENTRYPOINT), "render"],
        env={"PATH": "/usr/sbin:/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"nginx/entrypoint.sh render failed ({done.returncode}): {done.stderr.strip()}")
    return Path(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def local_nginx(upstreams: Sequence[str], policy: str, run_dir: Path) -> Iterator[LocalNginx]:
    run_dir = run_dir.resolve()  # nginx reads relative paths against its prefix
    run_dir.mkdir(parents=True, exist_ok=True)
    port = procs.free_port()
    conf = render_config(upstreams, policy, port, run_dir)
    cmd = [NGINX_BINARY, "-p", str(run_dir), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"]
    ready = f"http://127.0.0.1:{port}/nginx-health"
    with procs.running(cmd, run_dir / "nginx.log", ready, HEALTH_TIMEOUT_S) as proc:
        yield LocalNginx(port, policy, proc.pid)
