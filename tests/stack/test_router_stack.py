"""LB=vllm-router end to end on the simulator (stand-in: python -m vllm_sim in its image; the router is
the real vllm-router 0.1.17 from its pinned wheel): the files `make up LB=vllm-router STACK=sim` uses,
two instances, ROUTER_POLICY=consistent_hash and an API key.

One stack, in order: the gate refuses what nginx refuses (and the router's own admin routes), the key is
required, the port is bound to loopback; the job (--swap) runs through the router with each task's
requests on one instance; `analyze check` and `make status` show the router's view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.image_builds import build_images

from .compose_stack import (
    Stack,
    chat_body,
    make_stack,
    read_jsonl,
    require_docker_engine,
    write_tasks,
)
from .stack_helpers import UNGUARDED_VLLM_PATHS, load_script, request, wait_for

pytestmark = [
    pytest.mark.docker,
    pytest.mark.images("vllm-sim", "vllm-router", "pipeline", "sandbox"),
    pytest.mark.slow,
    pytest.mark.timeout(900),
]
FILES = ["docker-compose.yml", "compose/sim.yml", "compose/router.yml"]  # the Makefile's, LB=vllm-router
INSTANCES = ["vllm-1", "vllm-2"]
KEY = "sk-test-router"
SETTINGS = {
    "VLLM_API_KEY": KEY,
    "ROUTER_POLICY": "consistent_hash",
    "UPSTREAM_SERVERS": "vllm-1:8000,vllm-2:8000",
    "SIM_TIME_SCALE": "0.02",
    "SIM_HEALTH_INTERVAL": "1s",
    "ANALYZE_CONCURRENCY": "8",
    "FLEET_SIZE": "2",
}
# The router's chat route parses JSON only when it is declared so (415 otherwise); the job declares it.
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
# The router's own routes (server.rs of vllm-router): worker management and cache control, no key.
ROUTER_ADMIN_PATHS = (
    "/add_worker?url=http://evil:1",
    "/remove_worker?url=http://vllm-1:8000",
    "/list_workers",
    "/workers",
    "/flush_cache",
    "/get_loads",
    "/liveness",
    "/readiness",
    "/get_server_info",
    "/generate",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    require_docker_engine()
    build_images("vllm-sim", "vllm-router")
    stack = make_stack(
        tmp_path_factory.mktemp("router-stack"), FILES, SETTINGS, services=["nginx", *INSTANCES]
    )
    try:
        stack.compose.start()
        stack.wait_healthy("nginx", *INSTANCES)
        yield stack
    finally:
        stack.down()


def test_the_balancer_is_the_router_behind_the_gate(stack: Stack) -> None:
    env = stack.cmd("exec", "-T", "nginx", "printenv", "ROUTER_POLICY").stdout.strip()
    assert env == "consistent_hash"
    ready = request(stack.port, "GET", "/router-health")
    assert ready.status == 200 and ready.json() == {
        "status": "ready",
        "healthy_workers": 2,
        "total_workers": 2,
    }
    metrics = request(stack.port, "GET", "/router-metrics")
    assert (
        metrics.status == 200 and b'vllm_router_worker_health{worker="http://vllm-1:8000"} 1' in metrics.body
    )
    assert request(stack.port, "POST", "/router-health").status == 403  # read-only


def test_the_same_session_id_stays_on_one_instance_and_sessions_spread(stack: Stack) -> None:
    placed = {session: set(stack.served_by(3, **AUTH, **{"X-Session-ID": session})) for session in "abcdefgh"}
    assert all(len(names) == 1 for names in placed.values()), placed
    assert set().union(*placed.values()) == set(INSTANCES), placed


def test_requests_without_the_key_are_refused(stack: Stack) -> None:
    json_body = {"Content-Type": "application/json"}
    assert request(stack.port, "POST", "/v1/chat/completions", body=chat_body(), **json_body).status == 401
    wrong = request(
        stack.port, "POST", "/v1/chat/completions", body=chat_body(), Authorization="Bearer nope", **json_body
    )
    assert wrong.status == 401
    assert request(stack.port, "GET", "/v1/models").status == 401


def test_only_v1_health_and_metrics_pass_the_gate(stack: Stack) -> None:
    for path in (*UNGUARDED_VLLM_PATHS, *ROUTER_ADMIN_PATHS, "/v1/../tokenize", "/v1/../list_workers"):
        for method, body in (("GET", None), ("POST", chat_body())):
            reply = request(stack.port, method, path, body=body, **AUTH)
            assert reply.status == 404, (method, path, reply.status, reply.body[:200])
            assert "serves /v1/, /health and /metrics only" in reply.json()["error"]["message"], path
    # the refused POST /add_worker added nothing
    metrics = request(stack.port, "GET", "/router-metrics").body.decode()
    assert "evil" not in metrics
    assert request(stack.port, "GET", "/health").status == 200  # the router's own: "All servers healthy"
    page = request(stack.port, "GET", "/metrics")  # one instance's, through the router
    assert page.status == 200 and page.headers["x-served-by"] in INSTANCES
    assert b"vllm:num_requests_running" in page.body


def test_the_published_port_is_loopback_only(stack: Stack) -> None:
    assert stack.port_bindings("nginx") == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(stack.port)}]
    }
    # the router itself listens on the container's loopback only: not even the network reaches it
    probe = stack.cmd("exec", "-T", "vllm-1", "python3", "-c", _CONNECT, "nginx", "30000", check=False)
    assert probe.stdout.strip() == "refused", probe.stdout + probe.stderr


_CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close(); print("open")
except OSError:
    print("refused")
"""


