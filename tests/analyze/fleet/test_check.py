"""`analyze check` helpers: the one-line status."""

from __future__ import annotations

from analyze.fleet.check import BackendStatus, format_status


def test_status_line() -> None:
    status = BackendStatus("http://h:1/v1", healthy=True, models=["m"], running=1.0, waiting=None)
    assert format_status(status) == "✓ http://h:1/v1  models=m  running=1 waiting=?"


def test_status_lists_each_instance_behind_a_balancer() -> None:
    from analyze.fleet.check import InstanceStatus

    instances = [InstanceStatus("10.0.0.2:8000", 3, 1, 0.42), InstanceStatus("10.0.0.3:8000", 5, 0, None)]
    status = BackendStatus(
        "http://h:1/v1", healthy=True, models=["m"], running=3, waiting=1, instances=instances
    )
    assert format_status(status).splitlines() == [
        "✓ http://h:1/v1  models=m  2 instances behind it: running=8 waiting=1 in all",
        "    ✓ 10.0.0.2:8000  running=3 waiting=1 kv=42%",
        "    ✓ 10.0.0.3:8000  running=5 waiting=0 kv=?",
    ]
