"""Read a Prometheus text page into totals per metric name (summed over label sets)."""

from __future__ import annotations

import httpx


def metric_totals(text: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_and_labels, _, value = line.rpartition(" ")
        name = name_and_labels.split("{", 1)[0].strip()
        try:
            totals[name] = totals.get(name, 0.0) + float(value)
        except ValueError:
            continue  # a sample with a timestamp or an odd value: not one we read
    return totals


def scrape(metrics_url: str) -> dict[str, float]:
    response = httpx.get(metrics_url, timeout=5.0)
    response.raise_for_status()
    return metric_totals(response.text)
