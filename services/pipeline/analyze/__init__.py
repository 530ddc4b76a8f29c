"""1vN code-quality analysis: an LLM judge scores N candidate solutions per task, served by a vLLM fleet.

Seed-compatible API: `run_pipeline`, `create_multi_vllm_client`, `MultiVLLMClient`, `analyze_task`.

Rooms, each importing only from the ones before it (docs/DEVELOPING.md):
  constants, settings, progress   the vocabulary, every tunable default, console output
  fleet/                          reaching the vLLM instances: URLs, transport, balancing, readiness, limits
  inputs/                         the task JSONL: reading, normalising, validating
  journal/                        the output directory's JSONL records: writing and reading them
  execution/                      the tests tasks carry, run in the sandbox before judging
  judging/                        one task's verdict: prompt, request, budget, validation, merge, ranking
  running/                        the whole run: dispatch, slots, stop rules, batch export/import
  report/                         tables, charts, word cloud, HTML from a journal
  compare/                        `analyze compare`: do several runs agree; a jury of judges
  cli, cli_options, api, pipeline the commands (their options made from settings), `analyze_task`,
                                  the seed's `run_pipeline`
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyze.api import analyze_task
    from analyze.fleet.multi_vllm import AsyncMultiVLLMClient, MultiVLLMClient, create_multi_vllm_client
    from analyze.pipeline import run_pipeline

__all__ = [
    "AsyncMultiVLLMClient",
    "MultiVLLMClient",
    "analyze_task",
    "create_multi_vllm_client",
    "run_pipeline",
]


def __getattr__(name: str) -> Any:
    # Imported on first use (PEP 562) so that `python -m analyze.pipeline` does not find its own module
    # already imported by the package, and so `import analyze` stays cheap for the CLI's --help.
    if name == "analyze_task":
        from analyze.api import analyze_task

        return analyze_task
    if name in ("AsyncMultiVLLMClient", "MultiVLLMClient", "create_multi_vllm_client"):
        from analyze.fleet import multi_vllm

        return getattr(multi_vllm, name)
    if name == "run_pipeline":
        from analyze.pipeline import run_pipeline

        return run_pipeline
    raise AttributeError(f"module 'analyze' has no attribute {name!r}")
