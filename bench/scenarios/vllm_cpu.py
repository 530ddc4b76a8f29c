"""Scenario 4: real vLLM on CPU, one instance: tokens/s direct vs through nginx, and the pipeline's share."""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import httpx
import psutil
from analyze.journal.records import FAILURES_FILE, RESULTS_FILE
from analyze.journal.store import iter_journal
from vllm_sim.testing import free_port

from bench.harness import procs
from bench.harness.nginx import local_nginx
from bench.harness.pipeline_run import run_pipeline
from bench.harness.tables import Table, verdict
from bench.harness.taskgen import write_tasks
from bench.settings import (
    CANDIDATES_PER_TASK,
    VLLM_CPU_HEALTH_TIMEOUT_S,
    VLLM_CPU_PIPELINE_ARGS,
    VLLM_CPU_PIPELINE_ENV,
    VLLM_CPU_PYTHON,
    VLLM_CPU_SYSTEM_PROMPT,
    BenchSizes,
)

NGINX_COST_TARGET = 0.05
PROMPT = "Write a short Python function that returns the distinct values of a list, sorted."


async def _drive(base_url: str, model: str, requests: int, concurrency: int, max_tokens: int) -> float:
    """Completion tokens per second for `requests` chat requests, `concurrency` at a time."""
    body = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "ignore_eos": True,  # every request generates max_tokens: equal work on both paths
    }
    remaining = requests
    tokens = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining, tokens
        while remaining > 0:
            remaining -= 1
            response = await client.post(f"{base_url}/chat/completions", json=body)
            response.raise_for_status()
            tokens += response.json()["usage"]["completion_tokens"]

    async with httpx.AsyncClient(timeout=600) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return tokens / (time.monotonic() - started)


