"""`analyze export-batch`: the job's exact requests as an OpenAI Batch input file.

Each line is `{"custom_id", "method", "url", "body"}` with the body `analyze run` would send
(`judge.request_payload`, the one place that builds it), so the same work can run on OpenAI's Batch API,
any Batch-compatible service or `vllm run-batch`; `analyze import-batch` turns the output back into a
journal. `custom_id` is the task id (the second pass of `--swap` appends `#<order>`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyze.constants import ORDER_FORWARD
from analyze.judge import JudgeConfig, judge_prompt, orders, request_payload
from analyze.prompt import JudgePrompt
from analyze.tasks import Reject, Task, iter_tasks, iter_valid_tasks

BATCH_METHOD = "POST"
BATCH_URL = "/v1/chat/completions"
ORDER_SEPARATOR = "#"


class BatchIdError(ValueError):
    """Two requests of one export would share a custom_id (Batch services refuse the whole file)."""


def custom_id(task_id: str, order: str) -> str:
    return task_id if order == ORDER_FORWARD else f"{task_id}{ORDER_SEPARATOR}{order}"


@dataclass(frozen=True)
class BatchRequest:
    custom_id: str
    order: str
    prompt: JudgePrompt
    body: dict[str, Any]

    def line(self) -> dict[str, Any]:
        return {"custom_id": self.custom_id, "method": BATCH_METHOD, "url": BATCH_URL, "body": self.body}


def task_requests(task: Task, config: JudgeConfig) -> list[BatchRequest]:
    """Every request `analyze run` sends for one task (first attempts: a Batch file has no retries)."""
    requests = []
    for order in orders(config):
        prompt = judge_prompt(task, config, order)
        requests.append(
            BatchRequest(custom_id(task.task_id, order), order, prompt, request_payload(prompt, config))
        )
    return requests


@dataclass
class ExportStats:
    tasks: int = 0
    requests: int = 0
    rejects: list[Reject] = field(default_factory=list)


def export_batch(
    input_path: Path, out_path: Path, config: JudgeConfig, limit: int | None = None
) -> ExportStats:
    """Write the Batch file (atomically: a half-written file never replaces a good one)."""
    stats = ExportStats(rejects=[r for r in iter_tasks(input_path) if isinstance(r, Reject)])
    seen: set[str] = set()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            for task in iter_valid_tasks(input_path, limit):
                stats.tasks += 1
                for request in task_requests(task, config):
                    if request.custom_id in seen:
                        raise BatchIdError(
                            f"task {task.task_id!r} (line {task.line}): custom_id {request.custom_id!r} "
                            "is already used by another request; rename one of the tasks"
                        )
                    seen.add(request.custom_id)
                    out.write(json.dumps(request.line(), ensure_ascii=False) + "\n")
                    stats.requests += 1
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
    return stats
