"""`run_pipeline`: the seed's entry point (steps 1-2 judge, 3-6 the report), and `python -m analyze.pipeline`.

`python -m analyze.pipeline` reads the seed's environment variables (USE_MULTI_VLLM, VLLM_PORTS,
VLLM_HOST, INPUT_JSONL, OUTPUT_DIR) plus ANALYZE_*; see docs/pipeline.md.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from analyze.execution.address import parse_address
from analyze.execution.client import SandboxClient, SandboxError
from analyze.execution.executor import ExecutionSettings, TaskExecutor
from analyze.fleet.adaptive_limit import make_limiter
from analyze.fleet.concurrency import Limiter, close_limiter
from analyze.fleet.models import ModelsReading, read_fleet_models
from analyze.fleet.multi_vllm import BackendPool, pool_from_client
from analyze.fleet.readiness import Readiness
from analyze.journal.records import journal_paths
from analyze.judging.request import JudgeTarget
from analyze.progress import Console
from analyze.report import build_report
from analyze.running.runner import Run, RunStats
from analyze.running.task_slots import TaskSlots, limit_multiple
from analyze.settings import Settings, load_settings


class NoModelError(RuntimeError):
    """No backend answered /v1/models, so the judge model cannot be chosen automatically."""


class SandboxUnavailable(RuntimeError):
    """--execute on, and no sandbox answers: the run stops before judging anything."""


async def open_executor(settings: Settings, console: Console) -> TaskExecutor | None:
    """The executor the run's settings ask for: None with --execute off, or auto and no sandbox set or
    answering (said on the console); --execute on without one raises SandboxUnavailable."""
    if settings.execute == "off":
        return None
    if settings.sandbox is None:
        if settings.execute == "on":
            raise SandboxUnavailable("--execute on needs a sandbox: pass --sandbox ADDRESS (ANALYZE_SANDBOX)")
        return None
    address = parse_address(settings.sandbox)
    client = SandboxClient(address)
    try:
        health = await client.health()
    except SandboxError as exc:
        await client.aclose()
        if settings.execute == "on":
            raise SandboxUnavailable(f"--execute on, but the sandbox does not answer: {exc}") from exc
        console.say("sandbox_absent", address=str(address), reason=str(exc))
        return None
    console.say("sandbox", address=str(address), slots=health.slots, languages=", ".join(health.languages))
    return TaskExecutor(client, health.slots, ExecutionSettings(settings.exec_timeout_s, health.languages))


def build_pool(settings: Settings, client: Any = None) -> BackendPool:
    if client is not None:
        return pool_from_client(client, settings)
    return BackendPool(
        settings.resolved_base_urls(),
        api_key=settings.api_key,
        timeout_s=settings.timeout_s,
        cooldown_s=settings.backend_cooldown_s,
    )


def reading_problem(reading: ModelsReading) -> str:
    """Why `reading` offers no judge model: no answer, an error answer, or an empty list."""
    if reading.status is None:
        return reading.error or "no answer"
    if reading.status != 200:
        return f"HTTP {reading.status} on /v1/models"
    return "lists no models" if reading.served is not None else "/v1/models answer has no model list"


def target_from_readings(readings: Sequence[ModelsReading], model: str | None = None) -> JudgeTarget:
    """The judge model (the first listed unless given) and the smallest context any backend lists for it."""
    if model is None:
        model = next((r.served[0].id for r in readings if r.served), None)
    if model is None:
        problems = "; ".join(f"{r.base_url}: {reading_problem(r)}" for r in readings)
        raise NoModelError("cannot choose a judge model (pass --model): " + problems)
    contexts = [m.max_model_len for r in readings for m in r.served or () if m.id == model]
    known = [c for c in contexts if c is not None]  # none known: settings decide (JudgeTarget.context)
    return JudgeTarget(model, min(known) if known else None)


async def resolve_target(
    pool: BackendPool,
    model: str | None = None,
    readings: Sequence[ModelsReading] | None = None,
    *,
    http: aiohttp.ClientSession | None = None,
) -> JudgeTarget:
    """`target_from_readings` of `readings` (readiness's, made at start-up), else of one reading of every
    backend now (`--wait-ready 0`, `analyze_task`): /v1/models is read once either way."""
    if readings is None:
        backends = [(b.base_url, b.api_key) for b in pool.backends]
        if http is None:
            async with aiohttp.ClientSession() as session:
                readings = await read_fleet_models(session, backends)
        else:
            readings = await read_fleet_models(http, backends)
    return target_from_readings(readings, model)


def build_limiter(
    settings: Settings, base_urls: list[str], http: aiohttp.ClientSession | None = None
) -> Limiter:
    concurrency = settings.concurrency or str(settings.default_concurrency(len(base_urls)))
    return make_limiter(
        concurrency, initial=settings.auto_initial_concurrency, base_urls=base_urls, http_client=http
    )


def build_task_slots(settings: Settings, limiter: Limiter) -> TaskSlots:
    bound = limit_multiple(lambda: limiter.limit, settings.task_slots_per_permit, settings.task_slots_floor)
    return TaskSlots(bound, recheck_s=settings.task_slots_recheck_s)


def build_readiness(
    settings: Settings, pool: BackendPool, console: Console, http: aiohttp.ClientSession | None = None
) -> Readiness:
    return Readiness(
        pool,
        settings.model,
        console,
        wait_s=settings.wait_ready_s,
        poll_s=settings.ready_poll_s,
        probe_timeout_s=settings.ready_probe_timeout_s,
        progress_s=settings.progress_interval_s,
        http=http,
    )


async def judge_all(settings: Settings, pool: BackendPool, console: Console) -> RunStats:
    # one session for the run's control requests (/v1/models, /metrics); chats have their own transport
    http = aiohttp.ClientSession()
    async with http, build_readiness(settings, pool, console, http).watching() as readiness:
        model = (await readiness.wait_first()) if readiness.enabled else settings.model
        target = await resolve_target(pool, model or settings.model, readiness.start_readings(), http=http)
        executor = await open_executor(settings, console)  # first: --execute on may stop the run here
        limiter = build_limiter(settings, pool.base_urls, http)
        run = Run(
            settings,
            pool=pool,
            limiter=limiter,
            target=target,
            console=console,
            slots=build_task_slots(settings, limiter),
            readiness=readiness if readiness.enabled else None,
            executor=executor,
        )
        try:
            return await run.execute()
        finally:
            await close_limiter(limiter)
            if executor is not None:
                await executor.client.aclose()


def report_options(settings: Settings, console: Console) -> dict[str, Any]:
    """Keyword arguments for build_report: step banners, the report's language (the console's), and
    the font when settings name one."""
    options: dict[str, Any] = {"on_step": console.report_step, "lang": settings.lang}
    if settings.font_path is not None:
        options["font_path"] = str(settings.font_path)
    return options


def announce_backends(console: Console, pool: BackendPool) -> None:
    console.rule()
    console.say("title")
    console.rule()
    if len(pool.backends) > 1:
        console.say("multi")
        console.say("multi_detail", n=len(pool.backends), urls=", ".join(pool.base_urls))


@dataclass(frozen=True)
class PipelineOutcome:
    stats: RunStats
    paths: dict[str, Path]

    @property
    def stopped(self) -> str | None:
        return self.stats.stopped

    @property
    def interrupted(self) -> bool:
        return self.stats.interrupted

    @property
    def failed(self) -> int:
        return self.stats.failed


def execute_pipeline(
    settings: Settings,
    client: Any = None,
    *,
    console: Console | None = None,
    report: bool = True,
    resume: str | None = None,
) -> PipelineOutcome:
    """Steps 1-6 with explicit settings; `run_pipeline` is the seed-shaped wrapper around this. `resume`:
    the command that resumes the run, when it is not `analyze run INPUT -o OUTPUT` (a panel's judge)."""
    resume = resume or resume_command(settings)
    console = console or Console(settings.lang, interval_s=settings.progress_interval_s)
    pool = build_pool(settings, client)
    announce_backends(console, pool)
    stats = asyncio.run(judge_all(settings, pool, console))
    paths = journal_paths(settings.output_dir)
    if stats.interrupted:
        console.say("interrupted", command=resume)
        return PipelineOutcome(stats, paths)
    if stats.stopped is not None:  # a report of a run cut short (a full disk) would only mislead
        console.say("stopped", command=resume)
        return PipelineOutcome(stats, paths)
    if report:
        paths.update(build_report(settings.output_dir, **report_options(settings, console)))
    console.line()
    console.say("done", output_dir=settings.shown_path(settings.output_dir))
    return PipelineOutcome(stats, paths)


def run_pipeline(
    input_jsonl: str | Path | None = None,
    output_dir: str | Path | None = None,
    client: Any = None,
    *,
    settings: Settings | None = None,
    report: bool = True,
) -> dict[str, Path]:
    """Judge every task of `input_jsonl` into `output_dir`, then build the report; returns the paths written.

    `client` may be a MultiVLLMClient or an OpenAI client; without it the backends come from settings
    (environment variables as in the seed guide).
    """
    overrides: dict[str, Any] = {}
    if input_jsonl is not None:
        overrides["input_jsonl"] = Path(input_jsonl)
    if output_dir is not None:
        overrides["output_dir"] = Path(output_dir)
    settings = (settings or load_settings()).model_copy(update=overrides)
    if settings.judges:  # ANALYZE_JUDGES: a panel, one run per judge on the backends serving it
        if client is not None:
            raise ValueError("a panel of judges (ANALYZE_JUDGES) finds its backends itself: pass no client")
        from analyze.judge_panel import run_panel  # it builds on this module

        return run_panel(settings, report=report).paths
    return execute_pipeline(settings, client, report=report).paths


def resume_command(settings: Settings) -> str:
    return f"analyze run {settings.input_jsonl} -o {settings.output_dir}"


def main() -> int:
    try:
        paths = run_pipeline()
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    settings = load_settings()
    for name, path in paths.items():
        print(f"   {name}: {settings.shown_path(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
