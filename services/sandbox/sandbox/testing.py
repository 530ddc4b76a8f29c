"""Start the sandbox container as docker-compose.yml defines it, for tests and benchmarks.

with compose_sandbox(repo, tmp, {"SANDBOX_TEST_SECRET": "x"}) as box:   # box.socket: the host's path
    box.run(id="1", language="python", code=..., tests=...)

Only the socket volume is overridden (bound to a host temp dir) and environment added: the compose
definition itself (network, capabilities, tmpfs, limits) is what runs. Build the image first
(scripts/build-images.sh sandbox).
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.client import UnixHTTPConnection, call

START_DEADLINE_S = 60.0
POLL_INTERVAL_S = 0.1
PROJECT_PREFIX = "sbx-test-"


@dataclass
class Sandbox:
    socket: Path

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


def _compose(repo: Path, project: str, override: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = ["docker", "compose", "-p", project, "-f", str(repo / "docker-compose.yml"), "-f", str(override)]
    return subprocess.run([*cmd, *args], cwd=repo, capture_output=True, text=True, timeout=300)


@contextmanager
def compose_sandbox(repo: Path, tmp: Path, environment: dict[str, str] | None = None) -> Iterator[Sandbox]:
    project = f"{PROJECT_PREFIX}{uuid.uuid4().hex[:8]}"
    socket_dir = tmp / "socket"
    socket_dir.mkdir()
    socket_dir.chmod(0o755)  # as a named volume's root: candidates find the socket, the server refuses them
    override = tmp / "override.yml"
    service = {"volumes": [f"{socket_dir}:/run/sandbox"], "environment": environment or {}}
    override.write_text(json.dumps({"services": {"sandbox": service}}))  # JSON is YAML
    up = _compose(repo, project, override, "up", "-d", "sandbox")
    try:
        if up.returncode != 0:
            raise RuntimeError(f"docker compose up sandbox failed:\n{up.stderr[-3000:]}")
        box = Sandbox(socket_dir / "sandbox.sock")
        deadline = time.monotonic() + START_DEADLINE_S
        while not box.healthy():
            if time.monotonic() > deadline:
                logs = _compose(repo, project, override, "logs", "sandbox").stdout[-3000:]
                raise RuntimeError(f"the sandbox did not answer /health:\n{logs}")
            time.sleep(POLL_INTERVAL_S)
        yield box
    finally:
        _compose(repo, project, override, "down", "-v", "-t", "2")
