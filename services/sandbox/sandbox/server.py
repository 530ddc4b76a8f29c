"""HTTP/1.1 over a unix socket (or 127.0.0.1 for development): GET /health, POST /v1/execute."""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import sys
import traceback
from http.server import BaseHTTPRequestHandler
from typing import Any

from sandbox import __version__
from sandbox.execute import Executor
from sandbox.protocol import BadRequest, parse_execute

DRAIN_FACTOR = 8  # an oversized body up to this many caps is read and dropped, so the client sees the 413
IDLE_TIMEOUT_S = 300.0  # a keep-alive connection with no request for this long is closed


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    server: SandboxServer

    def address_string(self) -> str:  # a unix socket's peer has no address
        return "unix" if not self.client_address else str(self.client_address[0])

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per execution would flood the log

    def log_error(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"sandbox: {format % args}\n")

    def _reply(self, status: int, body: dict[str, Any], close: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path != "/health":
            self._reply(404, {"error": f"no such path: {self.path[:100]}"})
            return
        ex = self.server.executor
        self._reply(200, {"status": "ok", "slots": ex.pool.size, "languages": ex.runtimes.languages(),
                          "limits": ex.limits.public(), "version": __version__})  # fmt: skip

    def do_POST(self) -> None:
        if self.path != "/v1/execute":
            self._reply(404, {"error": f"no such path: {self.path[:100]}"}, close=True)
            return
        body = self._body()
        if body is None:
            return
        try:
            req = parse_execute(body)
        except BadRequest as exc:
            self._reply(400, {"error": str(exc)})
            return
        try:
            result = self.server.executor.execute(req)
        except Exception as exc:  # a bug of ours must not take the server down, nor pass for a result
            self.log_error("execute %s failed: %s", req.id[:80], traceback.format_exc())
            self._reply(500, {"error": f"sandbox failure: {type(exc).__name__}"})
            return
        self._reply(200, result)

    def _body(self) -> bytes | None:
        """The body within the cap, else the error already answered (400, 411, 413)."""
        raw = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self._reply(411, {"error": "body: send Content-Length, not a chunked body"}, close=True)
            return None
        if raw is None or not raw.strip().isdigit():
            self._reply(411, {"error": "body: Content-Length is required"}, close=True)
            return None
        length, cap = int(raw), self.server.executor.limits.max_body_bytes
        if length > cap:
            if length <= cap * DRAIN_FACTOR:
                self._discard(length)
            self._reply(413, {"error": f"body: {length} bytes, the limit is {cap}"}, close=True)
            return None
        return self.rfile.read(length)

    def _discard(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                return
            length -= len(chunk)


def peer_uid(sock: socket.socket) -> int | None:
    if sock.family != socket.AF_UNIX:
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


class SandboxServer(socketserver.ThreadingMixIn, socketserver.BaseServer):
    """Threads: each connection blocks on a free slot while its execution waits its turn."""

    daemon_threads = True
    executor: Executor
    refused_uids: range  # the slots' uids: a candidate may find the socket, it may not use it

    def verify_request(self, request: Any, client_address: Any) -> bool:
        uid = peer_uid(request)
        return uid is None or uid not in self.refused_uids


class UnixServer(SandboxServer, socketserver.UnixStreamServer):
    pass


class TcpServer(SandboxServer, socketserver.TCPServer):
    allow_reuse_address = True
