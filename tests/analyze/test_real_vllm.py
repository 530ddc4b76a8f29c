"""`analyze run` against real vLLM on CPU serving the real SmolLM2-135M-Instruct (xgrammar).

The job runs as shipped (its own system prompt, input budget and greedy decoding) on the first
tasks of data/tasks.jsonl, through the session's one SmolLM2 server (tests/vllm_cpu/smollm2.py). A
135M model is a weak judge: this checks that its verdicts parse and land in the journal and the
report, not that they are right.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from analyze.constants import SCORE_KEYS, SCORE_MAX, SCORE_MIN

from tests.vllm_cpu.smollm2 import shared_server
from tests.vllm_cpu.vllm_cpu_server import RunningServer

from .judge_fakes import read_jsonl

pytestmark = [pytest.mark.vllm_cpu, pytest.mark.slow, pytest.mark.timeout(1200)]

REPO_ROOT = Path(__file__).resolve().parents[2]
TASKS = REPO_ROOT / "data" / "tasks.jsonl"
TASK_LIMIT = 3  # 3-4 candidates each: a few hundred generated tokens per verdict
MAX_VERDICT_RETRIES = 1


@pytest.fixture(scope="module")
def vllm_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    return shared_server(request.config, tmp_path_factory)


def test_analyze_run_records_a_smollm2_verdict_for_every_task(
    vllm_server: RunningServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    env = {
        **os.environ,
        "ANALYZE_API_KEY": vllm_server.api_key,
        "ANALYZE_MAX_VERDICT_RETRIES": str(MAX_VERDICT_RETRIES),
        "ANALYZE_LANG": "en",
    }
    command = [
        sys.executable, "-m", "analyze.cli", "run", str(TASKS), "-o", str(out),
        "--base-url", f"{vllm_server.base_url}/v1", "--limit", str(TASK_LIMIT),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr

    results = read_jsonl(out / "results.jsonl")
    assert read_jsonl(out / "failures.jsonl") == [], "every task must end with a parsed verdict"
    assert len({r["task_id"] for r in results}) == len(results) == TASK_LIMIT
    for record in results:
        assert record["judge_model"] == vllm_server.served_model_name  # chosen from /v1/models
        ranks = sorted(c["rank"] for c in record["candidates"])
        assert ranks == list(range(1, len(record["candidates"]) + 1))
        for candidate in record["candidates"]:
            assert set(candidate["scores"]) == set(SCORE_KEYS)
            assert all(SCORE_MIN <= v <= SCORE_MAX for v in candidate["scores"].values())
        (request,) = record["requests"]
        assert 1 <= request["attempts"] <= 1 + MAX_VERDICT_RETRIES
        assert request["completion_tokens"] > 0 and request["prompt_tokens"] > 0
    assert (out / "report.html").is_file()
