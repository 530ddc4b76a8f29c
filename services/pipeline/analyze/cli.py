"""The `analyze` command: run, validate, report, check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from analyze.settings import Settings, parse_concurrency

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


def _concurrency(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_concurrency(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _settings(**overrides: Any) -> Settings:
    """Environment first, then every flag the user actually passed."""
    try:
        base = Settings()
        return Settings.model_validate(
            {**base.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
        )
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def run(
    input_jsonl: Annotated[Path, typer.Argument(help="tasks JSONL (one task per line)")],
    output_dir: Annotated[
        Path | None, typer.Option("-o", "--output-dir", help="journal and report directory")
    ] = None,
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="OpenAI-compatible base URL; repeat for several")
    ] = None,
    model: Annotated[str | None, typer.Option(help="judge model (default: the one the server lists)")] = None,
    concurrency: Annotated[
        str | None, typer.Option(help="requests in flight: a number or 'auto' (default: fleet slots x 2)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="only the first N valid tasks of the input")] = None,
    order: Annotated[
        str | None,
        typer.Option(
            "--order",
            metavar="longest-first|input",
            help="which tasks go first: the largest (default: the batch does not end on a few long "
            "verdicts) or the input's order; verdicts are the same",
        ),
    ] = None,
    swap: Annotated[
        bool | None,
        typer.Option("--swap/--no-swap", help="judge again with every candidate moved (rotated order)"),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="seed of the candidate shuffle and of sampling")] = None,
    temperature: Annotated[float | None, typer.Option(help="sampling temperature of the judge")] = None,
    timeout: Annotated[float | None, typer.Option(help="per-request timeout in seconds")] = None,
    max_retries: Annotated[
        int | None, typer.Option(help="retries on 429/5xx/timeouts/connection errors")
    ] = None,
    max_input_tokens: Annotated[
        int | None, typer.Option(help="prompt budget; longer candidates are truncated")
    ] = None,
    max_output_tokens: Annotated[
        int | None, typer.Option(help="cap on max_tokens (each request asks for its verdict's largest size)")
    ] = None,
    prompts_dir: Annotated[
        Path | None, typer.Option(help="directory with system.md / user.md / repair.md overrides")
    ] = None,
    force_resume: Annotated[
        bool,
        typer.Option("--force-resume", help="resume although the journal was judged with other settings"),
    ] = False,
    lang: Annotated[
        str | None, typer.Option(help="language of the console and the report: zh or en (ANALYZE_LANG)")
    ] = None,
    wait_ready: Annotated[
        float | None,
        typer.Option(
            "--wait-ready",
            metavar="SECONDS",
            help="wait up to this long for a backend to list the judge model (default 1800; 0: no wait)",
        ),
    ] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="build the report afterwards")] = True,
) -> None:
    """Judge every task; rerun on the same OUTPUT_DIR to resume (finished tasks are skipped)."""
    from analyze.fleet.readiness import FleetNotReadyError, NotServedError
    from analyze.judging.fingerprint import ConfigurationMismatch
    from analyze.pipeline import NoModelError, execute_pipeline

    settings = _settings(
        input_jsonl=input_jsonl,
        output_dir=output_dir,
        base_urls=base_url or None,
        model=model,
        concurrency=_concurrency(concurrency),
        limit=limit,
        dispatch_order=order,
        swap=swap,
        seed=seed,
        temperature=temperature,
        timeout_s=timeout,
        max_retries=max_retries,
        max_input_tokens=max_input_tokens,
        max_output_tokens=max_output_tokens,
        prompts_dir=prompts_dir,
        force_resume=force_resume or None,
        lang=lang,
        wait_ready_s=wait_ready,
    )
    if not input_jsonl.is_file():
        typer.echo(f"error: cannot read {input_jsonl}", err=True)
        raise typer.Exit(2)
    try:
        outcome = execute_pipeline(settings, report=report)
    except (FleetNotReadyError, NotServedError, ConfigurationMismatch) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_STOPPED) from exc
    except (NoModelError, RuntimeError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for name, path in outcome.paths.items():
        typer.echo(f"   {name}: {settings.shown_path(path)}")
    if outcome.stats.stopped is not None:
        typer.echo(f"error: run stopped: {outcome.stats.stopped}", err=True)
        raise typer.Exit(EXIT_STOPPED)
    if outcome.stats.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if outcome.stats.failed:
        typer.echo(
            f"error: {outcome.stats.failed} task(s) failed (reasons in failures.jsonl); "
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
    output_dir: Annotated[Path, typer.Argument(help="directory holding results.jsonl")],
    lang: Annotated[
        str | None, typer.Option(help="language of the report and console: zh or en (ANALYZE_LANG)")
    ] = None,
) -> None:
    """Rebuild tables, charts, word cloud and HTML from the journal in OUTPUT_DIR."""
    from analyze.pipeline import report_options
    from analyze.progress import Console
    from analyze.report import JournalError, ReportWriteError, build_report

    if not output_dir.is_dir():
        typer.echo(f"error: {output_dir} is not a directory", err=True)
        raise typer.Exit(2)
    settings = _settings(lang=lang)
    try:
        paths = build_report(output_dir, **report_options(settings, Console(settings.lang)))
    except (JournalError, ReportWriteError) as exc:  # the message names the file (and line) at fault
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for name, path in paths.items():
        typer.echo(f"   {name}: {settings.shown_path(path)}")


@app.command()
def check(
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="base URL; repeat for several")
    ] = None,
) -> None:
    """Each backend: health, served models, running/waiting from /metrics, and behind a balancer each
    instance (name, running, waiting, KV cache use). Exit 1 if any is down."""
    from analyze.fleet.check import check_fleet, format_status

    settings = _settings(base_urls=base_url or None)
    statuses = [check_fleet(url, settings.api_key) for url in settings.resolved_base_urls()]
    for status in statuses:
        typer.echo(format_status(status))
    if not all(s.healthy for s in statuses):
        raise typer.Exit(1)


# --- OpenAI Batch files: the job's requests out, a Batch output back in (analyze.running.batch_*) ---
ModelOption = Annotated[str | None, typer.Option(help="judge model, as the Batch service serves it")]
SwapOption = Annotated[bool | None, typer.Option("--swap/--no-swap", help="a second, rotated pass")]
SeedOption = Annotated[int | None, typer.Option(help="seed of the candidate shuffle")]
LimitOption = Annotated[int | None, typer.Option(help="only the first N valid tasks of the input")]
InputTokensOption = Annotated[int | None, typer.Option(help="prompt budget, as for run")]
ContextOption = Annotated[
    int | None, typer.Option(help="the server's context (its max_model_len): max_tokens is budgeted in it")
]
PromptsOption = Annotated[Path | None, typer.Option(help="directory with system.md / user.md overrides")]


def _batch_target(settings: Settings, model: str | None) -> Any:
    from analyze.judging.request import JudgeTarget

    if not model:
        typer.echo(
            "error: pass --model (or ANALYZE_MODEL): a Batch file names the model of every request", err=True
        )
        raise typer.Exit(2)
    return JudgeTarget(model, settings.max_model_len)


def _batch_settings(
    model: str | None,
    swap: bool | None,
    seed: int | None,
    limit: int | None,
    max_input_tokens: int | None,
    max_model_len: int | None,
    prompts_dir: Path | None,
) -> Settings:
    """The flags that shape a Batch request: export and import take the same, so import rebuilds them."""
    return _settings(model=model, swap=swap, seed=seed, limit=limit, max_input_tokens=max_input_tokens,
                     max_model_len=max_model_len, prompts_dir=prompts_dir)  # fmt: skip


@app.command("export-batch")
def export_batch_command(
    input_jsonl: Annotated[Path, typer.Argument(help="tasks JSONL")],
    out: Annotated[Path, typer.Option("-o", "--output", help="the Batch input file to write")],
    model: ModelOption = None,
    swap: SwapOption = None,
    seed: SeedOption = None,
    limit: LimitOption = None,
    max_input_tokens: InputTokensOption = None,
    max_model_len: ContextOption = None,
    prompts_dir: PromptsOption = None,
) -> None:
    """Write the requests `analyze run` would send first as an OpenAI Batch file (custom_id = task id)."""
    from analyze.running.batch_export import BatchIdError, export_batch

    settings = _batch_settings(model, swap, seed, limit, max_input_tokens, max_model_len, prompts_dir)
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
    results_jsonl: Annotated[Path, typer.Argument(help="the Batch output file")],
    input_jsonl: Annotated[Path, typer.Option("--input", help="the tasks JSONL the export was made from")],
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="journal and report directory")],
    requests: Annotated[
        Path | None, typer.Option(help="the exported Batch input: check the settings rebuild it exactly")
    ] = None,
    model: ModelOption = None,
    swap: SwapOption = None,
    seed: SeedOption = None,
    limit: LimitOption = None,
    max_input_tokens: InputTokensOption = None,
    max_model_len: ContextOption = None,
    prompts_dir: PromptsOption = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="build the report afterwards")] = True,
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

    settings = _batch_settings(model, swap, seed, limit, max_input_tokens, max_model_len, prompts_dir)
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
