"""The output directory's JSONL journal (docs/journal-format.md): append-only, one whole line per write.

Lines are written with a single `os.write` on an O_APPEND descriptor, so a `kill -9` leaves at most one
torn last line; `repair_torn_tail` cuts it off before the next run appends, and readers skip it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyze.journal.records import (
    EXECUTIONS_FILE,
    FAILURES_FILE,
    JOURNAL_SCHEMA,
    LOCK_FILE,
    REJECTS_FILE,
    RESULTS_FILE,
    RUNS_FILE,
    JournalFormatError,
    check_schema,
)


class JournalWriteError(OSError):
    """A journal line could not be written (disk full, read-only volume): no later one could be either."""


class JournalBusyError(RuntimeError):
    """Another `analyze run` holds the output directory; two writers could judge a task twice."""


@dataclass(frozen=True)
class JournalLine:
    number: int  # 1-based, for messages naming the line at fault
    record: Any  # the decoded JSON value; callers check its shape


def read_journal_lines(path: Path, skipped: list[str] | None = None) -> Iterator[JournalLine]:
    """The one journal reader: every complete JSON line of `path`, in order (none if it is missing).

    Blank lines are passed over. A last line without its newline is a torn write (the next run's
    appender cuts it and redoes that task), and a line that is not JSON is a torn write that a later
    append followed: both are skipped, with a note in `skipped` when given.
    """
    if not path.exists():
        return
    if not path.is_file():  # a device or FIFO planted there would be read forever, or block
        raise JournalFormatError(f"{path} is not a regular file; a journal file must be one")
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            if not raw.endswith(b"\n"):
                _note(skipped, f"{path.name} line {number}: torn last line (no newline) ignored")
                continue
            try:
                record = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                _note(skipped, f"{path.name} line {number}: not JSON (torn write) ignored")
                continue
            yield JournalLine(number, record)


def _note(skipped: list[str] | None, message: str) -> None:
    if skipped is not None:
        skipped.append(message)


def iter_journal(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON object lines of a journal file (see read_journal_lines); other values are skipped."""
    for line in read_journal_lines(path):
        if not isinstance(line.record, dict):
            continue
        check_schema(line.record, f"{path}:{line.number}")
        yield line.record


@dataclass
class ResultsIndex:
    """What resume needs from results.jsonl, read in one pass."""

    task_ids: set[str] = field(default_factory=set)
    # How many verdict lines each run fingerprint judged (None: a line without one).
    fingerprints: Counter[str | None] = field(default_factory=Counter)
    # Each judged task's content digest then (None: a line from before digests were kept).
    contents: dict[str, str | None] = field(default_factory=dict)


def index_results(output_dir: Path) -> ResultsIndex:
    index = ResultsIndex()
    for record in iter_journal(output_dir / RESULTS_FILE):
        if "task_id" in record:
            task_id = str(record["task_id"])
            index.task_ids.add(task_id)
            index.fingerprints[record.get("fingerprint")] += 1
            content = record.get("content")
            index.contents.setdefault(task_id, content if isinstance(content, str) else None)
    return index


def drop_lines(path: Path, task_ids: set[str]) -> int:
    """Rewrite `path` without the lines of `task_ids` (a new file renamed over the old one, so a crash
    leaves one or the other whole); how many lines went."""
    if not path.exists():
        return 0
    kept = path.with_name(path.name + ".rewrite")
    refuse_symlink(kept)
    dropped = 0
    with open(path, "rb") as source, open(kept, "wb") as target:
        for raw in source:
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError):
                record = None
            if isinstance(record, dict) and str(record.get("task_id")) in task_ids:
                dropped += 1
                continue
            target.write(raw)
        target.flush()
        os.fsync(target.fileno())
    os.replace(kept, path)
    return dropped


def judged_task_ids(output_dir: Path) -> set[str]:
    """Task ids that already have a verdict line in results.jsonl."""
    return index_results(output_dir).task_ids


class SymlinkRefused(OSError):
    """An output file planted as a symbolic link (writing through it would change whatever it points at),
    or as a FIFO or socket."""


