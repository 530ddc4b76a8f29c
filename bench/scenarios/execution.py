"""Scenario 8: does running the tests lengthen the job? The same tasks judged on a simulated fleet with
realistic latencies, with the sandbox running every candidate's tests and without, in ABBA order."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from pathlib import Path

from analyze.journal.records import RESULTS_FILE
from analyze.journal.store import iter_journal
from sandbox.testing import compose_sandbox

from bench.harness.fleet import sim_fleet
from bench.harness.pipeline_run import run_pipeline
from bench.harness.tables import Table, verdict
from bench.harness.taskgen import write_tasks
from bench.settings import CANDIDATES_PER_TASK, REPO_ROOT, BenchSizes

MAKESPAN_TARGET = 1.05  # with execution over without


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(REPO_ROOT / "scripts" / "build-images.sh"), "sandbox"], check=True,
                   capture_output=True, timeout=1800)  # fmt: skip
    count = sizes.execution_tasks
    tasks = write_tasks(out_dir / f"tasks-{count}.jsonl", count, CANDIDATES_PER_TASK, with_tests=True)
    profile = sizes.execution_profile
    instances = sizes.fleet_instances
    table = Table(
        f"8. Execution: {count} tasks x {CANDIDATES_PER_TASK} candidates with HumanEval-shaped tests, "
        f"{instances} simulated instances x {profile.max_num_seqs} slots ({profile.output_len} tokens, "
        f"{profile.itl_ms:g} ms/token), ABBA",
        ["run", "makespan s", "wall s", "pipeline CPU s", "max RSS MB", "ok", "failed", "passed / run"],
    )
    makespans: dict[str, list[float]] = {"off": [], "on": []}
    with (
        tempfile.TemporaryDirectory(prefix="sbx-bench-") as tmp,
        compose_sandbox(REPO_ROOT, Path(tmp)) as box,
        sim_fleet(instances, profile, out_dir / "sims") as fleet,
    ):
        concurrency = str(instances * profile.max_num_seqs * 2)
        env = {"ANALYZE_SANDBOX": f"unix://{box.socket}"}
        for round_index, mode in enumerate(("off", "on", "on", "off")):
            run_dir = out_dir / f"run-{mode}"
            result = run_pipeline(
                tasks, run_dir, fleet.base_urls, concurrency, out_dir / f"pipeline-{round_index}.log",
                extra_args=["--order", "input"], env={**env, "ANALYZE_EXECUTE": mode},
            )  # fmt: skip
            makespans[mode].append(result.makespan_s)
            table.add(f"{round_index + 1}: execute {mode}", result.makespan_s, result.wall_s, result.cpu_s,
                      result.max_rss_bytes / 2**20, result.succeeded, result.failed,
                      _passed(run_dir))  # fmt: skip
    ratio = statistics.median(makespans["on"]) / statistics.median(makespans["off"])
    table.notes.append(
        f"target: makespan with execution <= {MAKESPAN_TARGET} x without: "
        f"{verdict(ratio <= MAKESPAN_TARGET)} "
        f"({ratio:.3f} x, medians of two runs each). The sandbox, the simulators and the job share this "
        "machine's cores; each task's candidates run before its judge request, while other tasks are judged"
    )
    return [table]


def _passed(run_dir: Path) -> str:
    """How many candidates the sandbox passed, of those it ran ('-' when nothing ran)."""
    runs = [c["execution"] for r in iter_journal(run_dir / RESULTS_FILE) for c in r["candidates"]]
    ran = [e for e in runs if e is not None]
    return f"{sum(e['status'] == 'passed' for e in ran)} / {len(ran)}" if ran else "-"
