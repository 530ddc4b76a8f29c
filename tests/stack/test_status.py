"""compose/status.py: reading load from vLLM's /metrics text."""

from __future__ import annotations

from .stack_helpers import load_script

status = load_script("compose/status.py")

METRICS = """\
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3.0
vllm:num_requests_running{engine="1",model_name="m"} 2.0
vllm:num_requests_waiting{engine="0",model_name="m"} 7.0
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.25
process_open_fds 12
"""


def test_load_sums_label_sets_and_reads_the_current_kv_gauge() -> None:
    assert status.load_from_metrics(METRICS) == status.Load(running=5.0, waiting=7.0, kv_usage=0.25)


def test_older_kv_gauge_name_is_read_too() -> None:
    text = 'vllm:gpu_cache_usage_perc{model_name="m"} 0.5\nvllm:num_requests_running 1\n'
    assert status.load_from_metrics(text) == status.Load(running=1.0, waiting=None, kv_usage=0.5)


def test_garbage_and_empty_text_give_unknowns() -> None:
    assert status.load_from_metrics("") == status.Load(None, None, None)
    assert status.load_from_metrics("vllm:num_requests_running NaNx\nbroken") == status.Load(None, None, None)


def test_formatting_of_unknowns_and_percentages() -> None:
    assert status.fmt(None) == "-"
    assert status.fmt(0.256, percent=True) == "26%"
    assert status.fmt(3.0) == "3"