def _symlink_refused(path: Path) -> SymlinkRefused:
    return SymlinkRefused(errno.ELOOP, f"{path} is a symbolic link; analyze writes only regular files")


def refuse_symlink(path: Path) -> None:
    """Refuse a symbolic link, and a FIFO or socket (opening one blocks or fails); a device stays
    writable, as /dev/null is."""
    if path.is_symlink():
        raise _symlink_refused(path)
    if path.is_fifo() or path.is_socket():
        raise SymlinkRefused(errno.EINVAL, f"{path} is not a regular file; analyze writes only regular files")


def open_output(path: Path, flags: int, mode: int = 0o644) -> int:
    """os.open that never follows a symbolic link at `path` (O_NOFOLLOW) and says so when one is there."""
    try:
        # O_NONBLOCK: a FIFO planted there fails at once (ENXIO) instead of blocking the run forever
        return os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _symlink_refused(path) from exc
        raise


def repair_torn_tail(path: Path) -> bool:
    """Cut an incomplete last line so the next append starts on a fresh line; True if something was cut."""
    if not path.is_file():  # missing, or a device (a test's /dev/full): nothing to cut
        return False
    with open(path, "rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return False
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return False
        # Walk back in blocks to the last newline; everything after it is the torn line.
        pos = size
        block = 64 * 1024
        while pos > 0:
            start = max(0, pos - block)
            handle.seek(start)
            chunk = handle.read(pos - start)
            index = chunk.rfind(b"\n")
            if index >= 0:
                handle.truncate(start + index + 1)
                return True
            pos = start
        handle.truncate(0)
        return True


class JsonlAppender:
    """Appends whole JSON lines to one file, each reaching the OS before `append` returns."""

    def __init__(self, path: Path, *, truncate: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        refuse_symlink(path)
        if not truncate:
            repair_torn_tail(path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if truncate else 0)
        self.path = path
        self._fd: int | None = open_output(path, flags)

    def append(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            raise ValueError(f"{self.path} is closed")
        data = (json.dumps({"schema": JOURNAL_SCHEMA, **record}, ensure_ascii=False) + "\n").encode()
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:  # a line cut short here is a torn tail: the next run cuts it
            raise JournalWriteError(exc.errno, f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Journal:
    """The journal files of one output directory, opened for one run."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            # The kernel drops the lock when the process dies, even by kill -9, so it never goes stale.
            self._lock_fd = open_output(output_dir / LOCK_FILE, os.O_WRONLY | os.O_CREAT)
        except SymlinkRefused:
            raise
        except OSError as exc:  # a read-only volume, a directory of another owner: say it in one line
            reason = exc.strerror or str(exc)
            raise JournalWriteError(exc.errno, f"cannot write the journal in {output_dir}: {reason}") from exc
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._lock_fd)
            raise JournalBusyError(f"another analyze run is writing to {output_dir}") from exc
        self.results = JsonlAppender(output_dir / RESULTS_FILE)
        self.failures = JsonlAppender(output_dir / FAILURES_FILE)
        self.rejects = JsonlAppender(output_dir / REJECTS_FILE, truncate=True)
        self.runs = JsonlAppender(output_dir / RUNS_FILE)
        self._executions: JsonlAppender | None = None

    def drop_results(self, task_ids: set[str]) -> int:
        """Remove these tasks' verdict lines (they are to be judged again) and go on appending."""
        self.results.close()
        dropped = drop_lines(self.output_dir / RESULTS_FILE, task_ids)
        self.results = JsonlAppender(self.output_dir / RESULTS_FILE)
        return dropped

    @property
    def executions(self) -> JsonlAppender:
        """Opened on first use: a run that executes nothing leaves no executions.jsonl."""
        if self._executions is None:
            self._executions = JsonlAppender(self.output_dir / EXECUTIONS_FILE)
        return self._executions

    def close(self) -> None:
        for appender in (self.results, self.failures, self.rejects, self.runs, self._executions):
            if appender is not None:
                appender.close()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
