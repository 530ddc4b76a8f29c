"""`analyze check` helpers: the one-line status."""

from __future__ import annotations

from analyze.check import BackendStatus, format_status


def test_status_line() -> None:
    status = BackendStatus("http://h:1/v1", healthy=True, models=["m"], running=1.0, waiting=None)
    assert format_status(status) == "✓ http://h:1/v1  models=m  running=1 waiting=?"
