"""`analyze export-batch`: the job's exact requests as an OpenAI Batch input file.

Each line is `{"custom_id", "method", "url", "body"}` with the body `analyze run` sends first for that
task and order (`analyze.judging.request.build_request`, the one builder), so the same work can run on
OpenAI's Batch API, any Batch-compatible service or `vllm run-batch`; `analyze import-batch` turns the output
back into a journal. `custom_id` is the task id (the second pass of `--swap` appends `#<order>`). A Batch has
no retries: a task whose answer is cut or invalid ends as a failure on import.

The budget (max_tokens, how far candidates are truncated) needs the server's context: the run asks
`/v1/models`, an export takes `--max-model-len` (else the settings' fallback, as the run would use) and
assumes the estimated prompt size, as the run's first requests do before any reply measured it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyze.constants import ORDER_FORWARD
from analyze.inputs.tasks import Reject, Task, iter_tasks, iter_valid_tasks
from analyze.judging.judge import pass_orders
from analyze.judging.request import BudgetError, JudgeRequest, JudgeTarget, build_request
from analyze.settings import Settings

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
    request: JudgeRequest

    def line(self) -> dict[str, Any]:
        body = self.request.body
        return {"custom_id": self.custom_id, "method": BATCH_METHOD, "url": BATCH_URL, "body": body}


def task_requests(task: Task, settings: Settings, target: JudgeTarget) -> list[BatchRequest]:
    """The first request of every pass `analyze run` makes for one task; BudgetError if N cannot fit."""
    return [
        BatchRequest(
            custom_id(task.task_id, order), order, build_request(task, settings, target, order=order)
        )
        for order in pass_orders(task, settings)
    ]


@dataclass
class ExportStats:
    tasks: int = 0
    requests: int = 0
    rejects: list[Reject] = field(default_factory=list)
    unfit: list[str] = field(default_factory=list)  # tasks the server's context cannot hold


def export_batch(input_path: Path, out_path: Path, settings: Settings, target: JudgeTarget) -> ExportStats:
    """Write the Batch file (atomically: a half-written file never replaces a good one)."""
    stats = ExportStats(rejects=[r for r in iter_tasks(input_path) if isinstance(r, Reject)])
    seen: set[str] = set()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            for task in iter_valid_tasks(input_path, settings.limit):
                try:
                    requests = task_requests(task, settings, target)
                except BudgetError as exc:
                    stats.unfit.append(f"task {task.task_id!r} (line {task.line}): {exc}")
                    continue
                stats.tasks += 1
                for request in requests:
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
