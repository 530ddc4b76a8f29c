"""Where the sandbox is, as `--sandbox` takes it: `unix:///run/sandbox/sandbox.sock`, a bare socket path,
or `http://127.0.0.1:PORT` (development). Kept apart from the client so settings can check an address
without importing an HTTP stack."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

UNIX_SCHEME = "unix://"
# The socket's HTTP host: any name works on a unix socket; this one says where the request went.
UNIX_BASE = "http://sandbox"


@dataclass(frozen=True)
class SandboxAddress:
    base_url: str
    socket_path: str | None  # None: TCP

    def __str__(self) -> str:
        return f"unix://{self.socket_path}" if self.socket_path else self.base_url


def parse_address(text: str) -> SandboxAddress:
    """What `--sandbox` accepts, or ValueError saying what it expects."""
    value = text.strip()
    if value.startswith(UNIX_SCHEME):
        path = value[len(UNIX_SCHEME) :]
        if not path.startswith("/"):
            raise ValueError(f"sandbox address {text!r}: a unix socket needs an absolute path (unix:///...)")
        return SandboxAddress(UNIX_BASE, path)
    if value.startswith("/"):
        return SandboxAddress(UNIX_BASE, value)
    parts = urlsplit(value)
    if parts.scheme == "http" and parts.hostname and not parts.username and not parts.password:
        return SandboxAddress(value.rstrip("/"), None)
    raise ValueError(
        f"sandbox address {text!r}: expected unix:///path/to/sandbox.sock, a socket path, or http://host:port"
    )
