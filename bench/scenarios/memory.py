"""Scenario 3: resident memory of `analyze run` as the input grows (it should stay flat)."""

from __future__ import annotations

from pathlib import Path

from bench.harness.fleet import sim_fleet
from bench.harness.pipeline_run import run_pipeline
from bench.harness.tables import Table, verdict
from bench.harness.taskgen import write_tasks
from bench.settings import CANDIDATES_PER_TASK, ZERO_LATENCY, BenchSizes

RSS_LIMIT_MB = 300.0
MB = 1024 * 1024


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    table = Table(
        "3. Memory: RSS of `analyze run` (whole process tree) against zero-latency simulators, direct",
        ["tasks", "peak RSS MB", "RSS at 25 %", "RSS at 50 %", "RSS at 100 %", "wall s", "ok"],
    )
    peaks: dict[int, float] = {}
    with sim_fleet(4, ZERO_LATENCY, out_dir / "sims") as fleet:
        for count in sizes.memory_tasks:
            tasks = write_tasks(out_dir / f"tasks-{count}.jsonl", count, CANDIDATES_PER_TASK)
            result = run_pipeline(tasks, out_dir / "run", fleet.base_urls, "256", out_dir / "pipeline.log")
            peaks[count] = result.max_rss_bytes / MB
            table.add(count, peaks[count], *(result.rss_at(f) / MB for f in (0.25, 0.5, 1.0)),
                      result.wall_s, result.succeeded)  # fmt: skip
    largest = max(peaks)
    smallest = min(peaks)
    table.notes.append(
        f"target < {RSS_LIMIT_MB:.0f} MB at {largest} tasks: {verdict(peaks[largest] < RSS_LIMIT_MB)} "
        f"({peaks[largest]:.0f} MB); growth from {smallest} to {largest} tasks: "
        f"{peaks[largest] - peaks[smallest]:+.0f} MB"
    )
    return [table]
