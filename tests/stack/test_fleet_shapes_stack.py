"""Other node shapes run for real: compose/fleet.py's overlay for 8 × 1 and 2 × 4 on the simulator.

test_fleet.py checks the merged configuration; this starts each fleet with nginx and checks that every
instance of the shape (and no parked one) serves requests through the published port.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from .compose_stack import build_images, make_stack, require_docker_engine
from .stack_helpers import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(600)]
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
