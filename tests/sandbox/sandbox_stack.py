"""The sandbox container as docker-compose.yml defines it, its socket bound to a host temp dir, one per
test module: the compose definition itself is what the tests exercise."""

from __future__ import annotations

import concurrent.futures
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.client import UnixHTTPConnection, call

from tests.stack.compose_stack import build_images, require_docker_engine
from tests.stack.stack_helpers import REPO

START_DEADLINE_S = 60
# In the server's environment only, so a test can look for it from inside a candidate.
SECRET = f"sbx-secret-{uuid.uuid4().hex}"
OVERRIDE = """services:
  sandbox:
    environment:
      SANDBOX_TEST_SECRET: {secret}
    volumes:
      - {socket_dir}:/run/sandbox
"""


@dataclass
class Sandbox:
    socket: Path
    host_dir: Path  # holds the socket: the only host path the container sees

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        conn = UnixHTTPConnection(str(self.socket), timeout=120)
        try:
            return call(conn, method, path, body)
        finally:
            conn.close()

    def run(self, **request: Any) -> dict[str, Any]:
        """POST /v1/execute; the reply must be a 200 echoing the id."""
        request.setdefault("id", uuid.uuid4().hex[:8])
        status, body = self.call("POST", "/v1/execute", request)
        assert status == 200, (status, body)
        assert body["id"] == request["id"]
        return body

    def run_together(self, *requests: dict[str, Any]) -> list[dict[str, Any]]:
        """Every request on its own connection at the same time (they land on different slots)."""
        with concurrent.futures.ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(lambda r: self.run(**r), requests))

    def healthy(self) -> bool:
        try:
            status, body = self.call("GET", "/health")
        except OSError:
            return False
        return status == 200 and body["status"] == "ok"


def compose(project: str, override: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = ["docker", "compose", "-p", project, "-f", str(REPO / "docker-compose.yml"), "-f", str(override)]
    return subprocess.run([*cmd, *args], cwd=REPO, capture_output=True, text=True, timeout=300)


@contextmanager
def sandbox_container(tmp: Path) -> Iterator[Sandbox]:
    require_docker_engine()
    build_images("sandbox")
    project = f"sbx-test-{uuid.uuid4().hex[:8]}"
    socket_dir = tmp / "socket"
    socket_dir.mkdir()
    socket_dir.chmod(0o755)  # as a named volume's root: candidates find the socket, the server refuses them
    override = tmp / "override.yml"
    override.write_text(OVERRIDE.format(secret=SECRET, socket_dir=socket_dir))
    up = compose(project, override, "up", "-d", "sandbox")
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        box = Sandbox(socket_dir / "sandbox.sock", socket_dir)
        deadline = time.monotonic() + START_DEADLINE_S
        while not box.healthy():
            assert time.monotonic() < deadline, compose(project, override, "logs", "sandbox").stdout[-3000:]
            time.sleep(0.1)
        yield box
    finally:
        compose(project, override, "down", "-v", "-t", "2")
