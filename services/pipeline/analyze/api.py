"""`analyze_task(task, model)`: judge one task synchronously, as the seed's per-task function did."""

from __future__ import annotations

import asyncio
from typing import Any

from analyze.fleet.concurrency import FixedLimiter
from analyze.inputs.tasks import Task, TaskError, parse_record
from analyze.judging.judge import TaskJudge
from analyze.running.runner import new_run_id
from analyze.settings import Settings


def analyze_task(
    task: dict[str, Any] | Task, model: str, *, client: Any = None, settings: Settings | None = None
) -> dict[str, Any] | None:
    """The results.jsonl record for one task, or None when it could not be judged (as in the seed).

    `task` is a raw input record (any accepted spelling) or a parsed Task; `client` a MultiVLLMClient or
    OpenAI client, else the backends from settings.
    """
    from analyze.pipeline import build_pool, resolve_target

    settings = settings or Settings()
    if not isinstance(task, Task):
        try:
            task = parse_record(task, line=0)
        except TaskError:
            return None
    pool = build_pool(settings, client)

    async def judge_one() -> dict[str, Any] | None:
        target = await resolve_target(pool, model)
        judge = TaskJudge(pool, FixedLimiter(1), settings, target, new_run_id())
        try:
            result = await judge.judge(task)
        finally:
            await judge.aclose()
        return result.record if result.ok else None

    return asyncio.run(judge_one())
