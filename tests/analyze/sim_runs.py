"""`analyze run` as a real process against real simulator processes, and ways to act on them mid-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .judge_fakes import make_task, write_jsonl

RUN_TIMEOUT_S = 180  # a hang is the bug several of these tests catch: fail, do not wait forever


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without the project's own variables, plus `extra`."""
    prefixes = ("ANALYZE_", "VLLM_", "USE_MULTI_VLLM", "INPUT_JSONL", "OUTPUT_DIR", "OPENAI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return {
        **env,
        "ANALYZE_LANG": "en",
        "ANALYZE_BACKOFF_BASE_S": "0.01",
        "ANALYZE_BACKOFF_MAX_S": "0.05",
        **extra,
    }


def analyze_run(
    input_path: Path,
    output_dir: Path,
    base_urls: Sequence[str],
    *flags: str,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    prefix: Sequence[str] = (),
) -> CliRun:
    """`python -m analyze.cli run INPUT -o OUT --base-url ... --no-report FLAGS` to completion, after
    `prefix` (a command that runs the rest, as `unshare` does)."""
    command = [
        *prefix,
        sys.executable,
        "-m",
        "analyze.cli",
        "run",
        str(input_path),
        "-o",
        str(output_dir),
        "--no-report",
    ]
    for url in base_urls:
        command += ["--base-url", url]
    started = time.monotonic()
    done = subprocess.run(
        [*command, *flags],
        capture_output=True,
        text=True,
        env=env or clean_env(),
        timeout=RUN_TIMEOUT_S,
        preexec_fn=preexec_fn,
    )
    return CliRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def sim_configure(base_url: str, bearer: str | None = None, **changes: Any) -> dict[str, Any]:
    """POST /admin/config on a running simulator: from loopback, or with `bearer` (its API key) when set."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    request = urllib.request.Request(
        base_url + "/admin/config", data=json.dumps(changes).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def finished_requests(base_url: str) -> float:
    """vllm:request_success_total of a server (vLLM or the simulator), every finish reason summed."""
    from analyze.fleet.prometheus import metric_totals

    with urllib.request.urlopen(base_url + "/metrics", timeout=5) as response:
        return metric_totals(response.read().decode()).get("vllm:request_success_total", 0.0)


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def when_lines(
    path: Path, lines: int, action: Callable[[], object], deadline_s: float = 60
) -> threading.Thread:
    """Run `action` in a thread as soon as `path` holds `lines` lines (a mid-run event)."""

    def watch() -> None:
        end = time.monotonic() + deadline_s
        while line_count(path) < lines and time.monotonic() < end:
            time.sleep(0.02)
        action()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def task_file(path: Path, n: int, **extra: Any) -> list[str]:
    ids = [f"t{i:03d}" for i in range(n)]
    write_jsonl(path, [make_task(task_id, **extra) for task_id in ids])
    return ids


def jsonl_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [
        json.loads(line)["task_id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
