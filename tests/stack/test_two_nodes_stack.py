"""Beyond one node: two compose projects on this machine as two nodes (stand-in: the project's simulator).

Node B runs instances only (compose/worker-node.yml), published on the Docker bridge's address, which
the head node's containers reach (another machine's address, in a real deployment). The head node's
balancer (nginx, or the vLLM router: LB=vllm-router) lists its own two instances and node B's two by that
address; one job judges across both.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from vllm_sim.testing import free_port

from tests.analyze.sim_runs import finished_requests
from tests.image_builds import build_images

from .compose_stack import (
    SIM_FILES,
    Stack,
    make_stack,
    read_jsonl,
    require_docker_engine,
    write_tasks,
)

pytestmark = [
    pytest.mark.docker,
    pytest.mark.images("vllm-sim", "nginx", "vllm-router", "pipeline", "sandbox"),
    pytest.mark.slow,
    pytest.mark.timeout(900),
]
SIM = {
    "SIM_TIME_SCALE": "0.02",
    "SIM_OUTPUT_LEN": "fixed:60",
    "SIM_HEALTH_INTERVAL": "1s",
    "MAX_NUM_SEQS": "8",
}


def bridge_address() -> str:
    """docker0's IPv4 address, which every container on this machine reaches."""
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"], capture_output=True, text=True)
    found = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", shown.stdout)
    assert found, f"no IPv4 address on docker0: {shown.stdout or shown.stderr}"
    return found.group(1)


# The files `make up LB=...` adds for each balancer (the Makefile's), and its image.
BALANCERS = {"nginx": ([], "nginx"), "vllm-router": (["compose/router.yml"], "vllm-router")}
JSON = {"Content-Type": "application/json"}  # the router parses a chat body only when it is declared


@pytest.mark.parametrize("lb", sorted(BALANCERS))
def test_one_job_judges_across_two_nodes_through_the_head_nodes_balancer(tmp_path: Path, lb: str) -> None:
    require_docker_engine()
    lb_files, lb_image = BALANCERS[lb]
    build_images("vllm-sim", "nginx", lb_image, "pipeline", "sandbox")
    address = bridge_address()
    ports = [free_port(), free_port()]
    node_dir, head_dir = tmp_path / "node-b", tmp_path / "head"
    node_dir.mkdir()
    head_dir.mkdir()
    node_b = make_stack(
        node_dir,
        [*SIM_FILES, "compose/worker-node.yml"],
        {**SIM, "WORKER_BIND": address, "WORKER_PORT_1": str(ports[0]), "WORKER_PORT_2": str(ports[1])},
        services=["vllm-1", "vllm-2"],
    )
    remote = [f"{address}:{port}" for port in ports]
    head = make_stack(
        head_dir,
        [*SIM_FILES, *lb_files],
        {**SIM, "UPSTREAM_SERVERS": " ".join(["vllm-1:8000", "vllm-2:8000", *remote]), "FLEET_SIZE": "4"},
        services=["nginx", "vllm-1", "vllm-2"],
    )
    stacks: list[Stack] = [node_b, head]
    try:
        node_b.compose.start()
        node_b.wait_healthy("vllm-1", "vllm-2")
        head.compose.start()
        head.wait_healthy("nginx", "vllm-1", "vllm-2")

        # round robin over four instances on two nodes: node B serves half, counted on its own instances
        # (the simulators' names repeat on both nodes; behind the router every answer names its gate)
        def on_b() -> float:
            return sum(finished_requests(f"http://{address}:{port}") for port in ports)

        before = on_b()
        served = head.served_by(24, **JSON)
        assert on_b() - before == 12, Counter(served)
        if lb == "nginx":
            upstreams = Counter(head.served_by(24, answer_header="x-upstream-addr"))
            assert upstreams == {name: 6 for name in ["vllm-1:8000", "vllm-2:8000", *remote]}, upstreams
        before = on_b()
        ids = write_tasks(head_dir / "data" / "tasks.jsonl", 24)
        output = head_dir / "outputs" / "two-nodes"
        job = head.run_job("tasks.jsonl", output)
        printed, _ = job.communicate(timeout=420)
        assert job.returncode == 0, printed[-4000:]
        assert sorted(r["task_id"] for r in read_jsonl(output / "results.jsonl")) == ids
        # node B judged its share of the job: about half of the requests, through the head node
        requests = sum(len(r["requests"]) for r in read_jsonl(output / "results.jsonl"))
        assert 0.3 * requests <= on_b() - before <= 0.7 * requests, (on_b() - before, requests)
    finally:
        for stack in stacks:
            stack.down()
