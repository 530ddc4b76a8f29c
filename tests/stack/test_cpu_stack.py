"""Real vLLM on CPU serving the real SmolLM2-135M-Instruct (baked into the image): two instances +
nginx + the pipeline on a small sample, started right after `up` as `make up && make analyze` does (the
job waits for the model to load); verdicts parsed, report written; with VLLM_API_KEY set, vLLM's
unguarded routes are answered by nginx, never by an instance."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.image_builds import build_images

from .compose_stack import Stack, make_stack, read_jsonl, require_docker_engine, write_tasks
from .stack_helpers import UNGUARDED_VLLM_PATHS, request

pytestmark = [
    pytest.mark.docker,
    pytest.mark.images("vllm-cpu", "nginx", "pipeline", "sandbox"),
    pytest.mark.vllm_cpu,
    pytest.mark.slow,
    pytest.mark.timeout(1800),
]
# compose/cpu.yml's default served name: the job must ask for it without being told.
SERVED_MODEL_NAME = "smollm2-135m-instruct"
KEY = "sk-cpu-stack"
SETTINGS = {"ANALYZE_CONCURRENCY": "4", "VLLM_API_KEY": KEY}
TOKENIZE_BODY = json.dumps({"model": SERVED_MODEL_NAME, "prompt": "hello"})
CPU_HEALTH_DEADLINE_S = 400  # 30-60 s each alone; two on a shared 2-core machine take longer
TASKS = 2  # 2 candidates each: short prompts, a few hundred generated tokens per verdict (~1 min each)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    require_docker_engine()
    build_images("vllm-cpu", "nginx", "pipeline", "sandbox")
    files = ["docker-compose.yml", "compose/cpu.yml"]
    stack = make_stack(tmp_path_factory.mktemp("cpu-stack"), files, SETTINGS, services=None)
    try:
        stack.compose.start()  # no wait for the instances: the job's readiness wait is under test
        yield stack
    finally:
        stack.down()


def test_job_right_after_up_waits_for_the_model_and_judges_every_task(stack: Stack) -> None:
    ids = write_tasks(stack.workdir / "data" / "tasks.jsonl", TASKS, candidates=2)
    output = stack.workdir / "outputs" / "cpu"
    job = stack.run_job("tasks.jsonl", output)
    out, _ = job.communicate(timeout=1200)
    assert job.returncode == 0, out[-4000:]
    assert "Waiting for the fleet" in out or "等待 vLLM 实例就绪" in out, out[-4000:]  # it was still loading
    assert not (output / "failures.jsonl").read_text().strip(), "no task may fail while the fleet loads"
    results = read_jsonl(output / "results.jsonl")
    assert sorted(r["task_id"] for r in results) == ids
    for result in results:
        assert result["judge_model"] == SERVED_MODEL_NAME
        ranks = sorted(c["rank"] for c in result["candidates"])
        assert ranks == [1, 2]
        assert all(1 <= c["scores"]["overall"] <= 10 for c in result["candidates"])
        # No x-served-by from real vLLM: the backend is nginx's x-upstream-addr.
        assert {req["backend"] for req in result["requests"]} <= {"vllm-1:8000", "vllm-2:8000"}
    assert (output / "report.html").stat().st_size > 0


def test_unguarded_vllm_routes_are_answered_by_nginx(stack: Stack) -> None:
    stack.wait_healthy("nginx", "vllm-1", "vllm-2", deadline_s=CPU_HEALTH_DEADLINE_S)
    # real vLLM answers /tokenize without the key: reaching an instance would be a 200 here
    direct = stack.cmd("exec", "-T", "nginx", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                       "-X", "POST", "-H", "Content-Type: application/json", "-d", TOKENIZE_BODY,
                       "http://vllm-1:8000/tokenize").stdout  # fmt: skip
    assert direct == "200", "the instance itself serves /tokenize without a key"
    for path in (*UNGUARDED_VLLM_PATHS, "/v1/../tokenize"):
        reply = request(
            stack.port, "POST", path, body=TOKENIZE_BODY.encode(), **{"Content-Type": "application/json"}
        )
        assert reply.status == 404 and "x-upstream-addr" not in reply.headers, (
            path,
            reply.status,
            reply.body[:200],
        )
    assert request(stack.port, "GET", "/v1/models").status == 401  # the API itself is guarded by the key
    assert request(stack.port, "GET", "/v1/models", Authorization=f"Bearer {KEY}").status == 200
