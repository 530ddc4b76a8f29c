"""With VLLM_API_KEY set: requests without it are refused, the pipeline (which has it) succeeds,
nginx's published port is bound to loopback only by default, and vLLM's unguarded routes are answered
by nginx itself (404), never by an instance. The containers run hardened (docs/stack.md#hardening)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.image_builds import build_images

from .compose_stack import (
    Stack,
    chat_body,
    read_jsonl,
    require_docker_engine,
    sim_pair_stack,
    write_tasks,
)
from .stack_helpers import UNGUARDED_VLLM_PATHS, request

pytestmark = [
    pytest.mark.docker,
    pytest.mark.images("vllm-sim", "nginx", "pipeline", "sandbox"),
    pytest.mark.slow,
    pytest.mark.timeout(600),
]
KEY = "sk-test-fleet"
SETTINGS = {"VLLM_API_KEY": KEY, "SIM_TIME_SCALE": "0.02"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    require_docker_engine()
    build_images("vllm-sim", "nginx")
    stack = sim_pair_stack(tmp_path_factory.mktemp("auth"), SETTINGS)
    try:
        stack.compose.start()
        stack.wait_healthy("nginx", "vllm-1", "vllm-2")
        yield stack
    finally:
        stack.down()


def test_requests_without_the_key_are_refused_and_with_it_served(stack: Stack) -> None:
    assert request(stack.port, "POST", "/v1/chat/completions", body=chat_body()).status == 401
    wrong = request(stack.port, "POST", "/v1/chat/completions", body=chat_body(), Authorization="Bearer nope")
    assert wrong.status == 401
    assert set(stack.served_by(4, Authorization=f"Bearer {KEY}")) == {"vllm-1", "vllm-2"}


def test_simulator_admin_takes_the_key_and_never_shows_it(stack: Stack) -> None:
    # from another container of the network (not loopback): the key is what counts
    status, error = stack.sim_admin("vllm-2", "vllm-1", {"api_key": ""})
    assert status == 401, error
    status, shown = stack.sim_admin("vllm-2", "vllm-1", key=KEY)
    assert status == 200 and shown["api_key"] == "***", shown  # still set: the refused POST changed nothing
    assert KEY not in json.dumps(shown)


def test_published_port_is_loopback_only(stack: Stack) -> None:
    (binding,) = stack.port_bindings("nginx")["8080/tcp"]
    assert binding["HostIp"] == "127.0.0.1"


def test_pipeline_with_the_key_succeeds(stack: Stack) -> None:
    build_images("pipeline", "sandbox")
    ids = write_tasks(stack.workdir / "data" / "tasks.jsonl", 20)
    output = stack.workdir / "outputs" / "auth"
    job = stack.run_job("tasks.jsonl", output)
    out, _ = job.communicate(timeout=300)
    assert job.returncode == 0, out[-4000:]
    assert sorted(r["task_id"] for r in read_jsonl(output / "results.jsonl")) == ids


def test_unguarded_paths_are_answered_by_nginx_never_by_an_instance(stack: Stack) -> None:
    for path in (*UNGUARDED_VLLM_PATHS, "/v1/../tokenize"):
        for method, body in (("GET", None), ("POST", chat_body())):
            reply = request(stack.port, method, path, body=body)
            assert reply.status == 404, (method, path, reply.status, reply.body[:200])
            # an instance's answer carries x-upstream-addr (nginx's instance tier) and x-served-by
            assert "x-upstream-addr" not in reply.headers and "x-served-by" not in reply.headers, (
                path,
                reply,
            )
            assert "serves /v1/, /health and /metrics only" in reply.json()["error"]["message"]
    for path in ("/health", "/metrics"):
        reply = request(stack.port, "GET", path)
        assert reply.status == 200 and reply.headers["x-upstream-addr"] in {"vllm-1:8000", "vllm-2:8000"}


def inspect(stack: Stack, service: str) -> dict:
    container = stack.cmd("ps", "-q", service).stdout.strip()
    out = subprocess.run(["docker", "inspect", container], capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


def test_containers_run_without_capabilities_and_nginx_on_a_read_only_root(stack: Stack) -> None:
    for service in ("nginx", "vllm-1"):
        host = inspect(stack, service)["HostConfig"]
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"], service
        assert "no-new-privileges:true" in host["SecurityOpt"], service
        assert host["PidsLimit"] > 0, service
        assert host["LogConfig"]["Type"] == "json-file" and host["LogConfig"]["Config"]["max-file"], service
        status = stack.cmd("exec", "-T", service, "cat", "/proc/1/status").stdout
        assert "CapEff:\t0000000000000000" in status, (service, status)
    assert inspect(stack, "nginx")["HostConfig"]["ReadonlyRootfs"] is True
    denied = stack.cmd("exec", "-T", "nginx", "touch", "/etc/nginx/x", check=False)
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr, denied
    # a prompt above nginx's in-memory body buffer (2m) is written to /tmp/nginx (tmpfs), then passed on
    big = json.dumps(
        {"model": "Qwen3-30B-A3B-Instruct-2507", "messages": [{"role": "user", "content": "x" * 3_000_000}]}
    )
    reply = request(
        stack.port, "POST", "/v1/chat/completions", body=big.encode(), Authorization=f"Bearer {KEY}"
    )
    assert reply.status == 400 and b"maximum context length" in reply.body, (reply.status, reply.body[:300])
    assert reply.headers.get("x-served-by") in {"vllm-1", "vllm-2"}  # the instance answered, not nginx
