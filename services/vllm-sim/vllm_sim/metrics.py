"""Prometheus metrics under vLLM's names (plus the simulator's own), rendered as exposition text."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from vllm_sim.scheduler import SlotPool

# Names as they appear in the exposition text of real vLLM (counters with their `_total` suffix,
# histograms by base name); a contract test checks real vLLM on CPU exposes each of them.
VLLM_METRIC_NAMES: tuple[str, ...] = (
    "vllm:num_requests_running",
    "vllm:num_requests_waiting",
    "vllm:kv_cache_usage_perc",
    "vllm:prompt_tokens_total",
    "vllm:generation_tokens_total",
    "vllm:e2e_request_latency_seconds",
    "vllm:time_to_first_token_seconds",
    "vllm:request_queue_time_seconds",
    "vllm:request_success_total",
)
SIM_METRIC_NAMES: tuple[str, ...] = (
    "vllm_sim:busy_slot_seconds_total",
    "vllm_sim:max_num_seqs",
    "vllm_sim:requests_total",
    "vllm_sim:hanging_requests",
)

# vLLM's own bucket edges, so dashboards built on the real server read the simulator the same way.
REQUEST_LATENCY_BUCKETS = (
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
    120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0,
)  # fmt: skip
TTFT_BUCKETS = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
)  # fmt: skip


@dataclass(slots=True)
class Histogram:
    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    n: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.total += value
        self.n += 1

    def render(self, name: str, labels: str, out: list[str]) -> None:
        cumulative = 0
        for edge, count in zip(self.buckets, self.counts, strict=False):
            cumulative += count
            out.append(f'{name}_bucket{{le="{edge}",{labels}}} {cumulative}')
        out.append(f'{name}_bucket{{le="+Inf",{labels}}} {self.n}')
        out.append(f"{name}_count{{{labels}}} {self.n}")
        out.append(f"{name}_sum{{{labels}}} {self.total}")


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass(slots=True)
class SimMetrics:
    """Counters and histograms updated by the request handlers; gauges are read from the slot pool."""

    prompt_tokens: int = 0
    generation_tokens: int = 0
    success_by_reason: Counter[str] = field(default_factory=Counter)
    responses_by_code: Counter[int] = field(default_factory=Counter)
    hanging: int = 0
    e2e: Histogram = field(default_factory=lambda: Histogram(REQUEST_LATENCY_BUCKETS))
    queue: Histogram = field(default_factory=lambda: Histogram(REQUEST_LATENCY_BUCKETS))
    ttft: Histogram = field(default_factory=lambda: Histogram(TTFT_BUCKETS))

    def render(self, model: str, pool: SlotPool, max_model_len: int) -> str:
        labels = f'model_name="{_label_value(model)}"'
        kv_capacity = pool.max_num_seqs * max_model_len
        out: list[str] = []

        def scalar(name: str, kind: str, doc: str, value: float, sample: str | None = None) -> None:
            out.append(f"# HELP {name} {doc}")
            out.append(f"# TYPE {name} {kind}")
            out.append(f"{sample or name}{{{labels}}} {value}")

        scalar("vllm:num_requests_running", "gauge", "Requests holding a slot.", pool.running)
        scalar("vllm:num_requests_waiting", "gauge", "Requests waiting for a slot.", pool.waiting)
        scalar(
            "vllm:kv_cache_usage_perc", "gauge", "KV-cache fraction in use (0-1).",
            min(1.0, pool.kv_tokens / kv_capacity) if kv_capacity else 0.0,
        )  # fmt: skip
        scalar(
            "vllm:prompt_tokens", "counter", "Prefill tokens processed.",
            self.prompt_tokens, "vllm:prompt_tokens_total",
        )  # fmt: skip
        scalar(
            "vllm:generation_tokens", "counter", "Generation tokens processed.",
            self.generation_tokens, "vllm:generation_tokens_total",
        )  # fmt: skip
        out.append("# HELP vllm:request_success Finished requests by finish reason.")
        out.append("# TYPE vllm:request_success counter")
        for reason in ("stop", "length"):
            reason_labels = f'finished_reason="{reason}",{labels}'
            out.append(f"vllm:request_success_total{{{reason_labels}}} {self.success_by_reason[reason]}")
        for name, doc, hist in (
            ("vllm:e2e_request_latency_seconds", "End-to-end request latency.", self.e2e),
            ("vllm:request_queue_time_seconds", "Time waiting for a slot.", self.queue),
            ("vllm:time_to_first_token_seconds", "Time to first token.", self.ttft),
        ):
            out.append(f"# HELP {name} {doc}")
            out.append(f"# TYPE {name} histogram")
            hist.render(name, labels, out)
        scalar(
            "vllm_sim:busy_slot_seconds", "counter", "Sum over requests of seconds a slot was held.",
            pool.busy_seconds(), "vllm_sim:busy_slot_seconds_total",
        )  # fmt: skip
        scalar("vllm_sim:max_num_seqs", "gauge", "Slots (max-num-seqs).", pool.max_num_seqs)
        scalar("vllm_sim:hanging_requests", "gauge", "Requests deliberately never answered.", self.hanging)
        out.append("# HELP vllm_sim:requests Chat-completion responses by HTTP status.")
        out.append("# TYPE vllm_sim:requests counter")
        for code in sorted(self.responses_by_code):
            out.append(f'vllm_sim:requests_total{{code="{code}",{labels}}} {self.responses_by_code[code]}')
        out.append("")
        return "\n".join(out)
