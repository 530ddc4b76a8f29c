"""A panel of judges on one fleet: `analyze run --model A --model B` judges every task with each model.

A fleet can serve two judge models at once (compose/fleet.py --judge gives its instances different
models). /v1/models of every backend is read once to find which backends serve which judge; each judge
then gets a run of its own, on its backends only, in OUTPUT_DIR/<model> (resumable like any run), one
after another: a judge's run is the ordinary run, with its journal, fingerprint and report. When every
run has finished, `analyze compare --jury` of them is written to OUTPUT_DIR/jury.

One after another leaves the other judges' instances idle while a judge runs; to keep every instance
busy, start one `analyze run --model M --base-url ...` per judge at once instead (docs/report.md).
"""

from __future__ import annotations

import asyncio
import re
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from analyze.fleet.models import ModelsReading, read_fleet_models
from analyze.fleet.readiness import NotServedError, ProbeState, classify_reading
from analyze.fleet.urls import redact_url
from analyze.pipeline import PipelineOutcome, execute_pipeline, reading_problem
from analyze.progress import Console
from analyze.settings import Settings

JURY_DIR = "jury"
# A directory name from a model name: what is safe on every file system, short enough for any of them.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
DIR_NAME_CHARS = 80


@dataclass(frozen=True)
class JudgeRun:
    model: str
    base_urls: list[str]
    output_dir: Path


@dataclass
class PanelOutcome:
    """Each judge's outcome, in the panel's order (a run the panel never reached has none), and the
    paths written: every run's, keyed `<model dir>/<name>`, and the jury's."""

    runs: list[tuple[JudgeRun, PipelineOutcome]] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def stopped(self) -> str | None:
        return next((o.stopped for _, o in self.runs if o.stopped is not None), None)

    @property
    def interrupted(self) -> bool:
        return any(o.interrupted for _, o in self.runs)

    @property
    def failed(self) -> int:
        return sum(o.failed for _, o in self.runs)


def judge_dir_names(models: Sequence[str]) -> list[str]:
    """One directory name per model: its safe characters (`/` and the rest become `_`), never `.` or
    `..`, at most DIR_NAME_CHARS, made distinct by a `-2`, `-3` suffix where two models read alike.
    Case-insensitively distinct too, for file systems that fold case."""
    names: list[str] = []
    taken: set[str] = set()
    for model in models:
        base = _UNSAFE.sub("_", model).strip("._-")[:DIR_NAME_CHARS] or "judge"
        if base.lower() == JURY_DIR:
            base = f"{base}-judge"
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name.lower())
        names.append(name)
    return names


def plan_panel(models: Sequence[str], readings: Sequence[ModelsReading], output_dir: Path) -> list[JudgeRun]:
    """Each judge with the backends that list it. Raises NotServedError naming every judge no backend
    serves, and what each backend said."""
    served = {r.base_url: {m.id for m in r.served or ()} for r in readings}
    unserved = [m for m in models if not any(m in ids for ids in served.values())]
    if unserved:
        said = "; ".join(
            f"{redact_url(r.base_url)}: {', '.join(sorted(served[r.base_url])) or reading_problem(r)}"
            for r in readings
        )
        raise NotServedError(f"no backend serves judge {', '.join(map(repr, unserved))} ({said})")
    return [
        JudgeRun(model, [r.base_url for r in readings if model in served[r.base_url]], output_dir / name)
        for model, name in zip(models, judge_dir_names(models), strict=True)
    ]


async def read_panel_models(
    settings: Settings, base_urls: Sequence[str], console: Console
) -> list[ModelsReading]:
    """/v1/models of every backend, read again until every one lists its models or --wait-ready has
    passed: a backend still loading when the panel is planned would judge for no one."""
    backends = [(url, settings.api_key) for url in base_urls]
    deadline = time.monotonic() + settings.wait_ready_s
    announced = False
    async with aiohttp.ClientSession() as session:
        while True:
            readings = await read_fleet_models(session, backends, settings.ready_probe_timeout_s)
            probes = [(r, classify_reading(r, None)) for r in readings]
            refused = [(r, p) for r, p in probes if p.state is ProbeState.REFUSED]
            if refused:  # a wrong key or URL: waiting cannot help, as for a single judge
                raise NotServedError("; ".join(f"{redact_url(r.base_url)}: {p.detail}" for r, p in refused))
            silent = [redact_url(r.base_url) for r, p in probes if p.state is ProbeState.STARTING]
            if not silent or time.monotonic() >= deadline:
                if silent:
                    console.say("panel_left_out", urls=", ".join(silent))
                return readings
            if not announced:
                console.say("panel_wait", n=len(silent), limit=round(settings.wait_ready_s))
                announced = True
            await asyncio.sleep(settings.ready_poll_s)


def judge_settings(settings: Settings, run: JudgeRun) -> Settings:
    """The panel's settings for one judge: its model, its backends, its directory."""
    update: dict[str, object] = {
        "model": run.model,
        "judges": [],
        "base_urls": run.base_urls,
        "output_dir": run.output_dir,
    }
    return settings.model_copy(update=update)


def panel_command(settings: Settings) -> str:
    judges = "".join(f" --model {shlex.quote(model)}" for model in settings.judges)
    paths = f"{shlex.quote(str(settings.input_jsonl))} -o {shlex.quote(str(settings.output_dir))}"
    return f"analyze run {paths}{judges}"


def run_panel(settings: Settings, *, console: Console | None = None, report: bool = True) -> PanelOutcome:
    """Judge every task with each of settings.judges (two or more), then the jury of their runs."""
    from analyze.compare import compare_runs  # compare sits above the report; only a panel needs it

    console = console or Console(settings.lang, interval_s=settings.progress_interval_s)
    readings = asyncio.run(read_panel_models(settings, settings.resolved_base_urls(), console))
    plan = plan_panel(settings.judges, readings, settings.output_dir)
    outcome = PanelOutcome()
    resume = panel_command(settings)
    for index, run in enumerate(plan, 1):
        console.line()
        console.say(
            "panel_judge",
            index=index,
            n=len(plan),
            model=run.model,
            urls=", ".join(map(redact_url, run.base_urls)),
            output_dir=settings.shown_path(run.output_dir),
        )
        result = execute_pipeline(
            judge_settings(settings, run), console=console, report=report, resume=resume
        )
        outcome.runs.append((run, result))
        outcome.paths.update({f"{run.output_dir.name}/{name}": path for name, path in result.paths.items()})
        if result.interrupted or result.stopped is not None:
            return outcome  # the run said how to resume; the next judges wait for that
    if report:
        _, jury_paths = compare_runs(
            [run.output_dir for run in plan], settings.output_dir / JURY_DIR, lang=settings.lang, jury=True
        )
        outcome.paths.update({f"{JURY_DIR}/{name}": path for name, path in jury_paths.items()})
        console.say("panel_jury", output_dir=settings.shown_path(settings.output_dir / JURY_DIR))
    return outcome
