"""Run `analyze run` as a child process and measure it: makespan, rate, CPU per result, RSS over time."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from analyze.journal.records import FAILURES_FILE, RESULTS_FILE, RUNS_FILE
from analyze.journal.store import iter_journal

from bench.harness import procs
from bench.settings import SAMPLE_INTERVAL_S, SIM_MODEL, STEADY_WINDOW


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since start
    results: int
    cpu_s: float
    rss_bytes: int


@dataclass
class PipelineRun:
    wall_s: float
    exit_code: int
    samples: list[Sample]
    succeeded: int
    failed: int
    makespan_s: float  # first request sent -> last verdict journaled, from results.jsonl
    cpu_s: float  # user + system of the whole process (start-up included)
    max_rss_bytes: int
    final_limit: int | None
    request_tokens: list[tuple[int, int]] = field(default_factory=list)  # (prompt, completion), input order
    dispatch_end_s: float = 0.0  # when the last task started, relative to the first

    def steady(self) -> tuple[float, float]:
        """(results per second, CPU seconds per result) between the STEADY_WINDOW fractions of results."""
        total = self.succeeded + self.failed
        lo, hi = (int(total * f) for f in STEADY_WINDOW)
        first = next((s for s in self.samples if s.results >= lo), None)
        last = next((s for s in reversed(self.samples) if s.results <= hi), None)
        if first is None or last is None or last.results <= first.results or last.t <= first.t:
            return (total / self.makespan_s if self.makespan_s else 0.0, self.cpu_s / max(total, 1))
        done = last.results - first.results
        return done / (last.t - first.t), (last.cpu_s - first.cpu_s) / done

    def rss_at(self, fraction: float) -> int:
        """RSS when `fraction` of the results were in (the first sample at or past it)."""
        total = self.succeeded + self.failed
        for sample in self.samples:
            if sample.results >= total * fraction:
                return sample.rss_bytes
        return self.samples[-1].rss_bytes if self.samples else 0


def _high_water_mark(pid: int) -> int:
    """The process's own peak RSS since its exec (VmHWM), 0 when /proc cannot tell.

    Not wait4's ru_maxrss: Linux carries that across exec, so it also counts the forking parent (this
    harness, which holds the previous runs' journals) and grows with the input for the wrong reason.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _count_new_lines(path: Path, offset: int) -> tuple[int, int]:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except FileNotFoundError:
        return 0, offset
    return chunk.count(b"\n"), offset + len(chunk)


def _journal(path: Path) -> list[dict]:
    return list(iter_journal(path))  # the one journal reader: torn lines skipped, the schema checked


def run_pipeline(
    input_path: Path,
    out_dir: Path,
    base_urls: Sequence[str],
    concurrency: str,
    log_path: Path,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    launcher: Sequence[str] = ("-m", "analyze.cli"),
    model: str = SIM_MODEL,
) -> PipelineRun:
    """One fresh `analyze run` (the output directory is emptied first) measured from outside.

    `launcher`: what follows `python` before `run` (a profiler wraps the CLI here).
    """
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [sys.executable, *launcher, "run", str(input_path), "-o", str(out_dir)]
    for url in base_urls:
        cmd += ["--base-url", url]
    cmd += ["--concurrency", concurrency, "--model", model, "--no-report", "--lang", "en", *extra_args]
    started = time.monotonic()
    child = procs.start(cmd, log_path, env)
    watched = psutil.Process(child.pid)
    samples: list[Sample] = []
    results, offset = 0, 0
    results_path = out_dir / RESULTS_FILE
    cpu_s = 0.0
    high_water = 0
    while True:
        # wait4 rather than poll(): it hands back the kernel's exact CPU account of the child
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            break
        new, offset = _count_new_lines(results_path, offset)
        results += new
        cpu_s, rss = procs.tree_usage(watched)
        high_water = max(high_water, _high_water_mark(child.pid))
        if rss:
            samples.append(Sample(time.monotonic() - started, results, cpu_s, rss))
        time.sleep(SAMPLE_INTERVAL_S)
    wall = time.monotonic() - started
    usage_cpu = usage.ru_utime + usage.ru_stime
    records = _journal(results_path)
    failures = _journal(out_dir / FAILURES_FILE)
    runs = _journal(out_dir / RUNS_FILE)
    timed = records + [f for f in failures if "started_at" in f]
    start = min((r["started_at"] for r in timed), default=0.0)
    end = max((r["finished_at"] for r in records + failures), default=start)
    # in the order the job sent them (its --order), which the in-order bound replays
    by_start = sorted(records, key=lambda r: (r["started_at"], r["line"]))
    requests = [req for r in by_start for req in r.get("requests", [])]
    tokens = [(req.get("prompt_tokens") or 0, req.get("completion_tokens") or 0) for req in requests]
    return PipelineRun(
        wall_s=wall,
        exit_code=child.returncode,
        samples=samples,
        succeeded=len(records),
        failed=len({f["task_id"] for f in failures} - {r["task_id"] for r in records}),
        makespan_s=end - start,
        cpu_s=usage_cpu,
        max_rss_bytes=max(high_water, max((s.rss_bytes for s in samples), default=0)),
        final_limit=runs[-1].get("concurrency") if runs else None,
        request_tokens=tokens,
        dispatch_end_s=max((r["started_at"] for r in timed), default=start) - start,
    )
