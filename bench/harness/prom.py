"""Scrape a /metrics page into totals per metric name, with the project's one parser.

The names the job reads live beside that parser (analyze.fleet.prometheus: RUNNING, MAX_NUM_SEQS, ...);
the bench's own (the simulator's busy slot-seconds, vLLM's token counters) stay with their scenarios.
httpx: the bench is synchronous tooling, not the job (whose one HTTP stack is aiohttp).
"""

from __future__ import annotations

import httpx
from analyze.fleet.prometheus import metric_totals


def scrape(metrics_url: str) -> dict[str, float]:
    response = httpx.get(metrics_url, timeout=5.0)
    response.raise_for_status()
    return metric_totals(response.text)
