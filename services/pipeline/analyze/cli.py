"""The `analyze` command: run, validate, report, compare, check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from analyze.cli_options import argument, option, settings_from
from analyze.settings import Settings

app = typer.Typer(
    help="Judge N candidate code solutions per task with an LLM served by vLLM, and report on the verdicts.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_INTERRUPTED = 130
# Some tasks ended without a verdict: scripts (make analyze, CI) must not take the run for a success.
EXIT_SOME_FAILED = 1
# The run could not go on, whatever the task: the fleet never came up, it refuses every request alike
# (key, model, URL), the journal cannot be written, or it was judged with other settings (resume would
# mix them; --force-resume). Nothing retries it; a setting must change.
EXIT_STOPPED = 2

# Options more than one command takes. Each parameter is named after its Settings field (settings_from).
OutputDirOption = Annotated[Path | None, option("output_dir", "-o", "--output-dir")]
BaseUrlOption = Annotated[list[str] | None, option("base_urls", "--base-url")]
SwapOption = Annotated[bool | None, option("swap", "--swap/--no-swap")]
SeedOption = Annotated[int | None, option("seed")]
LimitOption = Annotated[int | None, option("limit")]
InputTokensOption = Annotated[int | None, option("max_input_tokens")]
PromptsOption = Annotated[Path | None, option("prompts_dir")]
LangOption = Annotated[str | None, option("lang")]
ReportOption = Annotated[bool, typer.Option("--report/--no-report", help="build the report afterwards")]


@app.command()
def run(
    ctx: typer.Context,
    input_jsonl: Annotated[Path, argument("input_jsonl")],
    output_dir: OutputDirOption = None,
    base_urls: BaseUrlOption = None,
    judges: Annotated[list[str] | None, option("judges", "--model", metavar="MODEL")] = None,
    concurrency: Annotated[str | None, option("concurrency", metavar="N|auto")] = None,
    limit: LimitOption = None,
    dispatch_order: Annotated[
        str | None, option("dispatch_order", "--order", metavar="longest-first|input")
    ] = None,
    swap: SwapOption = None,
    seed: SeedOption = None,
    temperature: Annotated[float | None, option("temperature")] = None,
    timeout_s: Annotated[float | None, option("timeout_s", "--timeout", metavar="SECONDS")] = None,
    max_retries: Annotated[int | None, option("max_retries")] = None,
    max_input_tokens: InputTokensOption = None,
    max_output_tokens: Annotated[int | None, option("max_output_tokens")] = None,
    prompts_dir: PromptsOption = None,
    force_resume: Annotated[bool, option("force_resume", "--force-resume")] = False,
    rejudge_changed: Annotated[bool, option("rejudge_changed", "--rejudge-changed")] = False,
    lang: LangOption = None,
    wait_ready_s: Annotated[float | None, option("wait_ready_s", "--wait-ready", metavar="SECONDS")] = None,
    execute: Annotated[str | None, option("execute", "--execute", metavar="auto|on|off")] = None,
    sandbox: Annotated[str | None, option("sandbox", "--sandbox", metavar="ADDRESS")] = None,
    exec_timeout_s: Annotated[
        float | None, option("exec_timeout_s", "--exec-timeout", metavar="SECONDS")
    ] = None,
    exec_feedback: Annotated[
        bool | None, option("exec_feedback", "--exec-feedback/--no-exec-feedback")
    ] = None,
    report: ReportOption = True,
) -> None:
    """Judge every task; rerun on the same OUTPUT_DIR to resume (finished tasks are skipped).

    Tasks that carry tests have them run in the sandbox first (--execute, --sandbox; docs/sandbox.md).
    --model A --model B: a panel, one run per judge and their jury (docs/report.md, "A panel of judges")."""
    from analyze.fleet.readiness import FleetNotReadyError, NotServedError
    from analyze.journal.records import JournalFormatError
    from analyze.journal.store import JournalWriteError
    from analyze.judge_panel import run_panel
    from analyze.judging.fingerprint import ConfigurationMismatch
    from analyze.pipeline import NoModelError, SandboxUnavailable, execute_pipeline
    from analyze.report import JournalError, ReportWriteError
    from analyze.running.runner import EmptyInput, JournalMismatch

    settings = settings_from(ctx)
    if not input_jsonl.is_file():
        typer.echo(f"error: cannot read {input_jsonl}", err=True)
        raise typer.Exit(2)
    try:
        outcome = (
            run_panel(settings, report=report)
            if settings.judges
            else execute_pipeline(settings, report=report)
        )
    except (
        JournalError,
        ReportWriteError,
        FleetNotReadyError,
        NotServedError,
        ConfigurationMismatch,
        SandboxUnavailable,
        JournalMismatch,
        JournalFormatError,
        JournalWriteError,
        EmptyInput,
    ) as exc:
        # an OSError's strerror is the sentence without its "[Errno N]"
        typer.echo(f"error: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}", err=True)
        raise typer.Exit(EXIT_STOPPED) from exc
    except (NoModelError, RuntimeError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for name, path in outcome.paths.items():
        typer.echo(f"   {name}: {settings.shown_path(path)}")
    if outcome.stopped is not None:
        typer.echo(f"error: run stopped: {outcome.stopped}", err=True)
        raise typer.Exit(EXIT_STOPPED)
    if outcome.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if outcome.failed:
        typer.echo(
            f"error: {outcome.failed} task(s) failed (reasons in failures.jsonl); "
            "rerun the same command to retry only those",
            err=True,
        )
        raise typer.Exit(EXIT_SOME_FAILED)


@app.command()
def validate(
    input_jsonl: Annotated[Path, typer.Argument(help="tasks JSONL")],
    as_json: Annotated[bool, typer.Option("--json", help='print {"valid": n, "rejected": [...]}')] = False,
) -> None:
    """Check the input without calling any model, and say which tests each task carries (--json: per task).

    Exit 0: all valid, 1: some lines rejected, 2: unreadable."""
    from analyze.inputs.validate import validate_file

    try:
        report = validate_file(input_jsonl)
    except OSError as exc:
        typer.echo(f"error: cannot read {input_jsonl}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        for line in report.text_lines():
            typer.echo(line)
    raise typer.Exit(1 if report.rejected else 0)


@app.command("report")
def report_command(
    ctx: typer.Context,
    output_dir: Annotated[Path, typer.Argument(help="directory holding results.jsonl")],
    lang: LangOption = None,
) -> None:
    """Rebuild tables, charts, word cloud and HTML from the journal in OUTPUT_DIR."""
    from analyze.pipeline import report_options
    from analyze.progress import Console
    from analyze.report import JournalError, ReportWriteError, build_report

    if not output_dir.is_dir():
        typer.echo(f"error: {output_dir} is not a directory", err=True)
        raise typer.Exit(2)
    settings = settings_from(ctx)
    try:
        paths = build_report(output_dir, **report_options(settings, Console(settings.lang)))
    except (JournalError, ReportWriteError) as exc:  # the message names the file (and line) at fault
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for name, path in paths.items():
        typer.echo(f"   {name}: {settings.shown_path(path)}")


@app.command("compare")
def compare_command(
    ctx: typer.Context,
    run_dirs: Annotated[list[Path], typer.Argument(help="two or more output directories of analyze run")],
    output_dir: Annotated[Path, option("output_dir", "-o", "--output-dir", required=True)],
    lang: LangOption = None,
    jury: Annotated[bool, typer.Option("--jury", help="pool the runs as judges of the same tasks")] = False,
) -> None:
    """Do the runs agree? compare.json, compare.csv and compare.html in OUTPUT_DIR, and a short table."""
    from analyze.compare import compare_runs
    from analyze.report import JournalError, ReportWriteError
    from analyze.report.html_parts import fmt

    if len(run_dirs) < 2:
        raise typer.BadParameter("give at least two run directories", ctx, param_hint="'RUN_DIRS'")
    settings = settings_from(ctx)
    try:
        summary, paths = compare_runs(run_dirs, output_dir, lang=settings.lang, jury=jury)
    except (FileNotFoundError, JournalError, ReportWriteError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    tasks = summary["tasks"]
    typer.echo(
        f"tasks compared {tasks['compared']} (by id only {tasks['compared_by_id']}), changed "
        f"{tasks['changed']}, not in every run {tasks['not_in_every_run']}"
    )
    typer.echo(
        f"{'run A':<20} {'run B':<20} {'lb tau [95% interval]':>24} {'top1':>6} {'task tau':>9} "
        f"{'rho':>6}  agreement"
    )
    for pair in summary["pairs"]:
        interval = (
            f"[{fmt(pair['leaderboard_kendall_tau_ci_low'])}, {fmt(pair['leaderboard_kendall_tau_ci_high'])}]"
        )
        typer.echo(
            f"{pair['a'][:20]:<20} {pair['b'][:20]:<20} {fmt(pair['leaderboard_kendall_tau']):>7} "
            f"{interval:>16} {fmt(pair['top1_agreement']):>6} {fmt(pair['mean_task_kendall_tau']):>9} "
            f"{fmt(pair['score_spearman'].get('overall')):>6}  {pair['agreement']}"
        )
    if summary["jury"]:
        typer.echo(f"jury: Kendall's W {fmt(summary['jury']['kendall_w'])}")
    for name, path in paths.items():
        typer.echo(f"   {name}: {settings.shown_path(path)}")


@app.command()
def check(ctx: typer.Context, base_urls: BaseUrlOption = None) -> None:
    """Each backend: health, served models, running/waiting from /metrics, and behind a balancer each
    instance (name, running, waiting, KV cache use). Exit 1 if any is down."""
    from analyze.fleet.check import check_fleet, format_status

    settings = settings_from(ctx)
    statuses = [check_fleet(url, settings.api_key) for url in settings.resolved_base_urls()]
    for status in statuses:
        typer.echo(format_status(status))
    if not all(s.healthy for s in statuses):
        raise typer.Exit(1)


# --- OpenAI Batch files: the job's requests out, a Batch output back in (analyze.running.batch_*) ---
ContextOption = Annotated[int | None, option("max_model_len")]


def _batch_target(settings: Settings, model: str | None) -> Any:
    from analyze.judging.request import JudgeTarget

    if not model:
        typer.echo(
            "error: pass --model (or ANALYZE_MODEL): a Batch file names the model of every request", err=True
        )
        raise typer.Exit(2)
    return JudgeTarget(model, settings.max_model_len)


@app.command("export-batch")
def export_batch_command(
    ctx: typer.Context,
    input_jsonl: Annotated[Path, argument("input_jsonl")],
    out: Annotated[Path, typer.Option("-o", "--output", help="the Batch input file to write")],
    model: Annotated[str | None, option("model", also="as the Batch service serves it; required")] = None,
    swap: SwapOption = None,
    seed: SeedOption = None,
    limit: LimitOption = None,
    max_input_tokens: InputTokensOption = None,
    max_model_len: ContextOption = None,
    prompts_dir: PromptsOption = None,
) -> None:
    """Write the requests `analyze run` would send first as an OpenAI Batch file (custom_id = task id)."""
    from analyze.running.batch_export import BatchIdError, export_batch

    settings = settings_from(ctx)
    target = _batch_target(settings, settings.model)
    try:
        stats = export_batch(input_jsonl, out, settings, target)
    except OSError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except BatchIdError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for reject in stats.rejects:
        typer.echo(f"  rejected: {reject.reason}", err=True)
    for reason in stats.unfit:
        typer.echo(f"  not exported: {reason}", err=True)
    typer.echo(f"{stats.requests} request(s) for {stats.tasks} task(s) -> {out}")
    if stats.rejects or stats.unfit:
        raise typer.Exit(EXIT_SOME_FAILED)


@app.command("import-batch")
def import_batch_command(
    ctx: typer.Context,
    results_jsonl: Annotated[Path, typer.Argument(help="the Batch output file")],
    input_jsonl: Annotated[
        Path, option("input_jsonl", "--input", also="the one the export was made from", required=True)
    ],
    output_dir: Annotated[Path, option("output_dir", "-o", "--output-dir", required=True)],
    requests: Annotated[
        Path | None, typer.Option(help="the exported Batch input: check the settings rebuild it exactly")
    ] = None,
    model: Annotated[str | None, option("model", also="default: the one the Batch output names")] = None,
    swap: SwapOption = None,
    seed: SeedOption = None,
    limit: LimitOption = None,
    max_input_tokens: InputTokensOption = None,
    max_model_len: ContextOption = None,
    prompts_dir: PromptsOption = None,
    report: ReportOption = True,
) -> None:
    """Turn a Batch output file into OUTPUT_DIR's journal (verdicts validated as in run), then the report."""
    from analyze.pipeline import report_options
    from analyze.progress import Console
    from analyze.report import build_report
    from analyze.running.batch_import import (
        BatchFileError,
        check_requests,
        first_model,
        import_batch,
        index_batch_file,
    )

    settings = settings_from(ctx)
    if not input_jsonl.is_file():
        typer.echo(f"error: cannot read {input_jsonl}", err=True)
        raise typer.Exit(2)
    try:
        chosen = settings.model or first_model(results_jsonl, index_batch_file(results_jsonl, []))
        target = _batch_target(settings, chosen)
        if requests is not None:
            check_requests(requests, input_jsonl, settings, target)
        outcome = import_batch(results_jsonl, input_jsonl, output_dir, settings, target)
    except (BatchFileError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for warning in outcome.warnings:
        typer.echo(f"  warning: {warning}", err=True)
    s = outcome.stats
    typer.echo(f"{s.succeeded} verdict(s), {s.failed} failed, {s.rejected} rejected line(s) -> {output_dir}")
    if report:
        for name, path in build_report(
            output_dir, **report_options(settings, Console(settings.lang))
        ).items():
            typer.echo(f"   {name}: {path}")
    if s.failed:
        typer.echo("error: some tasks have no valid verdict (reasons in failures.jsonl)", err=True)
        raise typer.Exit(EXIT_SOME_FAILED)


if __name__ == "__main__":
    app()
