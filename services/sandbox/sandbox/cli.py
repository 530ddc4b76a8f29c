"""`python -m sandbox`: serve on the unix socket (the container) or on 127.0.0.1 (development)."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import threading
from pathlib import Path

from sandbox import __version__
from sandbox.execute import Executor
from sandbox.limits import limits_from_env
from sandbox.procs import Reaper
from sandbox.programs import Runtimes
from sandbox.server import Handler, SandboxServer, TcpServer, UnixServer
from sandbox.slots import SlotPool, make_slots

PR_SET_DUMPABLE = 4
DEFAULT_SOCKET = "/run/sandbox/sandbox.sock"


def not_dumpable() -> None:
    """/proc/<server>/mem, environ and the like become root's only, and no ptrace attaches."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    p.add_argument("--socket", default=env.get("SANDBOX_SOCKET", DEFAULT_SOCKET), help="unix socket path")
    p.add_argument("--tcp-port", type=int, default=None, help="development only: listen on 127.0.0.1:PORT")
    p.add_argument("--slots", type=int, default=int(env.get("SANDBOX_SLOTS", "2")))
    scratch = Path(env.get("SANDBOX_SCRATCH", "/scratch"))
    p.add_argument("--scratch", type=Path, default=scratch, help="slot i works in SCRATCH/i")
    uid_help = "slot i runs as uid UID_BASE+i-1 (needs root with CAP_SETUID/CAP_SETGID)"
    p.add_argument("--uid-base", type=int, default=int(env.get("SANDBOX_UID_BASE", "10001")), help=uid_help)
    insecure_help = "development only: run executions as this user (no isolation between them)"
    p.add_argument("--insecure-same-user", action="store_true", help=insecure_help)
    return p.parse_args(argv)


def build_server(args: argparse.Namespace) -> SandboxServer:
    limits = limits_from_env()
    uid_base = None if args.insecure_same_user else args.uid_base
    if uid_base is not None and os.geteuid() != 0:
        raise SystemExit("per-slot uids need root (with CAP_SETUID, CAP_SETGID); or --insecure-same-user")
    pool = SlotPool(make_slots(args.slots, uid_base, args.scratch))
    executor = Executor(limits, pool, Reaper(), Runtimes.found())
    server: SandboxServer
    if args.tcp_port is not None:
        server = TcpServer(("127.0.0.1", args.tcp_port), Handler, bind_and_activate=True)
    else:
        path = Path(args.socket)
        path.unlink(missing_ok=True)  # a socket left by a previous run of the container
        server = UnixServer(str(path), Handler, bind_and_activate=True)
        path.chmod(0o666)  # the job runs as any uid; candidates are refused by their uid (verify_request)
    server.executor = executor
    server.refused_uids = range(uid_base, uid_base + args.slots) if uid_base is not None else range(0)
    return server


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    not_dumpable()
    server = build_server(args)

    # As PID 1 a signal without a handler is ignored: SIGTERM (docker stop) needs one to stop the server.
    def stop(signum: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    where = f"127.0.0.1:{args.tcp_port}" if args.tcp_port is not None else args.socket
    print(f"sandbox {__version__}: {args.slots} slots, {', '.join(server.executor.runtimes.languages())} "
          f"on {where}", file=sys.stderr, flush=True)  # fmt: skip
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
    return 0
