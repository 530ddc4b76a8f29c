"""`make up && make analyze` on the simulator stack whose instances are still "loading"
(SIM_STARTUP_DELAY: 503 on /health and /v1/* for that long, as vLLM answers while it loads a model):
the job starts at once, waits for the model to be served, and judges every task with no failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.image_builds import build_images

from .compose_stack import Stack, read_jsonl, require_docker_engine, sim_pair_stack, write_tasks

pytestmark = [
    pytest.mark.docker,
    pytest.mark.images("vllm-sim", "nginx", "pipeline", "sandbox"),
    pytest.mark.slow,
    pytest.mark.timeout(600),
]
# without the wait, 503s with Retry-After 1 s spend each task's 5 retries in about 5 s
SETTINGS = {"SIM_STARTUP_DELAY": "20", "SIM_TIME_SCALE": "0.05"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    require_docker_engine()
    build_images("vllm-sim", "nginx", "pipeline", "sandbox")
    stack = sim_pair_stack(tmp_path_factory.mktemp("startup"), SETTINGS)
    try:
        yield stack
    finally:
        stack.down()


def test_job_right_after_up_waits_for_the_loading_fleet_and_judges_every_task(stack: Stack) -> None:
    ids = write_tasks(stack.workdir / "data" / "tasks.jsonl", 30)
    output = stack.workdir / "outputs" / "startup"
    stack.compose.start()  # `make up`: returns at once, the instances answer 503 for 20 s
    job = stack.run_job("tasks.jsonl", output)  # `make analyze`, no wait in between
    out, _ = job.communicate(timeout=400)
    assert job.returncode == 0, out[-4000:]
    assert "等待 vLLM 实例就绪" in out, out[-4000:]  # the job's console (zh by default) says it waited
    assert sorted(r["task_id"] for r in read_jsonl(output / "results.jsonl")) == ids
    assert not (output / "failures.jsonl").read_text().strip()
