"""Scenario 1(a): the seed guide's design, rebuilt as it describes it (multi-vllm-guide.zh.md).

`MultiVLLMClient` there is a synchronous, OpenAI-shaped wrapper that hands requests to the instances in
turn ("轮询负载均衡"), guarded by a lock ("线程安全"); the guide's "真正的并发处理" runs a per-task
`analyze_task` over a `ThreadPoolExecutor(max_workers=4)`. Written here on purpose, without the project's
client, so the baseline keeps the seed's behaviour.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

SEED_WORKERS = 4  # the guide's max_workers=4


class SeedMultiVLLMClient:
    """Round robin over one `openai.OpenAI` client per instance: `client.chat.completions.create(...)`."""

    def __init__(self, base_urls: list[str], api_key: str = "EMPTY") -> None:
        self._clients = [openai.OpenAI(base_url=url, api_key=api_key, max_retries=0) for url in base_urls]
        self._turn = itertools.cycle(range(len(self._clients)))
        self._lock = threading.Lock()
        self.chat = self  # the OpenAI shape: client.chat.completions.create
        self.completions = self

    def create(self, **kwargs: Any) -> Any:
        with self._lock:
            client = self._clients[next(self._turn)]
        return client.chat.completions.create(**kwargs)


def analyze_task(client: SeedMultiVLLMClient, task: dict[str, Any], model: str) -> dict[str, Any] | None:
    """One judge request per task; None when the answer is not a JSON object (the seed drops those)."""
    listing = "\n\n".join(
        f"### Solution {i + 1} ({c.get('model', '?')})\n```\n{c['code']}\n```"
        for i, c in enumerate(task["candidates"])
    )
    prompt = (
        f"Problem:\n{task['problem']}\n\n{listing}\n\n"
        "Score each solution 1-10 on correctness, readability, efficiency, robustness, maintainability, "
        "overall; list issues; rank them. Answer in JSON."
    )
    try:
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": prompt}],
            temperature=0.0,
            max_tokens=2048,
            response_format={"type": "json_object"},
        )
        verdict = json.loads(response.choices[0].message.content or "")
    except (openai.OpenAIError, json.JSONDecodeError):
        return None
    return {"task_id": task["task_id"], "verdict": verdict} if isinstance(verdict, dict) else None


@dataclass(frozen=True)
class SeedRun:
    makespan_s: float
    succeeded: int
    failed: int


def run_seed(base_urls: list[str], tasks_path: Path, model: str, workers: int = SEED_WORKERS) -> SeedRun:
    tasks = [json.loads(line) for line in tasks_path.read_text(encoding="utf-8").splitlines() if line]
    client = SeedMultiVLLMClient(base_urls)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as executor:
        results: Iterable[dict[str, Any] | None] = list(
            executor.map(lambda t: analyze_task(client, t, model), tasks)
        )
    elapsed = time.monotonic() - started
    ok = sum(1 for r in results if r is not None)
    return SeedRun(elapsed, ok, len(tasks) - ok)
