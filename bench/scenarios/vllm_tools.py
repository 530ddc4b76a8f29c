"""Scenario 6: the job against vLLM's own tools on a real model (SmolLM2-135M-Instruct, vLLM CPU).

The same exported requests (`analyze export-batch`: prompts, schema, sampling, max_tokens) everywhere:
(a) `vllm run-batch` on the Batch file, (b) the job against `vllm serve`, (c) the job through nginx,
(d) `vllm bench serve` replaying the same prompts with (a)'s output lengths at the job's concurrency,
(e) the job with free text instead of a schema. Two rounds in ABBA order (a b c d e, then e d c b a), so
drift of the shared machine hits every variant alike; each figure is the mean of its two runs.
Generated tokens are the server's own count (`vllm:generation_tokens_total`), so a verdict the job asks
again counts as work, not as throughput. The server's prefix cache is emptied before each variant: the
variants send the same prompts, and a variant that found the one before it cached skipped its prefill
((c) after (b) took 8 s less per request); each now shares prefixes only within its own batch, as
run-batch's fresh engine does.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from analyze.journal.records import FAILURES_FILE, RESULTS_FILE
from analyze.journal.store import iter_journal
from vllm_cpu_serve.launcher import ServeOptions, vllm_argv
from vllm_sim.testing import free_port

from bench.harness import procs
from bench.harness.nginx import local_nginx
from bench.harness.pipeline_run import run_pipeline
from bench.harness.prom import scrape
from bench.harness.tables import Table, verdict
from bench.settings import REPO_ROOT, VLLM_CPU_HEALTH_TIMEOUT_S, VLLM_CPU_PYTHON, BenchSizes

VLLM_TOOL = REPO_ROOT / "bench" / "harness" / "vllm_tool.py"
SAMPLE_TASKS = REPO_ROOT / "data" / "tasks.jsonl"
SERVED_NAME = "smollm2"
GENERATED = "vllm:generation_tokens_total"
FINISHED = "vllm:request_success_total"
# vLLM serves POST /reset_prefix_cache only in its dev mode
SERVE_ENV = {"VLLM_SERVER_DEV_MODE": "1"}
RESET_TRIES = 20  # the reset fails while blocks are still held (a request just finishing): try again
BENCH_SERVE_TARGET = 0.95  # the job's tokens/s over vllm bench serve's, at equal concurrency
RUN_BATCH_TARGET = 1.05  # the job's makespan over vllm run-batch's
SCHEMA_COST_TARGET = 0.10  # tokens/s lost to structured output
VARIANTS = ("a", "b", "c", "d", "e")
# Unconstrained, SmolLM2 writes on to max_tokens (~1,900 here) and the job would ask again up to 3 times,
# each a cut reply: 40 min for a figure that is a rate. One attempt per verdict measures the same rate.
FREE_TEXT_ENV = {"ANALYZE_STRUCTURED_OUTPUT": "false", "ANALYZE_MAX_VERDICT_RETRIES": "0"}
NAMES = {
    "a": "(a) vllm run-batch on the exported file",
    "b": "(b) the job -> vllm serve",
    "c": "(c) the job -> nginx -> vllm serve",
    "d": "(d) vllm bench serve, same prompts and lengths",
    "e": "(e) the job -> vllm serve, free text (no schema)",
}


@dataclass
class Measure:
    makespan_s: float
    tokens: float  # generated (completion) tokens
    requests: float
    verdicts: str = "-"

    @property
    def rate(self) -> float:
        return self.tokens / self.makespan_s if self.makespan_s else 0.0


@dataclass
class Context:
    sizes: BenchSizes
    out: Path
    model_dir: Path
    tasks: Path
    requests: Path
    env: dict[str, str]
    concurrency: int
    lengths: dict[str, int] = field(default_factory=dict)  # custom_id -> (a)'s completion tokens
    results: dict[str, list[Measure]] = field(default_factory=dict)


def _engine_args(sizes: BenchSizes) -> list[str]:
    # extra args come last in vllm_cpu_serve's argv, so these override its defaults
    return [
        f"--max-num-seqs={sizes.vllm_tools_max_num_seqs}",
        f"--max-model-len={sizes.vllm_tools_max_model_len}",
    ]


def _vllm_tool(ctx: Context, name: str, argv: list[str]) -> Path:
    """Run `vllm ARGV` through bench/harness/vllm_tool.py; returns its timing file."""
    timing = ctx.out / f"{name}.timing.json"
    timing.unlink(missing_ok=True)
    log = ctx.out / f"{name}.log"
    with log.open("wb") as handle:
        done = subprocess.run(
            [str(VLLM_CPU_PYTHON), str(VLLM_TOOL), str(timing), "vllm", *argv],
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"vllm {argv[0]} exited with {done.returncode}:\n{procs.tail(log)}")
    return timing


def serve_argv(model_dir: Path, port: int, sizes: BenchSizes) -> list[str]:
    """`vllm serve` of `model_dir` on CPU (vllm_cpu_serve) as scenario 6 runs it, named SERVED_NAME."""
    return [
        str(VLLM_CPU_PYTHON),
        "-m",
        "vllm_cpu_serve",
        "serve",
        "--model",
        str(model_dir),
        "--port",
        str(port),
        "--served-model-name",
        SERVED_NAME,
        *_engine_args(sizes),
    ]


def run_batch(ctx: Context, tag: str) -> Measure:
    output = ctx.out / f"a-{tag}.results.jsonl"
    # the very engine arguments `serve` gets (vllm_cpu_serve.launcher), minus the server's own
    serve = vllm_argv(
        ServeOptions(
            model=str(ctx.model_dir),
            port=free_port(),
            served_model_name=SERVED_NAME,
            extra_args=tuple(_engine_args(ctx.sizes)),
        )
    )
    argv = ["run-batch", "-i", str(ctx.requests), "-o", str(output), "--model", serve[2], *serve[3:]]
    timing = json.loads(_vllm_tool(ctx, f"a-{tag}", argv).read_text())
    tokens = 0
    for line in output.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        body = (entry.get("response") or {}).get("body") or {}
        used = (body.get("usage") or {}).get("completion_tokens") or 0
        ctx.lengths.setdefault(entry["custom_id"], used)
        tokens += used
    return Measure(timing["makespan_s"], tokens, timing["requests"], _imported_verdicts(ctx, output, tag))


def _imported_verdicts(ctx: Context, output: Path, tag: str) -> str:
    """How many of run-batch's answers are valid verdicts (analyze import-batch; a Batch has no retries)."""
    journal = ctx.out / f"a-{tag}-imported"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analyze.cli",
            "import-batch",
            str(output),
            "--input",
            str(ctx.tasks),
            "-o",
            str(journal),
            "--requests",
            str(ctx.requests),
            "--no-report",
            "--model",
            SERVED_NAME,
            "--max-model-len",
            str(ctx.sizes.vllm_tools_max_model_len),
        ],
        env={**_os_env(), **ctx.env},
        capture_output=True,
        check=False,
    )
    ok = sum(1 for _ in iter_journal(journal / RESULTS_FILE))
    return f"{ok} / {ok + len(_failed_ids(journal))}"


