"""`python -m bench.harness.traced_cli TRACE_FILE run ...`: `analyze` with the adaptive limit's log in a file.

The limiter logs each metrics tick (DEBUG) and each change of its limit (INFO) under
`analyze.fleet.adaptive_limit`; the CLI sets no handler, so the benchmark adds one here instead of a
pipeline flag.
Lines start with the seconds since the process started: `  2.21 limit 242 -> 264 (metrics), in flight 242`.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from pathlib import Path

TRACED_LOGGER = "analyze.fleet.adaptive_limit"
_CHANGE = re.compile(r"^\s*(\d+(?:\.\d+)?) limit (\d+) -> (\d+)")


def launcher(trace_path: Path) -> tuple[str, ...]:
    """What `run_pipeline(launcher=...)` needs to run the CLI with the trace written to `trace_path`."""
    return ("-m", "bench.harness.traced_cli", str(trace_path))


def limit_changes(trace_path: Path) -> list[tuple[float, int, int]]:
    """(seconds since start, old limit, new limit) for each change logged in `trace_path`."""
    if not trace_path.is_file():
        return []
    changes = []
    for line in trace_path.read_text(encoding="utf-8").splitlines():
        match = _CHANGE.match(line)
        if match:
            changes.append((float(match.group(1)), int(match.group(2)), int(match.group(3))))
    return changes


def describe(changes: list[tuple[float, int, int]]) -> str:
    """One run's limit in a phrase: where it started, its first step, its peak, where it ended."""
    if not changes:
        return "limit never changed"
    first_t, start, first = changes[0]
    peak = max(new for _, _, new in changes)
    return (
        f"limit {start} -> {first} at {first_t:.1f} s after the process started, peak {peak}, "
        f"final {changes[-1][2]}, {len(changes)} changes"
    )


def main() -> None:
    trace_path, sys.argv[1:] = sys.argv[1], sys.argv[2:]
    handler = logging.FileHandler(trace_path, mode="w", encoding="utf-8")
    started = time.time()
    handler.setFormatter(_SinceStart(started))
    logger = logging.getLogger(TRACED_LOGGER)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    from analyze.cli import app  # after the handler: the limiter module logs from its first tick

    sys.argv[0] = "analyze"
    app()


class _SinceStart(logging.Formatter):
    def __init__(self, started: float) -> None:
        super().__init__()
        self._started = started

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.created - self._started:8.2f} {record.getMessage()}"


if __name__ == "__main__":
    main()