def test_the_job_with_swap_keeps_each_task_on_one_instance(stack: Stack) -> None:
    build_images("pipeline", "sandbox")
    ids = write_tasks(stack.workdir / "data" / "tasks.jsonl", 40)
    output = stack.workdir / "outputs" / "router"
    command = ["run", "/data/tasks.jsonl", "-o", "/outputs", "--base-url", "http://nginx:8080/v1", "--swap"]
    job = stack.run_job("tasks.jsonl", output, *command)
    out, _ = job.communicate(timeout=420)
    assert job.returncode == 0, out[-4000:]
    results = read_jsonl(output / "results.jsonl")
    assert sorted(r["task_id"] for r in results) == ids
    for result in results:
        assert [r["order"] for r in result["requests"]] == ["forward", "rotated"], result["task_id"]
        assert len({r["backend"] for r in result["requests"]}) == 1, result["requests"]
    tasks_per_instance = Counter(result["requests"][0]["backend"] for result in results)
    assert set(tasks_per_instance) == set(INSTANCES), tasks_per_instance


def test_analyze_check_and_make_status_show_the_routers_view(stack: Stack, capsys) -> None:
    check = stack.cmd(
        "--profile", "job", "run", "--rm", "-T", "pipeline", "check", "--base-url", "http://nginx:8080/v1"
    )
    lines = check.stdout.splitlines()
    assert any(line.startswith("✓ http://nginx:8080/v1") for line in lines), check.stdout
    assert "    router: ready, 2/2 instances healthy" in lines, check.stdout
    for name in INSTANCES:
        assert any(f"✓ http://{name}:8000  circuit=closed processed=" in line for line in lines), check.stdout
    status = load_script("compose/status.py")
    assert status.main(stack.compose.compose_command_property[2:]) == 0
    shown = capsys.readouterr().out
    assert "router: ready, 2/2 instances healthy" in shown, shown
    assert all(f"http://{name}:8000  circuit=closed" in shown for name in INSTANCES), shown


@pytest.mark.parametrize("policy", ["round_robin", "power_of_two", "cache_aware"])
def test_every_policy_reaches_the_router_and_serves(stack: Stack, policy: str) -> None:
    stack.reconfigure("nginx", ROUTER_POLICY=policy)
    stack.wait_healthy("nginx")
    wait_for(lambda: request(stack.port, "GET", "/router-health").status == 200, 60, "the router", stack.logs)
    names = stack.served_by(8, **AUTH)
    page = request(stack.port, "GET", "/router-metrics").body.decode()
    decided = [line for line in page.splitlines() if line.startswith("vllm_router_policy_decisions_total{")]
    assert decided and all(f'policy="{policy}"' in line for line in decided), decided
    if policy == "round_robin":
        assert Counter(names) == {"vllm-1": 4, "vllm-2": 4}
    if policy == "cache_aware":  # one prompt, an idle fleet: its prefix tree keeps it on one instance
        assert len(set(names)) == 1, names