def _os_env() -> dict[str, str]:
    return dict(os.environ)


def _failed_ids(journal: Path) -> set[str]:
    return {record["task_id"] for record in iter_journal(journal / FAILURES_FILE)}


def job(ctx: Context, name: str, base_url: str, metrics_url: str, env: dict[str, str]) -> Measure:
    before = scrape(metrics_url)
    result = run_pipeline(
        ctx.tasks,
        ctx.out / name,
        [base_url],
        str(ctx.concurrency),
        ctx.out / f"{name}.log",
        model=SERVED_NAME,
        env={**ctx.env, **env},
    )
    after = scrape(metrics_url)
    return Measure(
        result.makespan_s,
        after.get(GENERATED, 0) - before.get(GENERATED, 0),
        after.get(FINISHED, 0) - before.get(FINISHED, 0),
        f"{result.succeeded} / {result.succeeded + result.failed}",
    )


def bench_serve(ctx: Context, tag: str, port: int) -> Measure:
    """`vllm bench serve` on the exported prompts (system + user as one text) with (a)'s output lengths."""
    dataset = ctx.out / "bench-serve-prompts.jsonl"
    with dataset.open("w", encoding="utf-8") as out:
        for line in ctx.requests.read_text(encoding="utf-8").splitlines():
            request = json.loads(line)
            prompt = "\n\n".join(m["content"] for m in request["body"]["messages"])
            out.write(
                json.dumps({"prompt": prompt, "output_tokens": ctx.lengths.get(request["custom_id"], 1)})
                + "\n"
            )
    result_file = f"d-{tag}.json"
    argv = [
        "bench",
        "serve",
        "--backend",
        "openai-chat",
        "--endpoint",
        "/v1/chat/completions",
        "--base-url",
        f"http://127.0.0.1:{port}",
        "--model",
        SERVED_NAME,
        "--tokenizer",
        str(ctx.model_dir),
        "--dataset-name",
        "custom",
        "--dataset-path",
        str(dataset),
        "--custom-output-len",
        "-1",
        "--skip-chat-template",
        "--disable-shuffle",
        "--num-prompts",
        str(len(dataset.read_text(encoding="utf-8").splitlines())),
        "--max-concurrency",
        str(ctx.concurrency),
        "--ignore-eos",
        "--temperature",
        "0",
        "--num-warmups",
        "0",
        "--save-result",
        "--result-dir",
        str(ctx.out),
        "--result-filename",
        result_file,
        "--disable-tqdm",
    ]
    _vllm_tool(ctx, f"d-{tag}", argv)
    saved = json.loads((ctx.out / result_file).read_text())
    # its own count: the server's would add the single-prompt test run bench serve sends first
    return Measure(saved["duration"], saved["total_output_tokens"], saved["completed"])


