"""Scenario 1: fleet utilization and makespan, seed design vs the pipeline's balancing options."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from analyze.running.dispatch_order import ORDER_INPUT, ORDER_LONGEST_FIRST
from analyze.settings import Settings

from bench.harness import traced_cli
from bench.harness.capacity import imbalance, in_order_bound, service_seconds, true_bound, utilization
from bench.harness.dispatch_model import drawn_durations, round_robin_makespan
from bench.harness.fleet import SimFleet, sim_fleet
from bench.harness.nginx import local_nginx
from bench.harness.pipeline_run import PipelineRun, run_pipeline
from bench.harness.tables import Table, verdict
from bench.harness.taskgen import write_tasks
from bench.seed_baseline import SEED_WORKERS, run_seed
from bench.settings import CANDIDATES_PER_TASK, MODELLED_LENGTH_CAP, SIM_MODEL, BenchSizes, SimProfile

UTILIZATION_TARGET = 0.95
MAKESPAN_TARGET = 0.85  # least_conn or auto vs nginx round robin
AUTO_TOLERANCE = 1.05  # auto vs the best fixed setting
P99_Z = 2.326  # standard normal quantile of 0.99


@dataclass
class Row:
    name: str
    concurrency: str
    makespan_sim_s: float  # in the profile's own seconds (wall / time scale)
    utilization: float
    bound: float | None
    ideal_makespan_s: float | None  # the in-order dispatcher's makespan for the same lengths (profile s)
    imbalance: float  # busiest instance's busy slot-seconds over the mean
    succeeded: int
    failed: int
    true_bound: float | None = None  # what even a clairvoyant, reordering dispatcher cannot beat
    limit_trace: str = ""  # auto runs: how the limit moved
    completion_tokens: list[int] = field(default_factory=list)
    prompt_tokens: int = 0  # median over the run's requests


def measure(fleet: SimFleet, profile: SimProfile, name: str, concurrency: str, run) -> Row:
    before = fleet.busy_by_instance()
    result: PipelineRun = run()
    busy = [after - was for after, was in zip(fleet.busy_by_instance(), before, strict=True)]
    slots = fleet.slots()
    durations = [service_seconds(p, c, profile) for p, c in result.request_tokens]  # profile seconds
    bound = in_order_bound(durations, slots)
    auto = concurrency == "auto"
    row = Row(
        name,
        f"{result.final_limit} (auto)" if auto else concurrency,
        result.makespan_s / profile.time_scale,
        utilization(sum(busy), slots, result.makespan_s),
        bound,
        sum(durations) / (slots * bound) if bound else 0.0,
        imbalance(busy),
        result.succeeded,
        result.failed,
        completion_tokens=[c for _, c in result.request_tokens],
        prompt_tokens=sorted(p for p, _ in result.request_tokens)[len(result.request_tokens) // 2]
        if result.request_tokens
        else 0,
    )
    row.true_bound = true_bound(durations, slots)
    return row


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    # verdicts whose length follows the task (N, code length), on tasks of 2-6 candidates
    sizes = replace(sizes, profile=replace(sizes.profile, output_len=sizes.fleet_output_len))
    profile = sizes.profile
    tasks = write_tasks(out_dir / f"tasks-{sizes.fleet_tasks}.jsonl", sizes.fleet_tasks, CANDIDATES_PER_TASK,
                        varied=sizes.fleet_candidates)  # fmt: skip
    rows: list[Row] = []
    sweep: list[Row] = []
    with sim_fleet(sizes.fleet_instances, profile, out_dir / "sims") as fleet:
        slots = fleet.slots()
        # the job's default in flight: every slot twice over (analyze settings: concurrency_headroom)
        default = str(int(slots * Settings.model_fields["concurrency_headroom"].default))

        # (b)-(e) and the sweep compare balancers on the input's order; (f) is the job's default order
        def pipeline(name: str, urls: list[str], concurrency: str, order: str = ORDER_INPUT) -> Row:
            log = out_dir / f"{name}.log"
            trace = out_dir / f"{name}.limit.log"  # auto's limit over time (bench.harness.traced_cli)
            launcher = traced_cli.launcher(trace) if concurrency == "auto" else ("-m", "analyze.cli")
            flags = ("--order", order)
            row = measure(
                fleet, profile, name, concurrency,
                lambda: run_pipeline(tasks, out_dir / name, urls, concurrency, log, flags, launcher=launcher),
            )  # fmt: skip
            if concurrency == "auto":
                row.limit_trace = traced_cli.describe(traced_cli.limit_changes(trace))
            return row

        # (a) the seed: 4 threads; its clock runs faster so the run fits in the time box
        fleet.set_option(time_scale=sizes.seed_time_scale)
        before = fleet.busy_by_instance()
        seed = run_seed(fleet.base_urls, tasks, SIM_MODEL)
        busy = [after - was for after, was in zip(fleet.busy_by_instance(), before, strict=True)]
        fleet.set_option(time_scale=profile.time_scale)
        rows.append(Row(
            "(a) seed: round-robin client + ThreadPoolExecutor(4), direct", str(SEED_WORKERS),
            seed.makespan_s / sizes.seed_time_scale, utilization(sum(busy), slots, seed.makespan_s), None,
            None, imbalance(busy), seed.succeeded, seed.failed,
        ))  # fmt: skip

        with local_nginx(fleet.addresses, "round_robin", out_dir / "nginx-rr") as rr:
            rows.append(pipeline("b-nginx-round-robin", [rr.base_url], default))
            for limit in sizes.fixed_sweep:
                if str(limit) == default:
                    sweep.append(rows[-1])
                else:
                    sweep.append(pipeline(f"sweep-rr-{limit}", [rr.base_url], str(limit)))
            auto_rr = pipeline("e-auto-nginx-round-robin", [rr.base_url], "auto")
            longest_name = "f-nginx-round-robin-longest-first"
            longest = pipeline(longest_name, [rr.base_url], default, ORDER_LONGEST_FIRST)
        with local_nginx(fleet.addresses, "least_conn", out_dir / "nginx-lc") as lc:
            rows.append(pipeline("c-nginx-least-conn", [lc.base_url], default))
        rows.append(pipeline("d-direct-least-outstanding", fleet.base_urls, default))
        rows.append(auto_rr)
        rows.append(pipeline("e-auto-direct", fleet.base_urls, "auto"))
        rows.append(longest)
    return [_main_table(rows, sizes), _sweep_table(sweep, auto_rr)]


def _main_table(rows: list[Row], sizes: BenchSizes) -> Table:
    p = sizes.profile
    table = Table(
        f"1. Fleet utilization: {sizes.fleet_instances} simulators x {p.max_num_seqs} slots, "
        f"{sizes.fleet_tasks} tasks, TTFT {p.ttft_overhead_ms:.0f} ms, ITL {p.itl_ms:.0f} ms, "
        f"simulator --output-len {p.output_len} (see the lengths below), time scale {p.time_scale}",
        ["variant", "in flight", "makespan (sim s)", "slot utilization", "in-order bound", "true bound",
         "busiest / mean instance", "vs (b) makespan", "ok", "failed"],
    )  # fmt: skip
    rr_row = rows[1]
    rr = rr_row.makespan_sim_s
    for row in rows:
        bound = "-" if row.bound is None else row.bound
        true = "-" if row.true_bound is None else row.true_bound
        table.add(row.name, row.concurrency, row.makespan_sim_s, row.utilization, bound, true, row.imbalance,
                  row.makespan_sim_s / rr, row.succeeded, row.failed)  # fmt: skip
    pipeline_rows = rows[1:]
    worst = min(pipeline_rows, key=lambda r: r.utilization)
    met = verdict(worst.utilization >= UTILIZATION_TARGET)
    table.notes.append(
        f"target (b)-(e) utilization >= {UTILIZATION_TARGET}: {met} (lowest {worst.utilization:.3f}, "
        f"{worst.name}). The in-order bound is what a perfect dispatcher reaches with the same output "
        "lengths (each request, in input order, on the first free slot, at a full batch's speed): its gap "
        "to 1.0 is the drain, the last long generations running while the other slots have no task left"
    )
    contenders = [r for r in pipeline_rows if "least" in r.name or "auto" in r.name]
    best = min(contenders, key=lambda r: r.makespan_sim_s)
    ratio = best.makespan_sim_s / rr
    table.notes.append(
        f"target least_conn or auto makespan <= {MAKESPAN_TARGET} x round robin: "
        f"{verdict(ratio <= MAKESPAN_TARGET)} (best {ratio:.3f}, {best.name}). With (b)'s output lengths "
        f"the in-order dispatcher would take {rr_row.ideal_makespan_s:.1f} sim s, "
        f"{(rr_row.ideal_makespan_s or 0) / rr:.3f} x (b)'s makespan: no policy that does not know the "
        "lengths in advance can gain much more than that over round robin"
    )
    table.notes.append(
        "true bound: utilization at the makespan max(total service time / slots, longest single request) "
        "for the same requests, which no dispatcher beats even knowing every length and reordering freely; "
        f"(b) reached {rr_row.utilization / (rr_row.true_bound or 1):.3f} of it"
    )
    table.notes.append(_longest_first_note(rows))
    table.notes.append(_length_note(rr_row.completion_tokens, p))
    table.notes.append(_heavy_tail_model_note(sizes, len(rr_row.completion_tokens), rr_row.prompt_tokens))
    for row in rows:
        if row.limit_trace:
            table.notes.append(f"{row.name}: {row.limit_trace}")
    seed = rows[0]
    table.notes.append(
        f"(a) keeps {SEED_WORKERS} requests in flight: its makespan is "
        f"{seed.makespan_sim_s / rr:.1f} x (b)'s. Its simulators ran at time scale "
        f"{sizes.seed_time_scale}; every makespan is in the profile's seconds"
    )
    return table


def _longest_first_note(rows: list[Row]) -> str:
    """Does sending the longest-expected tasks first close the drain gap? (kept in the job only if so)"""
    rr = rows[1]
    longest = next(r for r in rows if r.name.startswith("f-"))
    gain = 1 - longest.makespan_sim_s / rr.makespan_sim_s
    gap = 1 - rr.utilization / (rr.true_bound or 1)
    closed = gain / gap if gap > 0 else 0.0
    return (
        f"(f) is (b) with the job's --order longest-first, its default (a first pass notes each task's "
        f"size, and the largest go first; (b)-(e) run --order input): makespan {gain:+.1%} shorter than "
        f"(b)'s, utilization {longest.utilization:.3f} against {rr.utilization:.3f}; that closes "
        f"{closed:.0%} of (b)'s gap to its true bound ({gap:.1%})"
    )


def _length_note(tokens: list[int], profile: SimProfile) -> str:
    """What the load really was: the answers' lengths, next to what the simulator's --output-len promises."""
    if not tokens:
        return "output lengths: no results"
    ordered = sorted(tokens)
    median, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"output lengths of (b)'s verdicts: median {median}, p99 {p99}, max {ordered[-1]} completion tokens "
        f"(p99 / median {p99 / median:.2f}; {profile.output_len} would give "
        f"{_lognormal_p99_ratio(profile)}). "
        "The simulator draws --output-len for JSON-schema answers too (the JSON padded with trailing "
        "whitespace to the drawn length), so the verdicts follow the profile's distribution"
    )


def _heavy_tail_model_note(sizes: BenchSizes, requests: int, prompt_tokens: int) -> str:
    """What round robin would lose on the load the profile describes (the simulator cannot serve it)."""
    p = sizes.profile
    durations = drawn_durations(p, requests, prompt_tokens, MODELLED_LENGTH_CAP)
    slots = sizes.fleet_instances * p.max_num_seqs
    rr = round_robin_makespan(durations, sizes.fleet_instances, p.max_num_seqs, slots)
    bound = in_order_bound(durations, slots)
    ideal = sum(durations) / (slots * bound)
    return (
        f"model, not measured (bench/harness/dispatch_model.py): {requests} requests with {p.output_len} "
        f"lengths (capped at {MODELLED_LENGTH_CAP}), {slots} in flight: round robin over "
        f"{sizes.fleet_instances} instances reaches utilization {sum(durations) / (slots * rr):.3f}, "
        f"the in-order dispatcher {bound:.3f}; its makespan is {ideal / rr:.3f} x round robin's"
    )


def _lognormal_p99_ratio(profile: SimProfile) -> str:
    kind, _, sigma = [*profile.output_len.split(":"), "", ""][:3]
    return f"{math.exp(P99_Z * float(sigma)):.1f}" if kind == "lognormal" else "-"


def _sweep_table(sweep: list[Row], auto: Row) -> Table:
    table = Table("1b. Fixed in-flight limits vs --concurrency auto (nginx round robin)",
                  ["concurrency", "makespan (sim s)", "slot utilization", "vs best fixed"])  # fmt: skip
    best = min(sweep, key=lambda r: r.makespan_sim_s)
    for row in [*sweep, auto]:
        table.add(
            row.concurrency, row.makespan_sim_s, row.utilization, row.makespan_sim_s / best.makespan_sim_s
        )
    ratio = auto.makespan_sim_s / best.makespan_sim_s
    table.notes.append(
        f"target auto makespan <= {AUTO_TOLERANCE} x best fixed ({best.concurrency}): "
        f"{verdict(ratio <= AUTO_TOLERANCE)} ({ratio:.3f}); auto was not told the fleet size "
        "(it learns the instances from the x-upstream-addr header of its /metrics scrapes)"
    )
    return table
