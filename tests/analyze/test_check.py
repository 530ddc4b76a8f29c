"""`analyze check` helpers: Prometheus gauge sums and the one-line status."""

from __future__ import annotations

from analyze.check import BackendStatus, format_status, parse_metric_sum, server_root

PAGE = """\
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="a"} 3.0
vllm:num_requests_running{model_name="b"} 2.0
vllm:num_requests_running_total 99
vllm:num_requests_waiting{model_name="a"} 0.0
"""


def test_gauges_sum_over_labels_and_ignore_prefix_lookalikes() -> None:
    assert parse_metric_sum(PAGE, "vllm:num_requests_running") == 5.0
    assert parse_metric_sum(PAGE, "vllm:num_requests_waiting") == 0.0
    assert parse_metric_sum(PAGE, "vllm:absent") is None


def test_server_root_and_status_line() -> None:
    assert server_root("http://h:1/v1/") == "http://h:1"
    status = BackendStatus("http://h:1/v1", healthy=True, models=["m"], running=1.0, waiting=None)
    assert format_status(status) == "✓ http://h:1/v1  models=m  running=1 waiting=?"


def test_status_lists_each_instance_behind_a_balancer() -> None:
    from analyze.check import InstanceStatus

    instances = [InstanceStatus("10.0.0.2:8000", 3, 1, 0.42), InstanceStatus("10.0.0.3:8000", 5, 0, None)]
    status = BackendStatus(
        "http://h:1/v1", healthy=True, models=["m"], running=3, waiting=1, instances=instances
    )
    assert format_status(status).splitlines() == [
        "✓ http://h:1/v1  models=m  2 instances behind it: running=8 waiting=1 in all",
        "    ✓ 10.0.0.2:8000  running=3 waiting=1 kv=42%",
        "    ✓ 10.0.0.3:8000  running=5 waiting=0 kv=?",
    ]
