"""One sandboxed process: spawn it as the slot's uid, feed its spec and stdin, read its output with byte
caps, enforce the wall clock, then kill everything the slot's uid runs. Never more than the caps in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from sandbox.procs import Exit, Reaper
from sandbox.slots import Slot

READ_CHUNK = 1 << 16
DRAIN_S = 2.0  # after the kill, how long to read what is left in the pipes (development mode only waits)
RECORD_BYTES = 256 * 1024  # the harness writes a short line per test


@dataclass(frozen=True)
class ProcessRun:
    argv: list[str]  # the harness gets SPEC_FD RECORD_FD WORKDIR appended
    spec: dict[str, object]  # the nonce is added here
    stdin: bytes | None
    timeout_s: float


@dataclass(frozen=True)
class Record:
    kind: str  # "test" or "done"
    fields: tuple[str, ...]  # test: index, ok; done: outcome, passed, total
    detail: str


@dataclass
class Outcome:
    exit: Exit | None = None
    timed_out: bool = False
    exceeded: str | None = None  # "stdout" / "stderr" / "record pipe": its cap was passed
    stdout: bytes = b""
    stderr: bytes = b""
    records: list[Record] = field(default_factory=list)
    forged: bool = False  # a line on the record pipe without the nonce, or from another process


@dataclass
class _Stream:
    cap: int
    name: str
    data: bytearray = field(default_factory=bytearray)


@dataclass
class _Feed:
    pipe: BinaryIO  # closed through the file object only: a raw fd closed twice may be another's by then
    data: bytes
    sent: int = 0


def execution_env(slot: Slot) -> dict[str, str]:
    """Empty but for what a program needs: no key, no host path, nothing of the server's."""
    home = str(slot.scratch)
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8"}


def run_process(reaper: Reaper, slot: Slot, run: ProcessRun, stdout_cap: int, stderr_cap: int) -> Outcome:
    nonce = secrets.token_hex(16)
    spec_r, spec_w = os.pipe()
    rec_r, rec_w = os.pipe()
    isolated = slot.uid is not None
    try:
        proc, child = reaper.spawn(
            [*run.argv, str(spec_r), str(rec_w), str(slot.scratch)],
            stdin=subprocess.PIPE if run.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(spec_r, rec_w),
            cwd="/",  # the harness enters the 0700 scratch dir as the slot's uid: root here may not
            env=execution_env(slot),
            user=slot.uid if isolated else None,
            group=slot.uid if isolated else None,
            extra_groups=[] if isolated else None,
            start_new_session=True,
        )
    except BaseException:
        for fd in (spec_r, spec_w, rec_r, rec_w):
            _close(fd)
        raise
    _close(spec_r)
    _close(rec_w)
    spec_pipe, rec_pipe = os.fdopen(spec_w, "wb", buffering=0), os.fdopen(rec_r, "rb", buffering=0)
    assert proc.stdout is not None and proc.stderr is not None
    out, err, rec = (
        _Stream(stdout_cap, "stdout"),
        _Stream(stderr_cap, "stderr"),
        _Stream(RECORD_BYTES, "record pipe"),
    )
    feeds = {spec_w: _Feed(spec_pipe, json.dumps({**run.spec, "nonce": nonce}).encode())}
    if proc.stdin is not None:
        feeds[proc.stdin.fileno()] = _Feed(proc.stdin, run.stdin or b"")
    readers = {proc.stdout.fileno(): out, proc.stderr.fileno(): err, rec_r: rec}
    outcome = Outcome()
    try:
        _pump(feeds, readers, child.wake_r, time.monotonic() + run.timeout_s, outcome,
              lambda: slot.kill_all(reaper, proc.pid, wipe=False))  # fmt: skip
    finally:
        for pipe in (spec_pipe, rec_pipe, proc.stdin, proc.stdout, proc.stderr):
            _shut(pipe)
    child.done.wait()
    proc.returncode = child.exited.code if child.exited else -1
    child.close()
    outcome.exit = child.exited
    outcome.stdout, outcome.stderr = bytes(out.data), bytes(err.data)
    outcome.records, outcome.forged = parse_records(bytes(rec.data), nonce, proc.pid)
    return outcome


