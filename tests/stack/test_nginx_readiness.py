"""The job behind the real nginx config (local nginx binary, nginx/entrypoint.sh) in front of real
simulator processes: instances still "loading" (--startup-delay: 503 on /health and /v1/*) or not
started at all (nginx answers 502). The job waits for the fleet through nginx, instances that come up
later take requests, a fleet restarting mid-run is waited out, and no task fails."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from analyze.pipeline import PipelineOutcome, execute_pipeline
from analyze.progress import Console
from vllm_sim.testing import free_port, start_simulator

from ..analyze.judge_fakes import fast_settings, read_jsonl
from ..analyze.sim_runs import sim_configure, task_file, when_lines
from .stack_helpers import local_nginx

pytestmark = pytest.mark.slow

SLOW = {"time_scale": 1.0, "output_len": "fixed:60", "itl_ms": 10, "ttft_overhead_ms": 20, "jitter": 0}


def run_through(
    tmp_path: Path, nginx_port: int, out: io.StringIO | None = None, **overrides: Any
) -> tuple[PipelineOutcome, str]:
    out = out if out is not None else io.StringIO()
    settings = fast_settings(
        tmp_path, [f"http://127.0.0.1:{nginx_port}/v1"], max_retries=1, progress_interval_s=0.5, **overrides
    )
    return execute_pipeline(settings, console=Console("en", stream=out), report=False), out.getvalue()


def when_printed(out: io.StringIO, texts: tuple[str, ...], action: Callable[[], object]) -> threading.Thread:
    """Run `action` in a thread once the console shows every one of `texts` (or after 60 s)."""

    def watch() -> None:
        end = time.monotonic() + 60
        while not all(t in out.getvalue() for t in texts) and time.monotonic() < end:
            time.sleep(0.05)
        action()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def served(tmp_path: Path) -> Counter[str]:
    results = read_jsonl(tmp_path / "out" / "results.jsonl")
    return Counter(req["backend"] for r in results for req in r["requests"])


def test_loading_instances_behind_nginx_are_waited_for_and_the_late_one_joins(tmp_path: Path) -> None:
    ids = task_file(tmp_path / "tasks.jsonl", 20)
    with ExitStack() as stack:
        first = stack.enter_context(start_simulator(name="first", **SLOW))
        second = stack.enter_context(start_simulator(name="second", **SLOW))
        addrs = [s.base_url.removeprefix("http://") for s in (first, second)]
        nginx = stack.enter_context(local_nginx(addrs, NGINX_MAX_FAILS="1", NGINX_FAIL_TIMEOUT="1s"))
        # "loading" until the run has been seen waiting and probing again: events, not delays, so a slow
        # machine cannot let the instances come up before the run starts
        sim_configure(first.base_url, startup_delay=600)
        sim_configure(second.base_url, startup_delay=600)
        out = io.StringIO()
        first_up = when_printed(out, ("Waiting for the fleet: 1 backend(s)", "… waited"),
                                lambda: sim_configure(first.base_url, startup_delay=0))  # fmt: skip
        second_up = when_lines(tmp_path / "out" / "results.jsonl", 5,
                               lambda: sim_configure(second.base_url, startup_delay=0))  # fmt: skip
        outcome, console = run_through(tmp_path, nginx.port, out, concurrency="2", wait_ready_s=120.0)
        first_up.join(5)
        second_up.join(5)
    assert outcome.stats.failed == 0 and outcome.stats.succeeded == 20, console
    # what the probe saw while both loaded: their 503, or nginx's 502 once it marked both failed
    assert "Waiting for the fleet: 1 backend(s)" in console
    assert "HTTP 503" in console or "HTTP 502" in console, console
    assert sorted(r["task_id"] for r in read_jsonl(tmp_path / "out" / "results.jsonl")) == ids
    counts = served(tmp_path)
    assert counts["first"] > 0 and counts["second"] > 0, counts


@contextmanager
def simulator_on(port: int, after_s: float) -> Iterator[None]:
    """A simulator that starts listening on `port` only after `after_s` seconds (nginx: 502 until then)."""
    procs: list[subprocess.Popen[bytes]] = []
    command = [sys.executable, "-m", "vllm_sim", "--host", "127.0.0.1", "--port", str(port), "--name", "late",
               "--time-scale", "0"]  # fmt: skip
    timer = threading.Timer(after_s, lambda: procs.append(subprocess.Popen(command)))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        for proc in procs:
            proc.terminate()
            proc.wait(10)


def test_no_instance_listening_yet_behind_nginx_502_is_waited_for(tmp_path: Path) -> None:
    ids = task_file(tmp_path / "tasks.jsonl", 10)
    port = free_port()
    with local_nginx([f"127.0.0.1:{port}"]) as nginx, simulator_on(port, after_s=3):
        outcome, console = run_through(tmp_path, nginx.port)
    assert outcome.stats.failed == 0 and outcome.stats.succeeded == 10, console
    assert "HTTP 502" in console  # what nginx answers while nothing listens
    assert sorted(r["task_id"] for r in read_jsonl(tmp_path / "out" / "results.jsonl")) == ids


def test_a_restart_behind_nginx_mid_run_is_waited_out(tmp_path: Path) -> None:
    ids = task_file(tmp_path / "tasks.jsonl", 30)
    with ExitStack() as stack:
        sim = stack.enter_context(start_simulator(name="solo", **SLOW))
        nginx = stack.enter_context(local_nginx([sim.base_url.removeprefix("http://")]))
        results = tmp_path / "out" / "results.jsonl"
        restart = when_lines(results, 5, lambda: sim_configure(sim.base_url, startup_delay=1.5))
        outcome, console = run_through(tmp_path, nginx.port, concurrency="4")
        restart.join(5)
    assert outcome.stats.failed == 0, console  # max_retries 1: two counted 503s would have failed a task
    assert sorted(r["task_id"] for r in read_jsonl(results)) == ids
    assert max(req["attempts"] for r in read_jsonl(results) for req in r["requests"]) > 1
