"""What a candidate cannot reach: the network, host files, the server's secrets and process, other slots,
the socket. Each probe is a candidate that passes only when the sandbox holds."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from .sandbox_stack import SECRET, Sandbox
from .shapes import GOOD, script

pytestmark = [pytest.mark.docker, pytest.mark.images("sandbox")]


def holds(box: Sandbox, probe: str) -> None:
    """The probe's asserts all hold inside the sandbox (a script run after an empty candidate)."""
    result = box.run(**script("python", "", probe))
    assert result["status"] == "passed", result["detail"]


def test_no_network_but_loopback(box: Sandbox) -> None:
    holds(
        box,
        """
import socket
names = [line.split(":")[0].strip() for line in open("/proc/net/dev").read().splitlines()[2:]]
assert names == ["lo"], names
for host in ("1.1.1.1", "172.17.0.1", "10.0.0.1"):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((host, 80))
    except OSError as exc:
        assert exc.errno in (101, 113), exc  # ENETUNREACH / EHOSTUNREACH: no route at all
    else:
        raise AssertionError(f"connected to {host}")
""",
    )


def test_the_hosts_loopback_is_not_the_sandboxes(box: Sandbox) -> None:
    """A server on the host's 127.0.0.1 is not reachable: the sandbox's loopback is its own."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            accepted.append(listener.accept())

    watcher = threading.Thread(target=accept)
    watcher.start()
    try:
        holds(
            box,
            f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
except ConnectionRefusedError:
    pass
else:
    raise AssertionError("reached the host")
""",
        )
    finally:
        watcher.join()
        listener.close()
    assert accepted == []


def test_no_host_files_and_a_read_only_root(box: Sandbox) -> None:
    """Nothing of the host is mounted but the socket's directory (and docker's own /etc files)."""
    holds(
        box,
        """
import errno, os
other_slot = f"/scratch/{1 if os.getuid() != 10001 else 2}/x"
for path in ("/run/sandbox/x", "/x", "/opt/sandbox/sandbox/x.py", "/etc/passwd", "/tmp/x", other_slot):
    try:
        open(path, "w")
    except OSError as exc:
        assert exc.errno in (errno.EACCES, errno.EROFS, errno.ENOENT), (path, exc)
    else:
        raise AssertionError(f"wrote {path}")
kernel_fs = {"overlay", "proc", "tmpfs", "devpts", "mqueue", "sysfs", "cgroup", "cgroup2"}
mounts = {}
for line in open("/proc/self/mountinfo"):
    left, right = line.split(" - ")
    mounts[left.split()[4]] = right.split()[0]
from_host = {point for point, fs in mounts.items() if fs not in kernel_fs}
assert from_host <= {"/run/sandbox", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}, from_host
root = [line for line in open("/proc/self/mountinfo") if line.split()[4] == "/"][0]
assert mounts["/"] == "overlay" and root.split()[5].startswith("ro"), root
open("mine.txt", "w").write("the slot's scratch dir is writable")
""",
    )


def test_the_socket_dir_is_not_writable_and_the_socket_refuses_candidates(box: Sandbox) -> None:
    holds(
        box,
        """
import socket
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect("/run/sandbox/sandbox.sock")  # the socket is 0666: connecting works, being served does not
try:
    s.sendall(b"GET /health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    reply = s.recv(100)
except (BrokenPipeError, ConnectionResetError, TimeoutError):
    reply = b""
assert not reply.startswith(b"HTTP/1.1 200"), reply
""",
    )
    assert box.healthy()


def test_no_secret_in_the_environment_or_the_servers_proc(box: Sandbox) -> None:
    holds(
        box,
        f"""
import os
assert set(os.environ) <= {{"PATH", "HOME", "TMPDIR", "LANG"}}, sorted(os.environ)
assert "{SECRET}" not in repr(dict(os.environ))
for path in ("/proc/1/environ", "/proc/1/mem", "/proc/1/maps"):
    try:
        open(path, "rb").read(64)
    except PermissionError:
        pass
    else:
        raise AssertionError(f"read {{path}}")
""",
    )


def test_candidates_run_unprivileged(box: Sandbox) -> None:
    holds(
        box,
        """
import os
assert os.getuid() >= 10001 and os.geteuid() >= 10001 and os.getgroups() == []
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
    assert int(status[cap].strip(), 16) == 0 or cap == "CapBnd", (cap, status[cap])
assert int(status["CapEff"].strip(), 16) == 0
assert status["NoNewPrivs"].strip() == "1"
""",
    )


def test_a_candidate_cannot_kill_the_server_or_another_slot(box: Sandbox) -> None:
    killer = script(
        "python",
        "",
        """
import os, signal
for target in (1, -1):
    try:
        os.kill(target, signal.SIGKILL)
    except (PermissionError, ProcessLookupError):
        pass
for pid in [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
    try:
        os.kill(pid, signal.SIGKILL)
    except (PermissionError, ProcessLookupError):
        pass
""",
    )
    slow_good = script("python", "import time\ntime.sleep(1.5)\n", "assert True")
    killed, neighbour = box.run_together(killer, slow_good)
    assert killed["status"] == "passed", killed  # it ran to its end: every kill it tried was refused
    assert neighbour["status"] == "passed", neighbour
    assert box.healthy() and box.run(**GOOD)["status"] == "passed"
