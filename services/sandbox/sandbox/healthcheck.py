"""The image's HEALTHCHECK: GET /health over the socket answers 200 with status ok."""

from __future__ import annotations

import os
import sys

from sandbox.cli import DEFAULT_SOCKET
from sandbox.client import UnixHTTPConnection, call


def main() -> int:
    try:
        status, body = call(
            UnixHTTPConnection(os.environ.get("SANDBOX_SOCKET", DEFAULT_SOCKET), 5), "GET", "/health"
        )
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0 if status == 200 and body.get("status") == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