def reset_prefix_cache(server: str) -> None:
    """Empty the idle server's prefix cache, so a variant never reuses the previous one's prefill."""
    for _ in range(RESET_TRIES):
        answer = httpx.post(f"{server}/reset_prefix_cache", timeout=30)
        answer.raise_for_status()
        if answer.json().get("success"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{server}/reset_prefix_cache kept answering success=false")


def _one_round(ctx: Context, order: tuple[str, ...], tag: str) -> None:
    if order[0] == "a":
        ctx.results.setdefault("a", []).append(run_batch(ctx, tag))
    port = free_port()
    direct = f"http://127.0.0.1:{port}"
    with (
        procs.running(
            serve_argv(ctx.model_dir, port, ctx.sizes),
            ctx.out / f"serve-{tag}.log",
            f"{direct}/health",
            VLLM_CPU_HEALTH_TIMEOUT_S,
            SERVE_ENV,
        ),
        local_nginx([f"127.0.0.1:{port}"], "round_robin", ctx.out / f"nginx-{tag}") as nginx,
    ):
        metrics = f"{direct}/metrics"
        runs: dict[str, Callable[[], Measure]] = {
            "b": lambda: job(ctx, f"b-{tag}", f"{direct}/v1", metrics, {}),
            "c": lambda: job(ctx, f"c-{tag}", nginx.base_url, metrics, {}),
            "d": lambda: bench_serve(ctx, tag, port),
            "e": lambda: job(ctx, f"e-{tag}", f"{direct}/v1", metrics, FREE_TEXT_ENV),
        }
        job(ctx, f"warmup-{tag}", f"{direct}/v1", metrics, {"ANALYZE_LIMIT": "2"})  # first-request costs
        for variant in order:
            if variant != "a":
                reset_prefix_cache(direct)
                ctx.results.setdefault(variant, []).append(runs[variant]())
    if order[-1] == "a":
        ctx.results["a"].append(run_batch(ctx, tag))


def smollm2_dir(bench_out: Path) -> Path:
    """SmolLM2-135M-Instruct, prepared once under bench/out/models (`prepare-model`, from .venv-vllm's GGUF).

    BENCH_VLLM_TOOLS_MODEL: another model directory, for trying the harness (the figures need SmolLM2).
    """
    model_dir = Path(os.environ.get("BENCH_VLLM_TOOLS_MODEL") or bench_out / "models" / "smollm2")
    if not (model_dir / "config.json").is_file():
        done = subprocess.run(
            [str(VLLM_CPU_PYTHON), "-m", "vllm_cpu_serve", "prepare-model", "--out", str(model_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"prepare-model failed ({done.returncode}): {done.stderr[-1500:]}")
    return model_dir


def sample_tasks(path: Path, candidates: int, count: int) -> Path:
    """The first `count` tasks of data/tasks.jsonl with `candidates` candidates, written to `path`."""
    sample = SAMPLE_TASKS.read_text(encoding="utf-8").splitlines()
    lines = [line for line in sample if len(json.loads(line)["candidates"]) == candidates][:count]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def prepare(sizes: BenchSizes, out: Path) -> Context:
    model_dir = smollm2_dir(out.parent)
    out.mkdir(parents=True, exist_ok=True)
    # sample tasks of N candidates: one budget (max_tokens) for all, so the variants' work is alike
    tasks = sample_tasks(out / "tasks.jsonl", sizes.vllm_tools_candidates, sizes.vllm_tools_tasks)
    # SmolLM2 on one core runs ~3 tokens/s per stream at 6 at once: a free-text attempt of ~1,900 tokens
    # takes ~10 min, past the job's 300 s default, and would be cut and sent again from the start.
    env: dict[str, str] = {"ANALYZE_TIMEOUT": "3600"}
    requests = out / "requests.jsonl"
    # the job learns the context from /v1/models; the export is told the same (--max-model-len)
    export = [sys.executable, "-m", "analyze.cli", "export-batch", str(tasks), "-o", str(requests), "--model",
              SERVED_NAME, "--max-model-len", str(sizes.vllm_tools_max_model_len)]  # fmt: skip
    subprocess.run(export, env={**_os_env(), **env}, check=True, capture_output=True)
    concurrency = sizes.vllm_tools_max_num_seqs * sizes.vllm_tools_headroom
    return Context(sizes, out, model_dir, tasks, requests, env, concurrency)


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    s = sizes
    table = Table(
        f"6. The job vs vLLM's own tools: SmolLM2-135M-Instruct on vLLM CPU, one instance "
        f"(--max-num-seqs {s.vllm_tools_max_num_seqs}, --max-model-len {s.vllm_tools_max_model_len}), "
        f"{s.vllm_tools_tasks} sample tasks of {s.vllm_tools_candidates} candidates, the job's concurrency "
        f"{s.vllm_tools_max_num_seqs * s.vllm_tools_headroom}",
        [
            "variant",
            "makespan s",
            "generated tokens",
            "tokens/s",
            "makespan / (a)",
            "tokens/s / (d)",
            "requests",
            "valid verdicts",
        ],
    )
    if not VLLM_CPU_PYTHON.is_file():
        table.notes.append(f"skipped: {VLLM_CPU_PYTHON} is missing (make vllm-cpu-env)")
        return [table]
    ctx = prepare(sizes, out_dir)
    started = time.monotonic()
    _one_round(ctx, VARIANTS, "1")
    first_round_s = time.monotonic() - started
    if s.vllm_tools_rounds > 1 and first_round_s <= s.vllm_tools_second_round_budget_s:
        _one_round(ctx, tuple(reversed(VARIANTS)), "2")
    elif s.vllm_tools_rounds > 1:
        table.notes.append(
            f"one round only (a b c d e): the first took {first_round_s:.0f} s, over the "
            f"{s.vllm_tools_second_round_budget_s:.0f} s budget for a second (e d c b a)"
        )
    mean = {v: _mean(ms) for v, ms in ctx.results.items()}
    for v in VARIANTS:
        m = mean[v]
        table.add(
            NAMES[v],
            m.makespan_s,
            m.tokens,
            m.rate,
            m.makespan_s / mean["a"].makespan_s,
            m.rate / mean["d"].rate,
            m.requests,
            m.verdicts,
        )
    _notes(table, mean, ctx)
    return [table]


def _mean(measures: list[Measure]) -> Measure:
    return Measure(
        statistics.fmean(m.makespan_s for m in measures),
        statistics.fmean(m.tokens for m in measures),
        statistics.fmean(m.requests for m in measures),
        ", ".join(m.verdicts for m in measures),
    )


def _notes(table: Table, mean: dict[str, Measure], ctx: Context) -> None:
    b, a, d, e = mean["b"], mean["a"], mean["d"], mean["e"]
    serve_ratio = b.rate / d.rate
    batch_ratio = b.makespan_s / a.makespan_s
    schema_cost = 1 - b.rate / e.rate
    table.notes.append(
        f"target the job >= {BENCH_SERVE_TARGET} x vllm bench serve tokens/s at equal concurrency "
        f"({ctx.concurrency}): {verdict(serve_ratio >= BENCH_SERVE_TARGET)} ({serve_ratio:.3f})"
    )
    table.notes.append(
        f"target the job's makespan <= {RUN_BATCH_TARGET} x vllm run-batch: "
        f"{verdict(batch_ratio <= RUN_BATCH_TARGET)} "
        f"({batch_ratio:.3f}; run-batch hands the engine every request at once and never retries)"
    )
    table.notes.append(
        f"target structured output costs <= {SCHEMA_COST_TARGET:.0%} tokens/s: "
        f"{verdict(schema_cost <= SCHEMA_COST_TARGET)} ({schema_cost:+.1%}, (b) vs (e))"
    )
    # Free text is not the same work: unconstrained, SmolLM2 writes on to max_tokens, so (e) decodes
    # longer sequences with less prefill per token. (d) replays (b)'s prompts at (a)'s lengths with no
    # schema: (b) against (d) is the schema's cost on equal work (plus whatever the job's client costs).
    equal_work_cost = 1 - b.rate / d.rate
    table.notes.append(
        f"(e) is not equal work: {e.tokens / max(e.requests, 1):.0f} generated tokens per request against "
        f"(b)'s {b.tokens / max(b.requests, 1):.0f}. On equal work, (b) with its schema against (d) without: "
        f"{equal_work_cost:+.1%} tokens/s, {verdict(equal_work_cost <= SCHEMA_COST_TARGET)} "
        f"against the same {SCHEMA_COST_TARGET:.0%}"
    )
    runs = {v: ", ".join(f"{m.makespan_s:.1f}" for m in ms) for v, ms in ctx.results.items()}
    table.notes.append(
        "each row is the mean of its runs in ABBA order (a b c d e, then e d c b a); makespans per run: "
        + "; ".join(f"({v}) {runs[v]} s" for v in VARIANTS)
    )
    table.notes.append(
        "makespan: (a) from handing the batch to the engine to the last answer (model loading and file "
        "writing left out, bench/harness/vllm_tool.py); (b), (c), (e) first request sent to last verdict "
        "journaled; (d) vllm bench serve's own duration. Generated tokens: the server's "
        "vllm:generation_tokens_total for (b), (c), (e) (retries count), the Batch output's usage for (a), "
        "bench serve's own total for (d). "
        "Valid verdicts for (a): its output turned into a journal by analyze import-batch"
    )
