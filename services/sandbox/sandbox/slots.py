"""Slots: each execution runs as its slot's own uid in its slot's own scratch dir; a pool hands them out.

Isolation between executions rests on the uid: a candidate cannot signal the server or another slot's
processes, nor read another slot's files, and `kill(-1, SIGKILL)` as the slot's uid after every run
removes all it left (fork-bomb children, setsid escapees) in one atomic sweep of the kernel's task list.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sandbox.procs import Reaper

# As the slot's uid: SIGKILL to every process of that uid, then empty the scratch dir (chmod first: a
# candidate may have made a directory unreadable to itself). One kill(-1) is one sweep of the kernel's
# task list under its lock: no fork completes meanwhile (a forking parent has the SIGKILL pending and its
# fork is abandoned), so nothing escapes it; the second is for good measure. Its exit status tells
# nothing: kill(-1) succeeds whenever any other process exists, even one it may not signal.
CLEANUP_SCRIPT = (
    'kill -s KILL -- -1 2>/dev/null; kill -s KILL -- -1 2>/dev/null; [ "$1" = wipe ] || exit 0; '
    'chmod -R u+rwX -- "$2" 2>/dev/null; find "$2" -mindepth 1 -delete'
)


@dataclass(frozen=True)
class Slot:
    index: int
    uid: int | None  # None: development mode, executions run as the server's own user
    scratch: Path

    def kill_all(self, reaper: Reaper, session_pid: int | None, wipe: bool) -> None:
        """Remove every process the execution left and, with wipe, every file."""
        if self.uid is None:  # development mode: only the session can be found again
            if session_pid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(session_pid, signal.SIGKILL)
            if wipe:
                for entry in self.scratch.iterdir():
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry, ignore_errors=True)
                    else:
                        entry.unlink(missing_ok=True)
            return
        argv = ["/bin/sh", "-c", CLEANUP_SCRIPT, "cleanup", "wipe" if wipe else "keep", str(self.scratch)]
        reaper.run(argv, user=self.uid, group=self.uid, extra_groups=[], env={"PATH": "/usr/bin:/bin"},
                   cwd="/", stdin=subprocess.DEVNULL, close_fds=True)  # fmt: skip


class SlotPool:
    def __init__(self, slots: list[Slot]) -> None:
        self.size = len(slots)
        self._free: queue.Queue[Slot] = queue.Queue()
        for slot in slots:
            self._free.put(slot)

    def take(self) -> Slot:
        return self._free.get()

    def give_back(self, slot: Slot) -> None:
        self._free.put(slot)


def make_slots(count: int, uid_base: int | None, scratch_root: Path) -> list[Slot]:
    """Slot i (1-based) runs as uid_base + i - 1 in scratch_root/i, which must exist (compose's tmpfs)."""
    slots = []
    for i in range(1, count + 1):
        scratch = scratch_root / str(i)
        if uid_base is None:
            scratch.mkdir(parents=True, exist_ok=True)
        elif not scratch.is_dir():
            raise SystemExit(f"slot {i}: {scratch} is missing (one tmpfs per slot: docs/sandbox.md)")
        slots.append(Slot(i, None if uid_base is None else uid_base + i - 1, scratch))
    return slots
