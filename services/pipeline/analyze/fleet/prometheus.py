"""The one Prometheus text-format reader: prometheus_client's parser, samples summed per name.

vLLM exports one sample per served model (label `model_name`), the simulator likewise; every reader in
the project (the adaptive limit, `analyze check`, `make status`, the benchmarks) wants the fleet-level
sum per metric name, so that is what this returns.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client.parser import text_string_to_metric_families

# The metric names the project reads, here only. Each is a tuple of spellings, newest first, for first_of.
RUNNING = ("vllm:num_requests_running",)
WAITING = ("vllm:num_requests_waiting",)
# vLLM renamed the KV-cache gauge (gpu_cache_usage_perc -> kv_cache_usage_perc); read either.
KV_USAGE = ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc")
MAX_NUM_SEQS = ("vllm_sim:max_num_seqs",)  # only the simulator exports its capacity
# vLLM's prefix cache, in prompt tokens (counters): looked up, and found cached. hits / queries = hit rate.
PREFIX_CACHE_QUERIES = ("vllm:prefix_cache_queries_total",)
PREFIX_CACHE_HITS = ("vllm:prefix_cache_hits_total",)
# The vLLM router's own page (LB=vllm-router, /router-metrics), one sample per instance (label `worker`).
ROUTER_WORKER_LABEL = "worker"
ROUTER_WORKER_HEALTH = ("vllm_router_worker_health",)  # 1 healthy, 0 not (its active health checks)
ROUTER_CIRCUIT_STATE = ("vllm_router_cb_state",)  # 0 closed, 1 open, 2 half-open
ROUTER_PROCESSED = ("vllm_router_processed_requests_total",)  # requests it sent the instance


class MetricsPageError(ValueError):
    """A /metrics answer that is not Prometheus text format; the message quotes the parser."""


def metric_totals(text: str) -> dict[str, float]:
    """`{sample name: sum over its label sets}`; raises MetricsPageError for a malformed page."""
    totals: dict[str, float] = {}
    for name, _labels, value in _samples(text):
        totals[name] = totals.get(name, 0.0) + value
    return totals


def metric_by_label(text: str, names: Sequence[str], label: str) -> dict[str, float]:
    """`{value of label: sum}` for the first of `names` the page has ({} if none); samples without the
    label are left out. Raises MetricsPageError for a malformed page."""
    return metrics_by_label(text, [names], label)[0]


def metrics_by_label(text: str, families: Sequence[Sequence[str]], label: str) -> list[dict[str, float]]:
    """`metric_by_label` for each of `families` (each a tuple of names), the page parsed once."""
    found: dict[str, dict[str, float]] = {}
    wanted = {name for names in families for name in names}
    for name, labels, value in _samples(text):
        if name in wanted and label in labels:
            per_label = found.setdefault(name, {})
            per_label[labels[label]] = per_label.get(labels[label], 0.0) + value
    return [next((found[name] for name in names if name in found), {}) for names in families]


def _samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    try:
        return [
            (sample.name, sample.labels, float(sample.value))
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]
    except _PARSER_ERRORS as exc:
        raise MetricsPageError(f"not a Prometheus text page: {_bad_line(text) or exc}") from exc


_PARSER_ERRORS = (ValueError, TypeError, IndexError, KeyError)  # what the parser raises on bad input


def _bad_line(text: str) -> str | None:
    """`line N: ...` for the first line the parser refuses on its own (only on the error path)."""
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            for _ in text_string_to_metric_families(line + "\n"):
                pass
        except _PARSER_ERRORS as exc:
            return f"line {number}: {exc}: {line[:120]!r}"
    return None


def first_of(totals: dict[str, float], names: Sequence[str]) -> float | None:
    """The first of `names` the page has (metrics renamed between vLLM versions); None if none."""
    return next((totals[name] for name in names if name in totals), None)
