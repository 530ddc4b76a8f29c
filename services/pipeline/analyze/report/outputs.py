"""Every report file is written here: never through a symbolic link, and any failure is one ReportWriteError.

A link planted in the output directory (report.html -> ~/.bashrc) would have the report overwrite what it
points at; the journal's writer refuses them the same way (analyze.journal.store).
"""

from __future__ import annotations

import os
from pathlib import Path

from analyze.journal.store import SymlinkRefused, open_output, refuse_symlink


class ReportWriteError(OSError):
    """A report file could not be written (read-only directory, a symbolic link in its place, disk full)."""


def _error(path: Path, exc: OSError) -> ReportWriteError:
    if isinstance(exc, SymlinkRefused):
        return ReportWriteError(f"cannot write the report: {exc.strerror}")  # it names the path
    return ReportWriteError(f"cannot write the report to {path}: {exc.strerror or exc}")


def write_bytes(path: Path, data: bytes) -> Path:
    try:
        fd = open_output(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise _error(path, exc) from exc
    return path


def write_text(path: Path, text: str) -> Path:
    # A journal may hold a lone surrogate (JSON allows the escape "\ud800"); UTF-8 has no bytes for it.
    return write_bytes(path, text.encode("utf-8", errors="replace"))


def make_dir(path: Path) -> Path:
    """`path` as a real directory: a symbolic link there would send the files inside it elsewhere."""
    try:
        refuse_symlink(path)
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(path, exc) from exc
    return path


def remove(path: Path) -> None:
    """Remove a file an earlier report wrote (a link is removed, not what it points at)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise _error(path, exc) from exc
