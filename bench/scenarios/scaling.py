"""Scenario 5: makespan and utilization for 1, 2, 4, 8 instances at equal work per instance."""

from __future__ import annotations

from pathlib import Path

from bench.harness.capacity import utilization
from bench.harness.fleet import sim_fleet
from bench.harness.nginx import local_nginx
from bench.harness.pipeline_run import run_pipeline
from bench.harness.tables import Table
from bench.harness.taskgen import write_tasks
from bench.settings import CANDIDATES_PER_TASK, BenchSizes


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    profile = sizes.profile
    table = Table(
        f"5. Scaling: {sizes.scaling_tasks_per_instance} tasks per instance, nginx least_conn, "
        f"{profile.max_num_seqs} in flight per instance, time scale {profile.time_scale}",
        ["instances", "tasks", "makespan (sim s)", "slot utilization", "tasks/s (sim)", "ratio to linear"],
    )
    base_rate = None
    for count in sizes.scaling_instances:
        n_tasks = count * sizes.scaling_tasks_per_instance
        tasks = write_tasks(out_dir / f"tasks-{n_tasks}.jsonl", n_tasks, CANDIDATES_PER_TASK)
        with sim_fleet(count, profile, out_dir / f"sims-{count}") as fleet:
            slots = fleet.slots()
            with local_nginx(fleet.addresses, "least_conn", out_dir / f"nginx-{count}") as nginx:
                before = fleet.busy_slot_seconds()
                result = run_pipeline(
                    tasks, out_dir / "run", [nginx.base_url], str(slots), out_dir / "run.log"
                )
                busy = fleet.busy_slot_seconds() - before
        makespan = result.makespan_s / profile.time_scale
        rate = result.succeeded / makespan
        if base_rate is None:
            base_rate = rate / count
        table.add(count, n_tasks, makespan, utilization(busy, slots, result.makespan_s), rate,
                  rate / (base_rate * count))  # fmt: skip
    table.notes.append("ratio to linear: tasks/s over (instances x the 1-instance tasks/s per instance)")
    return [table]
