"""Child processes: one reaper thread waits for every child (and, as PID 1, every orphan) and hands each
spawned child's exit status to whoever waits for it.

The server is the container's init, so whatever a candidate leaves behind is reparented to it and must be
reaped here: a zombie still counts against its uid's RLIMIT_NPROC. subprocess.Popen is only used to start
children (its C fork+exec is safe in a threaded server); it never waits, the reaper does.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any

IDLE_POLL_S = 0.5  # with no child at all, how often to look again (orphans appear without a spawn)


@dataclass
class Exit:
    code: int  # as Popen.returncode: negative for a signal
    cpu_s: float  # user + system CPU of the process itself


@dataclass
class Child:
    pid: int
    wake_r: int  # readable once the child exited: the run's select loop watches it
    wake_w: int
    exited: Exit | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        for fd in (self.wake_r, self.wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)


class Reaper:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._children: dict[int, Child] = {}
        self._thread = threading.Thread(target=self._loop, name="reaper", daemon=True)
        self._thread.start()

    def spawn(self, argv: list[str], **popen: Any) -> tuple[subprocess.Popen[bytes], Child]:
        """Start argv; the lock is held until the child is registered, so its exit cannot be missed."""
        wake_r, wake_w = os.pipe()
        with self._lock:
            try:
                proc = subprocess.Popen(argv, **popen)
            except BaseException:
                os.close(wake_r)
                os.close(wake_w)
                raise
            child = Child(proc.pid, wake_r, wake_w)
            self._children[proc.pid] = child
            self._lock.notify_all()
        return proc, child

    def run(self, argv: list[str], **popen: Any) -> Exit:
        """Start argv and wait for it (the cleanup helper)."""
        proc, child = self.spawn(argv, **popen)
        child.done.wait()
        proc.returncode = child.exited.code if child.exited else -1
        child.close()
        assert child.exited is not None
        return child.exited

    def _loop(self) -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, 0)
            except ChildProcessError:
                with self._lock:
                    self._lock.wait_for(lambda: bool(self._children), timeout=IDLE_POLL_S)
                continue
            except InterruptedError:
                continue
            with self._lock:
                child = self._children.pop(pid, None)
            if child is None:
                continue  # an orphan: reaped, nothing waits for it
            child.exited = Exit(os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime)
            # wake first, done second: the waiter closes the wake pipe once done is set, and its fd
            # number may be another run's pipe a moment later
            with contextlib.suppress(OSError):
                os.write(child.wake_w, b"x")
            child.done.set()
