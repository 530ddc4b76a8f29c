"""Shared pieces of the stack tests: repo paths, polling, a stub backend, local nginx (bench.harness.nginx's;
free ports come from vllm_sim.testing)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.harness.nginx import LocalNginx, nginx_process
from tests.prereq import require

REPO = Path(__file__).resolve().parents[2]
NGINX_DIR = REPO / "nginx"
POLL_INTERVAL_S = 0.2
# vLLM 0.32 checks VLLM_API_KEY only under /v1, /v2, /inference and /cohere; it serves these without it
# (the first and sixth run the model). nginx must answer them itself.
UNGUARDED_VLLM_PATHS = (
    "/invocations",
    "/tokenize",
    "/detokenize",
    "/load",
    "/scale_elastic_ep",
    "/generative_scoring",
    "/docs",
    "/openapi.json",
)


def load_script(relative: str) -> ModuleType:
    """Import a stdlib script that is not part of a package (compose/fleet.py, compose/status.py)."""
    path = REPO / relative
    name = "stack_script_" + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def wait_for(
    condition: Callable[[], Any], deadline_s: float, what: str, diagnose: Callable[[], str] = str
) -> Any:
    """Poll until condition() is truthy; fail naming `what` and adding diagnose() (e.g. logs)."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            result = condition()
            if result:
                return result
        except (OSError, http.client.HTTPException):
            pass
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_s:.0f}s waiting for {what}\n{diagnose()}")
        time.sleep(POLL_INTERVAL_S)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int, method: str = "GET", path: str = "/", body: bytes | None = None, **headers: str
) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


@dataclass
class StubBackend:
    """A vLLM stand-in at the HTTP level: answers with its name, can fail with 503 or hold requests."""

    name: str
    port: int = 0
    status: int = 200
    hold: threading.Event = field(default_factory=threading.Event)  # set: /v1/hold requests may finish
    hits: int = 0
    body_sizes: list[int] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> StubBackend:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                backend.body_sizes.append(len(self.rfile.read(length)))
                backend.hits += 1
                if self.path == "/v1/hold":
                    backend.hold.wait(30)
                payload = json.dumps({"served_by": backend.name, "path": self.path}).encode()
                self.send_response(backend.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("x-served-by", backend.name)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self.hold.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def local_nginx(upstreams: list[str], **settings: str) -> Iterator[LocalNginx]:
    """nginx from nginx/entrypoint.sh on a free port (Debian's nginx binary on this machine), with two
    workers as a real fleet's balancer has, in a directory of its own removed afterwards."""
    require(shutil.which("nginx") is not None, "an nginx binary on PATH", "apt-get install nginx-light")
    run_dir = Path(tempfile.mkdtemp(prefix="jf-nginx-"))
    try:
        with nginx_process(upstreams, run_dir, **{"NGINX_WORKER_PROCESSES": "2", **settings}) as nginx:
            yield nginx
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
