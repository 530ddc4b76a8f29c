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
from analyze.judging.ranking import agrees_with_scores

from tests.vllm_cpu.smollm2 import shared_server
from tests.vllm_cpu.vllm_cpu_server import RunningServer

from .judge_fakes import make_task, read_jsonl, write_jsonl

pytestmark = [pytest.mark.vllm_cpu, pytest.mark.slow, pytest.mark.timeout(1200)]

REPO_ROOT = Path(__file__).resolve().parents[2]
TASKS = REPO_ROOT / "data" / "tasks.jsonl"
TASK_LIMIT = 2  # 3 and 4 candidates: 240 and 407 tokens greedy (the third, py-fib, writes 1,593)
MAX_VERDICT_RETRIES = 1
# Six candidates' smallest verdict is 2,541 tokens: this cap keeps SmolLM2's answers near it.
SIX_MAX_OUTPUT_TOKENS = 3000


@pytest.fixture(scope="module")
def vllm_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    return shared_server(request.config, tmp_path_factory)


def vllm_server_context(server: RunningServer) -> int:
    """max_model_len as the server lists it in /v1/models (what the job budgets with)."""
    import httpx

    headers = {"Authorization": f"Bearer {server.api_key}"}
    models = httpx.get(f"{server.base_url}/v1/models", headers=headers, timeout=10).json()["data"]
    return int(models[0]["max_model_len"])


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
        by_rank = sorted(record["candidates"], key=lambda c: c["rank"])
        overall = {c["candidate_id"]: c["scores"]["overall"] for c in record["candidates"]}
        assert agrees_with_scores([c["candidate_id"] for c in by_rank], overall)
        (request,) = record["requests"]
        assert 1 <= request["attempts"] <= 1 + MAX_VERDICT_RETRIES
        assert request["completion_tokens"] > 0 and request["prompt_tokens"] > 0
        assert request["prompt_tokens"] + request["max_tokens"] <= vllm_server_context(vllm_server)
        digests = [e["request_digest"] for e in request["attempt_log"] if e["outcome"] != "no_reply"]
        assert len(set(digests)) == len(digests), "a request was resent unchanged after a reply"
    assert (out / "report.html").is_file()


def test_smollm2_judges_six_candidates_in_both_orders(vllm_server: RunningServer, tmp_path: Path) -> None:
    """Above the ranking-permutation enum (5) and with --swap: the case that failed every task before."""
    tasks = write_jsonl(tmp_path / "six.jsonl", [make_task("six", n=6)])
    out = tmp_path / "out"
    env = {**os.environ, "ANALYZE_API_KEY": vllm_server.api_key, "ANALYZE_LANG": "en"}
    command = [
        sys.executable, "-m", "analyze.cli", "run", str(tasks), "-o", str(out), "--no-report", "--swap",
        "--base-url", f"{vllm_server.base_url}/v1", "--max-output-tokens", str(SIX_MAX_OUTPUT_TOKENS),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    (record,) = read_jsonl(out / "results.jsonl")
    by_rank = sorted(record["candidates"], key=lambda c: c["rank"])
    assert [c["rank"] for c in by_rank] == list(range(1, 7))
    overall = {c["candidate_id"]: c["scores"]["overall"] for c in record["candidates"]}
    assert agrees_with_scores([c["candidate_id"] for c in by_rank], overall)
    swap = record["swap"]
    assert all(first != second for first, second in swap["positions"].values())
    assert swap["kendall_tau"] is not None and isinstance(swap["top1_agree"], bool)
    context = vllm_server_context(vllm_server)
    for request in record["requests"]:
        assert request["max_tokens"] <= SIX_MAX_OUTPUT_TOKENS
        assert request["prompt_tokens"] + request["max_tokens"] <= context
        replied = [e for e in request["attempt_log"] if e["outcome"] != "no_reply"]
        assert len({e["request_digest"] for e in replied}) == len(replied)