def _pump(
    feeds: dict[int, _Feed],
    readers: dict[int, _Stream],
    wake_r: int,
    deadline: float,
    outcome: Outcome,
    kill_all: Callable[[], None],
) -> None:
    """Write the feeds, read the streams; at exit, deadline or a passed cap kill the slot, read to EOF."""
    sel = selectors.DefaultSelector()
    for fd in readers:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    for fd in feeds:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_WRITE)
    sel.register(wake_r, selectors.EVENT_READ)
    killed_at: float | None = None
    try:
        while readers:
            now = time.monotonic()
            if killed_at is None and (now >= deadline or outcome.exceeded):
                outcome.timed_out = now >= deadline and not outcome.exceeded
                kill_all()
                killed_at = now
            if killed_at is not None and now - killed_at > DRAIN_S:
                break  # development mode: an escapee still holds a pipe
            until = deadline if killed_at is None else killed_at + DRAIN_S
            for key, _ in sel.select(timeout=max(0.0, until - now)):
                fd = key.fd
                if fd == wake_r:  # the main process exited: sweep the slot, then read to EOF
                    sel.unregister(wake_r)
                    if killed_at is None:
                        kill_all()
                        killed_at = time.monotonic()
                elif fd in feeds:
                    if _feed(fd, feeds[fd]):
                        sel.unregister(fd)
                        _shut(feeds.pop(fd).pipe)  # EOF for the reader
                elif fd in readers and not _read(fd, readers[fd], outcome):
                    sel.unregister(fd)
                    del readers[fd]
    finally:
        sel.close()
    if killed_at is None:
        kill_all()


def _feed(fd: int, feed: _Feed) -> bool:
    """Write what the pipe takes now; True when all is written or the reader is gone."""
    try:
        feed.sent += os.write(fd, feed.data[feed.sent : feed.sent + READ_CHUNK])
    except BlockingIOError:
        return False
    except OSError:  # EPIPE: the program does not read it (closed stdin, exited)
        return True
    return feed.sent >= len(feed.data)


def _read(fd: int, stream: _Stream, outcome: Outcome) -> bool:
    """Keep up to the cap; past it mark the outcome (the loop kills). False at EOF."""
    try:
        chunk = os.read(fd, READ_CHUNK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    if not chunk:
        return False
    room = stream.cap - len(stream.data)
    stream.data += chunk[: max(0, room)]
    if len(chunk) > room and outcome.exceeded is None:
        outcome.exceeded = stream.name
    return True


def _shut(pipe: BinaryIO | None) -> None:
    if pipe is not None:
        with contextlib.suppress(OSError):  # a buffered writer flushing into a pipe nobody reads
            pipe.close()


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def parse_records(data: bytes, nonce: str, pid: int) -> tuple[list[Record], bool]:
    """Complete lines led by the nonce and the main process's pid; any other complete line is forged."""
    records, forged = [], False
    *lines, _partial = data.split(b"\n")  # a last line without its newline was cut by the kill
    for raw in lines:
        parts = raw.decode("utf-8", "replace").split(" ")
        if len(parts) < 4 or parts[0] != nonce or parts[1] != str(pid) or parts[2] not in ARITY:
            forged = forged or bool(raw.strip())
            continue
        n = ARITY[parts[2]]
        fields, detail = tuple(parts[3 : 3 + n]), " ".join(parts[3 + n :])
        try:
            detail = str(json.loads(detail)) if detail else ""
        except json.JSONDecodeError:
            forged = True
            continue
        if len(fields) != n:
            forged = True
            continue
        records.append(Record(parts[2], fields, detail))
    return records, forged


ARITY = {"test": 2, "done": 3}