def _served_model(base_url: str) -> str:
    return httpx.get(f"{base_url}/models", timeout=10).json()["data"][0]["id"]


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    table = Table(
        f"4. Real vLLM on CPU (tiny random model), one instance: {sizes.vllm_cpu_requests} requests x "
        f"{sizes.vllm_cpu_max_tokens} tokens, {sizes.vllm_cpu_concurrency} at a time",
        ["path", "completion tokens/s", "vs direct"],
    )
    if not VLLM_CPU_PYTHON.is_file():
        table.notes.append(f"skipped: {VLLM_CPU_PYTHON} is missing (make vllm-cpu-env)")
        return [table]
    model_dir = out_dir / "model"
    # made afresh each run (under a second): a model left by an older model maker may not fit the launcher
    shutil.rmtree(model_dir, ignore_errors=True)
    make_model = [str(VLLM_CPU_PYTHON), "-m", "vllm_cpu_serve", "make-model", "--out", str(model_dir)]
    subprocess.run(make_model, check=True, capture_output=True)
    port = free_port()
    cmd = [
        str(VLLM_CPU_PYTHON),
        "-m",
        "vllm_cpu_serve",
        "serve",
        "--model",
        str(model_dir),
        "--port",
        str(port),
    ]
    with procs.running(
        cmd, out_dir / "vllm.log", f"http://127.0.0.1:{port}/health", VLLM_CPU_HEALTH_TIMEOUT_S
    ) as server:
        direct = f"http://127.0.0.1:{port}/v1"
        model = _served_model(direct)
        args = (model, sizes.vllm_cpu_requests, sizes.vllm_cpu_concurrency, sizes.vllm_cpu_max_tokens)
        asyncio.run(
            _drive(direct, model, sizes.vllm_cpu_concurrency, sizes.vllm_cpu_concurrency, 8)
        )  # warm-up
        with local_nginx([f"127.0.0.1:{port}"], "round_robin", out_dir / "nginx") as nginx:
            # alternate the two paths, and which goes first (ABBA), so drift on the shared machine and the
            # server warming up hit both alike: with direct always first, nginx measured 23 % *faster*
            rates: dict[str, list[float]] = {"direct": [], "nginx": []}
            urls = {"direct": direct, "nginx": nginx.base_url}
            # CPU is what nginx takes from vLLM here (same cores): drift-free, unlike the rates
            cpu = {"vllm": 0.0, "nginx": 0.0}
            vllm_proc = psutil.Process(server.pid)
            for round_no in range(sizes.vllm_cpu_rounds):
                order = ("direct", "nginx") if round_no % 2 == 0 else ("nginx", "direct")
                for path in order:
                    vllm_before, nginx_before = procs.tree_usage(vllm_proc)[0], nginx.cpu_seconds()
                    rates[path].append(asyncio.run(_drive(urls[path], *args)))
                    if path == "nginx":
                        cpu["nginx"] += nginx.cpu_seconds() - nginx_before
                        cpu["vllm"] += procs.tree_usage(vllm_proc)[0] - vllm_before
            tasks = write_tasks(out_dir / "tasks.jsonl", sizes.vllm_cpu_pipeline_tasks, CANDIDATES_PER_TASK)
            prompts = out_dir / "prompts"
            prompts.mkdir(parents=True, exist_ok=True)
            (prompts / "system.md").write_text(VLLM_CPU_SYSTEM_PROMPT, encoding="utf-8")
            result = run_pipeline(
                tasks, out_dir / "run", [nginx.base_url], str(sizes.vllm_cpu_concurrency),
                out_dir / "pipeline.log", model=model, env=VLLM_CPU_PIPELINE_ENV,
                extra_args=[*VLLM_CPU_PIPELINE_ARGS, "--prompts-dir", str(prompts)],
            )  # fmt: skip
    direct_rate = statistics.median(rates["direct"])
    nginx_rate = statistics.median(rates["nginx"])
    pipeline_tokens = _completion_tokens(out_dir / "run" / RESULTS_FILE)
    pipeline_rate = pipeline_tokens / result.makespan_s if result.makespan_s else 0.0
    table.add("direct", direct_rate, 1.0)
    table.add("through nginx", nginx_rate, nginx_rate / direct_rate)
    table.add(f"pipeline via nginx ({result.succeeded} ok, {result.failed} failed)", pipeline_rate,
              pipeline_rate / direct_rate)  # fmt: skip
    # each round's pair ran back to back: their ratio cancels the drift between rounds
    pair_cost = statistics.median(1 - n / d for d, n in zip(rates["direct"], rates["nginx"], strict=True))
    cpu_share = cpu["nginx"] / cpu["vllm"] if cpu["vllm"] else 0.0
    nginx_requests = sizes.vllm_cpu_requests * sizes.vllm_cpu_rounds
    table.notes.append(
        f"target nginx costs < {NGINX_COST_TARGET:.0%}: by tokens/s {verdict(pair_cost < NGINX_COST_TARGET)} "
        f"({pair_cost:+.1%}, median of the {sizes.vllm_cpu_rounds} back-to-back pairs' costs; runs direct "
        f"{', '.join(f'{r:.0f}' for r in rates['direct'])}, nginx "
        f"{', '.join(f'{r:.0f}' for r in rates['nginx'])} tokens/s, direct spread "
        f"{(max(rates['direct']) - min(rates['direct'])) / direct_rate:.0%} of its median); "
        f"by CPU {verdict(cpu_share < NGINX_COST_TARGET)}: nginx used "
        f"{cpu['nginx'] / nginx_requests * 1000:.2f} ms of CPU per request, {cpu_share:.1%} of what the "
        f"vLLM instance used meanwhile ({cpu['vllm'] / nginx_requests * 1000:.1f} ms per request)"
    )
    if result.failed:
        table.notes.append(f"pipeline failures: {_first_failure(out_dir / 'run' / FAILURES_FILE)}")
    table.notes.append(
        "pipeline share: its completion tokens per second of judging over the direct driver's at the same "
        "concurrency; its requests stop at the verdict's end (no ignore_eos), so lengths differ"
    )
    return [table]


def _completion_tokens(results: Path) -> int:
    return sum(
        r.get("completion_tokens") or 0
        for record in iter_journal(results)
        for r in record.get("requests", [])
    )


def _first_failure(failures: Path) -> str:
    first = next(iter_journal(failures), None)
    return "(no failures.jsonl)" if first is None else str(first.get("reason"))
