"""Scenario 9c: the vLLM router's consistent_hash against its round_robin on real vLLM (CPU), 2 instances of
SmolLM2-135M-Instruct, the job with --swap: the instances' prefix-cache hit rate and the makespan.

With --swap a task's two passes share the system prompt and the problem text; only the candidates'
order differs. consistent_hash sends both (one X-Session-ID per task) to one instance, whose prefix cache
then holds the shared part; round robin splits them. Each policy starts on emptied caches.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from analyze.fleet.prometheus import PREFIX_CACHE_HITS, PREFIX_CACHE_QUERIES, first_of
from vllm_sim.testing import free_port

from bench.harness import procs
from bench.harness.pipeline_run import run_pipeline
from bench.harness.prom import scrape
from bench.harness.router import local_router
from bench.harness.tables import Table
from bench.scenarios.vllm_tools import (
    SERVE_ENV,
    SERVED_NAME,
    reset_prefix_cache,
    sample_tasks,
    serve_argv,
    smollm2_dir,
)
from bench.settings import VLLM_CPU_HEALTH_TIMEOUT_S, BenchSizes

INSTANCES = 2
POLICIES = ("round_robin", "consistent_hash")
FINISHED = "vllm:request_success_total"
# SmolLM2 on a shared core: a verdict can take minutes, past the job's 300 s default
JOB_ENV = {"ANALYZE_TIMEOUT": "3600"}


@dataclass(frozen=True)
class CacheRun:
    policy: str
    makespan_s: float
    hits: float  # prompt tokens found in the prefix cache, both instances
    queries: float  # prompt tokens looked up
    finished: list[float]  # requests each instance finished
    succeeded: int
    failed: int

    @property
    def hit_rate(self) -> float:
        return self.hits / self.queries if self.queries else 0.0


def _counter(page: dict[str, float], names: tuple[str, ...]) -> float:
    value = first_of(page, names)
    if value is None:
        raise RuntimeError(f"the instance's /metrics has none of {names}: is it vLLM?")
    return value


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    out_dir.mkdir(parents=True, exist_ok=True)
    model_dir = smollm2_dir(out_dir.parent)
    tasks = sample_tasks(out_dir / "tasks.jsonl", sizes.vllm_tools_candidates, sizes.balancer_vllm_tasks)
    ports = [free_port() for _ in range(INSTANCES)]
    servers = [f"http://127.0.0.1:{port}" for port in ports]
    concurrency = str(INSTANCES * sizes.vllm_tools_max_num_seqs * sizes.vllm_tools_headroom)
    runs: list[CacheRun] = []
    with contextlib.ExitStack() as stack:
        started = []
        for index, port in enumerate(ports):
            log = out_dir / f"serve-{index + 1}.log"
            started.append((procs.start(serve_argv(model_dir, port, sizes), log, SERVE_ENV), log))
            stack.callback(procs.stop, started[-1][0])
        for (proc, log), server in zip(started, servers, strict=True):  # both load at once
            procs.wait_up(proc, log, f"{server}/health", VLLM_CPU_HEALTH_TIMEOUT_S)
        # first-request costs paid before any measured run: one task on each instance at once (the job's
        # own balancing over both, least outstanding requests)
        run_pipeline(tasks, out_dir / "warmup", [f"{server}/v1" for server in servers], concurrency,
                     out_dir / "warmup.log", env={**JOB_ENV, "ANALYZE_LIMIT": str(INSTANCES)},
                     model=SERVED_NAME)  # fmt: skip
        upstreams = [f"127.0.0.1:{port}" for port in ports]
        for policy in POLICIES:
            with local_router(upstreams, policy, out_dir / f"{policy}-lb") as lb:
                for server in servers:
                    reset_prefix_cache(server)
                before = [scrape(f"{server}/metrics") for server in servers]
                result = run_pipeline(tasks, out_dir / policy, [lb.base_url], concurrency,
                                      out_dir / f"{policy}.log", ("--swap",), env=JOB_ENV,
                                      model=SERVED_NAME)  # fmt: skip
                after = [scrape(f"{server}/metrics") for server in servers]
            pairs = list(zip(before, after, strict=True))
            runs.append(CacheRun(
                policy, result.makespan_s,
                sum(_counter(a, PREFIX_CACHE_HITS) - _counter(b, PREFIX_CACHE_HITS) for b, a in pairs),
                sum(_counter(a, PREFIX_CACHE_QUERIES) - _counter(b, PREFIX_CACHE_QUERIES) for b, a in pairs),
                [a.get(FINISHED, 0.0) - b.get(FINISHED, 0.0) for b, a in pairs],
                result.succeeded, result.failed,
            ))  # fmt: skip
    return [_table(runs, sizes)]


def _table(runs: list[CacheRun], sizes: BenchSizes) -> Table:
    table = Table(
        f"9c. The router on vLLM CPU: {INSTANCES} instances of SmolLM2-135M-Instruct "
        f"(--max-num-seqs {sizes.vllm_tools_max_num_seqs}), {sizes.balancer_vllm_tasks} sample tasks of "
        f"{sizes.vllm_tools_candidates} candidates with --swap, caches emptied before each policy",
        ["router policy", "prefix-cache hit rate", "hit tokens", "queried tokens", "requests per instance",
         "makespan (s)", "vs round_robin", "ok", "failed"],
    )  # fmt: skip
    base = runs[0].makespan_s
    for r in runs:
        per_instance = " / ".join(f"{n:.0f}" for n in r.finished)
        ratio = r.makespan_s / base if base else 0.0
        table.add(r.policy, r.hit_rate, int(r.hits), int(r.queries), per_instance, r.makespan_s, ratio,
                  r.succeeded, r.failed)  # fmt: skip
    table.notes.append(
        "hit rate: vllm:prefix_cache_hits / vllm:prefix_cache_queries (prompt tokens) over the run, both "
        "instances summed; the warm-up (a task on each instance) ran before and the caches were reset. "
        "Requests per instance: vllm:request_success_total, verdict retries included. One run per policy "
        "on shared cores: a makespan gap of a few % is noise"
    )
    return table
