"""Scrape a /metrics page into totals per metric name, with the project's one parser."""

from __future__ import annotations

import httpx
from analyze.fleet.prometheus import metric_totals


def scrape(metrics_url: str) -> dict[str, float]:
    response = httpx.get(metrics_url, timeout=5.0)
    response.raise_for_status()
    return metric_totals(response.text)
