"""Reaching the vLLM fleet: backend URLs, the chat transport, client-side balancing (`MultiVLLMClient`),
readiness, in-flight limits (fixed and adaptive), retry rules, /metrics and `analyze check`.

Imports only `analyze.constants`, `analyze.settings`, `analyze.progress` and its own modules.
"""
