"""1vN code-quality analysis: an LLM judge scores N candidate solutions per task, served by a vLLM fleet.

Seed-compatible API: `run_pipeline`, `create_multi_vllm_client`, `MultiVLLMClient`, `analyze_task`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyze.api import analyze_task
    from analyze.multi_vllm import AsyncMultiVLLMClient, MultiVLLMClient, create_multi_vllm_client
    from analyze.pipeline import run_pipeline

# Imported on first use (PEP 562) so that `python -m analyze.pipeline` does not find its own module
# already imported by the package, and so `import analyze` stays cheap for the CLI's --help.
_EXPORTS = {
    "analyze_task": "analyze.api",
    "AsyncMultiVLLMClient": "analyze.multi_vllm",
    "MultiVLLMClient": "analyze.multi_vllm",
    "create_multi_vllm_client": "analyze.multi_vllm",
    "run_pipeline": "analyze.pipeline",
}

__all__ = [
    "AsyncMultiVLLMClient",
    "MultiVLLMClient",
    "analyze_task",
    "create_multi_vllm_client",
    "run_pipeline",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analyze' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
