"""Real vLLM on CPU serving the real SmolLM2-135M-Instruct (baked into the image): two instances +
nginx + the pipeline on a small sample; verdicts parsed, report written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .compose_stack import Stack, build_images, make_stack, read_jsonl, require_docker_engine, write_tasks

pytestmark = [pytest.mark.docker, pytest.mark.vllm_cpu, pytest.mark.slow, pytest.mark.timeout(1800)]
# compose/cpu.yml's default served name: the job must ask for it without being told.
SERVED_MODEL_NAME = "smollm2-135m-instruct"
SETTINGS = {"ANALYZE_CONCURRENCY": "4"}
CPU_HEALTH_DEADLINE_S = 400  # 30-60 s each alone; two on a shared 2-core machine take longer
TASKS = 4  # 2 candidates each: short prompts, a few hundred generated tokens per verdict


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    require_docker_engine()
    build_images("vllm-cpu", "nginx", "pipeline")
    files = ["docker-compose.yml", "compose/cpu.yml"]
    stack = make_stack(tmp_path_factory.mktemp("cpu-stack"), files, SETTINGS, services=None)
    try:
        stack.compose.start()
        stack.wait_healthy("nginx", "vllm-1", "vllm-2", deadline_s=CPU_HEALTH_DEADLINE_S)
        yield stack
    finally:
        stack.down()


def test_pipeline_judges_a_small_sample_on_smollm2(stack: Stack) -> None:
    ids = write_tasks(stack.workdir / "data" / "tasks.jsonl", TASKS, candidates=2)
    output = stack.workdir / "outputs" / "cpu"
    job = stack.run_job("tasks.jsonl", output)
    out, _ = job.communicate(timeout=1200)
    assert job.returncode == 0, out[-4000:]
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
