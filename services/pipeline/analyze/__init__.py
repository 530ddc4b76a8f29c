"""1vN code-quality analysis: an LLM judge scores N candidate solutions per task, served by a vLLM fleet.

Seed-compatible API: `run_pipeline`, `create_multi_vllm_client`, `MultiVLLMClient`, `analyze_task`.
"""

from analyze.api import analyze_task
from analyze.multi_vllm import AsyncMultiVLLMClient, MultiVLLMClient, create_multi_vllm_client
from analyze.pipeline import run_pipeline

__all__ = [
    "AsyncMultiVLLMClient",
    "MultiVLLMClient",
    "analyze_task",
    "create_multi_vllm_client",
    "run_pipeline",
]
