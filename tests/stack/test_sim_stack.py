"""End to end on the simulator: 4 instances + nginx + the pipeline container, one stack start.

Order matters inside this module (one stack, grouped assertions): a late instance joins, the job
runs under round robin, survives an instance stopping, then nginx switches to least_conn.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.image_builds import build_images

from .compose_stack import Stack, make_stack, read_jsonl, require_docker_engine, write_tasks
from .stack_helpers import wait_for

pytestmark = [
    pytest.mark.docker,
    pytest.mark.images("vllm-sim", "nginx", "pipeline", "sandbox"),
    pytest.mark.slow,
    pytest.mark.timeout(900),
]
FILES = ["docker-compose.yml", "compose/sim.yml"]
INSTANCES = [f"vllm-{i}" for i in range(1, 5)]
SETTINGS = {
    "SIM_TIME_SCALE": "0.05",
    "SIM_OUTPUT_LEN": "uniform:100:200",
    "SIM_HEALTH_INTERVAL": "1s",
    "MAX_NUM_SEQS": "8",
    "ANALYZE_CONCURRENCY": "16",
    "NGINX_FAIL_TIMEOUT": "2s",
}
JOB_DEADLINE_S = 420


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    require_docker_engine()
    build_images("vllm-sim", "nginx")
    tmp = tmp_path_factory.mktemp("sim-stack")
    # vllm-4 is left out at first: nginx must start without it (its name does not even resolve).
    stack = make_stack(tmp, FILES, SETTINGS, services=["nginx", *INSTANCES[:3]])
    try:
        stack.compose.start()
        stack.wait_healthy("nginx", *INSTANCES[:3])
        yield stack
    finally:
        stack.down()


def job_image() -> None:
    build_images("pipeline", "sandbox")


def finish(job, deadline_s: float = JOB_DEADLINE_S) -> str:
    out, _ = job.communicate(timeout=deadline_s)
    assert job.returncode == 0, out[-4000:]
    return out


def test_nginx_serves_without_a_missing_instance_and_takes_it_in_when_it_starts(stack: Stack) -> None:
    assert set(stack.served_by(12)) == set(INSTANCES[:3])
    stack.cmd("up", "-d", "vllm-4")
    wait_for(lambda: "vllm-4" in stack.served_by(4), 120, "nginx to route to vllm-4", stack.logs)
    stack.wait_healthy(*INSTANCES)


def test_round_robin_gives_each_instance_a_quarter(stack: Stack) -> None:
    counts = Counter(stack.served_by(200))
    assert set(counts) == set(INSTANCES)
    for name in INSTANCES:
        assert 40 <= counts[name] <= 60, counts


def test_job_judges_every_task_once_spread_over_the_fleet_readable_by_the_host_user(stack: Stack) -> None:
    job_image()
    ids = write_tasks(stack.workdir / "data" / "tasks.jsonl", 300)
    output = stack.workdir / "outputs" / "round-robin"
    printed = finish(stack.run_job("tasks.jsonl", output))
    assert f"report_html: {output / 'report.html'}" in printed  # the host's path ...
    assert ": /outputs" not in printed  # ... never the container's mount
    results = read_jsonl(output / "results.jsonl")
    assert sorted(r["task_id"] for r in results) == ids
    backends = Counter(req["backend"] for r in results for req in r["requests"])
    assert set(backends) == set(INSTANCES), backends
    # Round robin over equal instances hands out exact quarters; the slack covers a failover or two.
    total = sum(backends.values())
    for name in INSTANCES:
        assert 0.2 <= backends[name] / total <= 0.3, backends
    for name in ("results.jsonl", "summary.json", "report.html"):
        info = (output / name).stat()
        assert info.st_uid == os.getuid(), f"{name} is owned by uid {info.st_uid}"
        assert info.st_mode & stat.S_IRUSR
    assert json.loads((output / "summary.json").read_text())


def test_job_survives_an_instance_stopping_mid_run(stack: Stack) -> None:
    job_image()
    ids = write_tasks(stack.workdir / "data" / "stop.jsonl", 300)
    output = stack.workdir / "outputs" / "stop-one"
    job = stack.run_job("stop.jsonl", output)
    results = output / "results.jsonl"
    wait_for(
        lambda: results.exists() and len(read_jsonl(results)) >= 30, 180, "the job to get going", stack.logs
    )
    stack.cmd("stop", "-t", "0", "vllm-2")
    finish(job)
    judged = [r["task_id"] for r in read_jsonl(results)]
    assert sorted(judged) == ids  # every task exactly once
    failures = output / "failures.jsonl"
    assert not failures.exists() or not read_jsonl(failures)
    stack.cmd("start", "vllm-2")
    wait_for(lambda: "vllm-2" in stack.served_by(8), 120, "nginx to route to vllm-2 again", stack.logs)


def test_least_conn_sends_less_to_a_slow_instance(stack: Stack) -> None:
    job_image()
    stack.reconfigure("nginx", LB_POLICY="least_conn")
    stack.wait_healthy("nginx")
    # vllm-1 becomes 50x slower per token; round robin would still give it a quarter. With no API key
    # its /admin answers loopback only: another container is refused, vllm-1 itself is served.
    slow = {"itl_ms": 750}
    refused, error = stack.sim_admin("vllm-2", "vllm-1", slow)
    assert refused == 403, error
    assert stack.sim_admin("vllm-1", "127.0.0.1", slow)[0] == 200
    ids = write_tasks(stack.workdir / "data" / "least.jsonl", 120)
    output = stack.workdir / "outputs" / "least-conn"
    finish(stack.run_job("least.jsonl", output))
    results = read_jsonl(output / "results.jsonl")
    assert sorted(r["task_id"] for r in results) == ids
    backends = Counter(req["backend"] for r in results for req in r["requests"])
    # The job's `compose run` must not have recreated nginx with another policy.
    assert stack.cmd("exec", "-T", "nginx", "printenv", "LB_POLICY").stdout.strip() == "least_conn"
    assert backends["vllm-1"] / sum(backends.values()) < 0.15, backends
