"""Scenario 7: executions per second through the sandbox container (docker-compose.yml's `sandbox`),
HumanEval-sized candidates, as many client connections as slots and twice that."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import tempfile
import time
from pathlib import Path

from sandbox.client import UnixHTTPConnection, call
from sandbox.testing import compose_sandbox

from bench.harness.tables import Table, verdict
from bench.settings import REPO_ROOT, BenchSizes

RATE_TARGET = 20.0  # python HumanEval executions per second at concurrency = slots
# A HumanEval-sized task: a ~15-line solution and a check() of 8 assertions (HumanEval/0's shape).
CANDIDATE = '''from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """Check if in given list of numbers, are any two numbers closer to each other than threshold."""
    ordered = sorted(numbers)
    for left, right in zip(ordered, ordered[1:]):
        if right - left < threshold:
            return True
    return False
'''
CHECK = """
def check(candidate):
    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True
    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05) == False
    assert candidate([1.0, 2.0, 5.9, 4.0, 5.0], 0.95) == True
    assert candidate([1.0, 2.0, 5.9, 4.0, 5.0], 0.8) == False
    assert candidate([1.0, 2.0, 3.0, 4.0, 5.0, 2.0], 0.1) == True
    assert candidate([1.1, 2.2, 3.1, 4.1, 5.1], 1.0) == True
    assert candidate([1.1, 2.2, 3.1, 4.1, 5.1], 0.5) == False
    assert candidate([], 0.5) == False
"""
PYTHON = {"language": "python", "code": CANDIDATE,
          "tests": {"kind": "humaneval", "test": CHECK, "entry_point": "has_close_elements"}}  # fmt: skip
JS_CODE = "function hasClose(xs, t) { xs = [...xs].sort((a, b) => a - b);\n"
JS_CODE += "  for (let i = 1; i < xs.length; i++) if (xs[i] - xs[i - 1] < t) return true; return false; }"
JS_SCRIPT = "const a = require('assert'); a.strictEqual(hasClose([1, 2, 3.9, 4], 0.3), true);"
JAVASCRIPT = {"language": "javascript", "code": JS_CODE, "tests": {"kind": "script", "script": JS_SCRIPT}}


def _drive(socket: str, body: dict, count: int, clients: int) -> tuple[float, int, list[float]]:
    """count executions over `clients` kept-alive connections: (wall s, passed, per-request s)."""

    def worker(n: int) -> tuple[int, list[float]]:
        conn, passed, times = UnixHTTPConnection(socket), 0, []
        for i in range(n):
            started = time.monotonic()
            status, reply = call(conn, "POST", "/v1/execute", {**body, "id": str(i)})
            times.append(time.monotonic() - started)
            passed += status == 200 and reply["status"] == "passed"
        conn.close()
        return passed, times

    shares = [count // clients + (i < count % clients) for i in range(clients)]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(worker, shares))
    wall = time.monotonic() - started
    return wall, sum(p for p, _ in results), sorted(t for _, ts in results for t in ts)


def run(sizes: BenchSizes, out_dir: Path) -> list[Table]:
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(REPO_ROOT / "scripts" / "build-images.sh"), "sandbox"], check=True,
                   capture_output=True, timeout=1800)  # fmt: skip
    count = sizes.sandbox_executions
    table = Table(
        f"7. Sandbox: {count} executions per python row through docker-compose.yml's sandbox (unix socket)",
        ["candidate", "clients", "executions/s", "p50 ms", "p99 ms", "passed", "wall s"],
    )
    rates: dict[tuple[str, int], float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="sbx-bench-") as tmp,
        compose_sandbox(REPO_ROOT, Path(tmp)) as box,
    ):
        slots = box.call("GET", "/health")[1]["slots"]
        socket = str(box.socket)
        _drive(socket, PYTHON, slots * 4, slots)  # warm the page cache and the interpreter files
        rows = [("python humaneval", PYTHON, slots), ("python humaneval", PYTHON, 2 * slots)]
        for name, body, clients in [*rows, ("javascript script", JAVASCRIPT, slots)]:
            n = count if body is PYTHON else max(slots, count // 4)
            wall, passed, times = _drive(socket, body, n, clients)
            rates[(name, clients)] = n / wall
            p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
            table.add(name, clients, n / wall, p50 * 1000, p99 * 1000, f"{passed}/{n}", wall)
    rate = rates[("python humaneval", slots)]
    table.notes.append(
        f"target >= {RATE_TARGET:.0f} python HumanEval executions/s at {slots} clients (= slots) on "
        f"{os.cpu_count()} cores: {verdict(rate >= RATE_TARGET)} ({rate:.1f}/s). Each execution is a fresh "
        "`prlimit ... python3 -I` process as the slot's uid, then a sweep (`sh`: kill -1, empty the scratch "
        "tmpfs) as that uid"
    )
    table.notes.append("javascript: node's own start-up dominates; its row runs a quarter as many executions")
    return [table]
