"""The one place that turns what users type into backend URLs, and a base URL into its server root."""

from __future__ import annotations

API_SUFFIX = "/v1"


def normalize_base_url(url: str) -> str:
    """`host:port`, `http://host:port` and `.../v1/` all mean `http://host:port/v1`."""
    text = url.strip().rstrip("/")
    if "://" not in text:
        text = f"http://{text}"
    if not text.endswith(API_SUFFIX):
        text = f"{text}{API_SUFFIX}"
    return text


def server_root(base_url: str) -> str:
    """`http://host:port/v1` (or any form above) -> `http://host:port`: where /health and /metrics live."""
    return normalize_base_url(base_url).removesuffix(API_SUFFIX)
