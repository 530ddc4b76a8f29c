"""Other node shapes run for real: compose/fleet.py's overlay for 8 × 1 and 2 × 4 on the simulator, and a
panel of two judge models on one fleet.

test_fleet.py checks the merged configuration; this starts each fleet with nginx and checks that every
instance of the shape (and no parked one) serves requests through the published port, and that the
pipeline container judges every task with each judge of a panel (stand-in: the project's simulator).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from tests.image_builds import build_images

from .compose_stack import make_stack, read_jsonl, require_docker_engine, write_tasks
from .stack_helpers import REPO

pytestmark = [
    pytest.mark.docker,
    pytest.mark.images("vllm-sim", "nginx", "pipeline", "sandbox"),
    pytest.mark.slow,
    pytest.mark.timeout(600),
]
SETTINGS = {"SIM_TIME_SCALE": "0", "SIM_HEALTH_INTERVAL": "1s", "MAX_NUM_SEQS": "8"}


@pytest.mark.parametrize(("instances", "gpus"), [(8, 1), (2, 4)])
def test_generated_fleet_shape_serves_from_every_instance(tmp_path, instances: int, gpus: int) -> None:
    require_docker_engine()
    build_images("vllm-sim", "nginx")
    overlay = tmp_path / f"fleet-{instances}x{gpus}-sim.yml"
    shape = ["--instances", str(instances), "--gpus-per-instance", str(gpus), "--backend", "sim"]
    fleet_py = str(REPO / "compose" / "fleet.py")
    command = [sys.executable, fleet_py, *shape, "-o", str(overlay)]
    made = subprocess.run(command, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    names = [f"vllm-{i}" for i in range(1, instances + 1)]
    files = ["docker-compose.yml", "compose/sim.yml", str(overlay)]
    stack = make_stack(tmp_path, files, SETTINGS, services=None)
    try:
        stack.compose.start()
        stack.wait_healthy("nginx", *names)
        served = Counter(stack.served_by(6 * instances))
        # Round robin over exactly this shape's instances: each serves its share, nothing else answers.
        assert set(served) == set(names), served
        assert all(count == 6 for count in served.values()), served
    finally:
        stack.down()


def test_a_panel_of_two_judges_is_judged_by_the_pipeline_container(tmp_path) -> None:
    require_docker_engine()
    build_images("vllm-sim", "nginx", "pipeline", "sandbox")
    overlay = tmp_path / "panel.yml"
    shape = ["--instances", "2", "--gpus-per-instance", "1", "--backend", "sim"]
    command = [
        sys.executable,
        str(REPO / "compose" / "fleet.py"),
        *shape,
        "--judge",
        "judge-a",
        "--judge",
        "judge-b",
    ]
    made = subprocess.run([*command, "-o", str(overlay)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    files = ["docker-compose.yml", "compose/sim.yml", str(overlay)]
    stack = make_stack(tmp_path, files, {**SETTINGS, "ANALYZE_CONCURRENCY": "8"}, services=None)
    ids = write_tasks(tmp_path / "data" / "panel.jsonl", 4)
    output = tmp_path / "outputs" / "panel"
    try:
        stack.compose.start()
        stack.wait_healthy("nginx", "vllm-1", "vllm-2")
        job = stack.run_job("panel.jsonl", output)
        printed, _ = job.communicate(timeout=420)
        assert job.returncode == 0, printed[-4000:]
    finally:
        stack.down()
    for judge in ("judge-a", "judge-b"):
        results = read_jsonl(output / judge / "results.jsonl")
        assert sorted(r["task_id"] for r in results) == ids
        assert {r["configuration"]["judge_model"] for r in read_jsonl(output / judge / "runs.jsonl")} == {
            judge
        }
    jury = json.loads((output / "jury" / "compare.json").read_text(encoding="utf-8"))
    assert jury["tasks"]["compared"] == len(ids) and jury["jury"] is not None
    assert str(output / "jury") in printed  # the host's path, as make analyze shows it
