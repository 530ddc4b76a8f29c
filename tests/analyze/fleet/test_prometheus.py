"""analyze.fleet.prometheus and analyze.fleet.urls: the one /metrics reader and the one base-URL helper."""

from __future__ import annotations

import pytest
from analyze.fleet.prometheus import (
    MetricsPageError,
    first_of,
    metric_by_label,
    metric_totals,
    metrics_by_label,
)
from analyze.fleet.urls import normalize_base_url, server_root

PAGE = """\
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="a"} 3.0
vllm:num_requests_running{model_name="b"} 2.0
# TYPE vllm:request_success counter
vllm:request_success_total{model_name="a",finished_reason="stop"} 99
vllm:request_success_created{model_name="a",finished_reason="stop"} 1.7e9
vllm:num_requests_waiting{model_name="a"} 0.0
vllm:num_requests_running_lookalike 40
"""


def test_samples_sum_over_label_sets_and_prefix_lookalikes_stay_apart() -> None:
    totals = metric_totals(PAGE)
    assert totals["vllm:num_requests_running"] == 5.0
    assert totals["vllm:num_requests_waiting"] == 0.0
    assert totals["vllm:num_requests_running_lookalike"] == 40.0
    assert totals["vllm:request_success_total"] == 99.0
    assert "vllm:absent" not in totals


def test_a_malformed_page_names_its_line() -> None:
    with pytest.raises(MetricsPageError, match=r"line 2: .*NaNx"):
        metric_totals("vllm:num_requests_running 1\nvllm:num_requests_waiting NaNx\n")


def test_empty_page_has_no_samples_and_first_of_takes_the_first_present() -> None:
    assert metric_totals("") == {}
    totals = {"new": 1.0, "old": 2.0}
    assert first_of(totals, ("new", "old")) == 1.0
    assert first_of(totals, ("gone", "old")) == 2.0
    assert first_of(totals, ("gone",)) is None


@pytest.mark.parametrize(
    ("typed", "base_url", "root"),
    [
        ("h:1", "http://h:1/v1", "http://h:1"),
        ("http://h:1/v1/", "http://h:1/v1", "http://h:1"),
        ("https://h/", "https://h/v1", "https://h"),
        (" http://nginx:8080 ", "http://nginx:8080/v1", "http://nginx:8080"),
    ],
)
def test_base_url_and_its_server_root(typed: str, base_url: str, root: str) -> None:
    assert normalize_base_url(typed) == base_url
    assert server_root(base_url) == root
    assert server_root(typed.strip()) == root


def test_metric_by_label_sums_per_label_value_for_the_first_name_present() -> None:
    page = (
        'w{worker="a",x="1"} 1\nw{worker="a",x="2"} 2\nw{worker="b"} 5\nw 7\n'
        '# TYPE c_total counter\nc_total{worker="a"} 3\n'
    )
    assert metric_by_label(page, ("w",), "worker") == {"a": 3.0, "b": 5.0}  # the unlabelled 7 is left out
    assert metric_by_label(page, ("absent", "c_total"), "worker") == {"a": 3.0}
    assert metric_by_label(page, ("absent",), "worker") == {}
    with pytest.raises(MetricsPageError):
        metric_by_label('w{worker="a"} NaNx\n', ("w",), "worker")
    # several families from one parse: each as metric_by_label gives it
    families = [("w",), ("absent", "c_total"), ("absent",)]
    assert metrics_by_label(page, families, "worker") == [
        metric_by_label(page, f, "worker") for f in families
    ]
