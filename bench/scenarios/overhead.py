"""Scenario 2: the pipeline's own cost per judged request, against simulators with zero latency."""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from analyze.running.dispatch_order import ORDER_INPUT, ORDER_LONGEST_FIRST

from bench.harness.fleet import sim_fleet
from bench.harness.nginx import local_nginx
from bench.harness.pipeline_run import run_pipeline
from bench.harness.tables import Table, verdict
from bench.harness.taskgen import write_tasks
from bench.settings import CANDIDATES_PER_TASK, ZERO_LATENCY, BenchSizes

RATE_TARGET = 1000.0  # judged requests per second through nginx
NGINX_ROW = "nginx (round robin), --order longest-first (the default)"
INPUT_ORDER_ROW = "nginx (round robin), --order input"
WARM_UP_SHARE = 5  # a fifth of the tasks (~5 s) through nginx before the measured runs
PROFILE_LINES = 60  # down to the transport: what the judged request spends its CPU on


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    tasks = write_tasks(
        out_dir / f"tasks-{sizes.overhead_tasks}.jsonl", sizes.overhead_tasks, CANDIDATES_PER_TASK
    )
    concurrency = str(sizes.overhead_concurrency)
    table = Table(
        f"2. Overhead: {sizes.overhead_tasks} tasks, 4 zero-latency simulators, {concurrency} in flight",
        ["path", "judged/s (steady)", "CPU ms per request (pipeline)",
         "CPU ms per request (simulators + nginx)", "wall s", "ok", "failed"],
    )  # fmt: skip
    profile_path = out_dir / "profile.txt"
    with (
        sim_fleet(4, ZERO_LATENCY, out_dir / "sims") as fleet,
        local_nginx(fleet.addresses, "round_robin", out_dir / "nginx") as nginx,
    ):
        # Not measured: the first run after the fleet starts cost more CPU per request than the ones after
        # it. The two orders then run ABBA, each row the mean of its two runs: the shared machine's load
        # moves between runs, and with a fixed order it cannot be told from a cost of the order
        # (the "longest-first surcharge", docs/bench.md).
        warm = max(100, sizes.overhead_tasks // WARM_UP_SHARE)
        warm_up = write_tasks(out_dir / f"tasks-{warm}.jsonl", warm, CANDIDATES_PER_TASK)
        run_pipeline(warm_up, out_dir / "run", [nginx.base_url], concurrency, out_dir / "warm-up.log")
        # (name, base URLs, --order), in the order they run
        paths = [
            (NGINX_ROW, [nginx.base_url], ORDER_LONGEST_FIRST),
            (INPUT_ORDER_ROW, [nginx.base_url], ORDER_INPUT),
            (INPUT_ORDER_ROW, [nginx.base_url], ORDER_INPUT),
            (NGINX_ROW, [nginx.base_url], ORDER_LONGEST_FIRST),
            ("direct (BackendPool + aiohttp)", fleet.base_urls, ORDER_LONGEST_FIRST),
        ]
        runs: dict[str, list[tuple[float, float, float, float, int, int]]] = {}
        for name, urls, order in paths:
            fleet_before = fleet.cpu_seconds() + nginx.cpu_seconds()
            result = run_pipeline(tasks, out_dir / "run", urls, concurrency, out_dir / "pipeline.log",
                                  extra_args=["--order", order])  # fmt: skip
            fleet_s = fleet.cpu_seconds() + nginx.cpu_seconds() - fleet_before
            rate, cpu = result.steady()
            runs.setdefault(name, []).append(
                (rate, cpu * 1000, fleet_s / max(result.succeeded, 1) * 1000, result.wall_s,
                 result.succeeded, result.failed)
            )  # fmt: skip
        rates, cpus = {}, {}
        for name, measured in runs.items():
            rate, cpu_ms, fleet_ms, wall = (statistics.mean(m[i] for m in measured) for i in range(4))
            rates[name], cpus[name] = rate, cpu_ms
            shown = name if len(measured) == 1 else f"{name}, mean of {len(measured)} (ABBA)"
            table.add(shown, rate, cpu_ms, fleet_ms, wall, sum(m[4] for m in measured),
                      sum(m[5] for m in measured))  # fmt: skip
        spread = {n: [round(m[1], 3) for m in measured] for n, measured in runs.items() if len(measured) > 1}
        # the same run under pyinstrument, to name what dominates the pipeline's CPU
        launcher = ["-m", "pyinstrument", "--renderer=text", "-o", str(profile_path), "-m", "analyze.cli"]
        run_pipeline(tasks, out_dir / "run", [nginx.base_url], concurrency, out_dir / "profiled.log",
                     launcher=launcher)  # fmt: skip
    through_nginx = rates[NGINX_ROW]
    table.notes.append(
        f"target >= {RATE_TARGET:.0f}/s through nginx on {os.cpu_count()} cores: "
        f"{verdict(through_nginx >= RATE_TARGET)} "
        f"({through_nginx:.0f}/s); the simulators and nginx share the same cores as the pipeline"
    )
    surcharge = cpus[NGINX_ROW] / cpus[INPUT_ORDER_ROW] - 1 if cpus[INPUT_ORDER_ROW] else 0.0
    table.notes.append(
        f"--order longest-first against input, both through nginx: {surcharge:+.1%} pipeline CPU per request "
        "(the same tasks, after a warm-up run; the first pass noting each task's size runs in either order); "
        f"each run's pipeline CPU ms per request: {spread}"
    )
    table.notes.append(
        "the simulators and nginx column is their CPU over the whole run per verdict: on these 2 cores "
        "it bounds the rate whatever the job costs (1 / (pipeline + fleet ms) x cores)"
    )
    head = _profile_head(profile_path)
    table.notes.append(f"profile of the nginx run (pyinstrument, top of the call tree):\n\n```\n{head}\n```")
    return [table]


def _profile_head(path: Path) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[:PROFILE_LINES])
    except OSError:
        return "(no profile written)"
