"""Scenario 2: the pipeline's own cost per judged request, against simulators with zero latency."""

from __future__ import annotations

import os
from pathlib import Path

from bench.harness.fleet import sim_fleet
from bench.harness.nginx import local_nginx
from bench.harness.pipeline_run import run_pipeline
from bench.harness.tables import Table, verdict
from bench.harness.taskgen import write_tasks
from bench.settings import CANDIDATES_PER_TASK, ZERO_LATENCY, BenchSizes

RATE_TARGET = 1000.0  # judged requests per second through nginx
PROFILE_LINES = 60  # down to the transport: what the judged request spends its CPU on


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    tasks = write_tasks(
        out_dir / f"tasks-{sizes.overhead_tasks}.jsonl", sizes.overhead_tasks, CANDIDATES_PER_TASK
    )
    concurrency = str(sizes.overhead_concurrency)
    table = Table(
        f"2. Overhead: {sizes.overhead_tasks} tasks, 4 zero-latency simulators, {concurrency} in flight",
        ["path", "judged/s (steady)", "CPU ms per request (pipeline)", "wall s", "ok", "failed"],
    )
    profile_path = out_dir / "profile.txt"
    with (
        sim_fleet(4, ZERO_LATENCY, out_dir / "sims") as fleet,
        local_nginx(fleet.addresses, "round_robin", out_dir / "nginx") as nginx,
    ):
        paths = {"nginx (round robin)": [nginx.base_url], "direct (BackendPool + aiohttp)": fleet.base_urls}
        rates = {}
        for name, urls in paths.items():
            result = run_pipeline(tasks, out_dir / "run", urls, concurrency, out_dir / "pipeline.log")
            rate, cpu = result.steady()
            rates[name] = rate
            table.add(name, rate, cpu * 1000, result.wall_s, result.succeeded, result.failed)
        # the same run under pyinstrument, to name what dominates the pipeline's CPU
        launcher = ["-m", "pyinstrument", "--renderer=text", "-o", str(profile_path), "-m", "analyze.cli"]
        run_pipeline(tasks, out_dir / "run", [nginx.base_url], concurrency, out_dir / "profiled.log",
                     launcher=launcher)  # fmt: skip
    through_nginx = rates["nginx (round robin)"]
    table.notes.append(
        f"target >= {RATE_TARGET:.0f}/s through nginx on {os.cpu_count()} cores: "
        f"{verdict(through_nginx >= RATE_TARGET)} "
        f"({through_nginx:.0f}/s); the simulators and nginx share the same cores as the pipeline"
    )
    head = _profile_head(profile_path)
    table.notes.append(f"profile of the nginx run (pyinstrument, top of the call tree):\n\n```\n{head}\n```")
    return [table]


def _profile_head(path: Path) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[:PROFILE_LINES])
    except OSError:
        return "(no profile written)"
