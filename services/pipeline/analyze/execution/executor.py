"""Runs one task's candidates against its tests on the sandbox, before the judge sees them.

Every candidate ends with a result, never an exception: a language the sandbox cannot run, or a sandbox
that stays unreachable, is `not_run` with its reason, so a broken sandbox costs the run its evidence, not
its verdicts. The gate holds as many executions in flight as the sandbox has slots, for the whole run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from analyze.execution.client import SandboxClient, SandboxError
from analyze.inputs.outcomes import ExecutionResult, not_run
from analyze.inputs.tasks import Candidate, Task
from analyze.inputs.test_specs import normalize_language, why_not_runnable

# Transport failures tried again per candidate before it is recorded as not run; the sandbox answers
# every execution itself (timeouts included), so a failure here is the service, not the code.
SANDBOX_RETRIES = 2
SANDBOX_RETRY_DELAY_S = 1.0


@dataclass(frozen=True)
class ExecutionSettings:
    timeout_s: float  # per test process, as the sandbox applies it
    languages: tuple[str, ...]  # what the sandbox said it runs


def request_body(task: Task, candidate: Candidate, wire: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """The sandbox request for one candidate; `wire` is the task's tests in the protocol's form."""
    return {
        "id": f"{task.task_id}/{candidate.candidate_id}",
        "language": normalize_language(task.language),
        "code": candidate.code,
        "tests": wire,
        "timeout_s": timeout_s,
    }


def _call_bound_s(wire: dict[str, Any], timeout_s: float) -> float:
    """How long one execution may take at most: each test process may use its whole wall-clock limit."""
    processes = len(wire.get("cases", ())) or len(wire.get("asserts", ())) or 1
    return timeout_s * processes


class TaskExecutor:
    def __init__(self, client: SandboxClient, slots: int, settings: ExecutionSettings) -> None:
        self.client = client
        self.settings = settings
        self._gate = asyncio.Semaphore(slots)

    def cannot_run(self, task: Task) -> str | None:
        """Why none of this task's candidates can run, or None when they can."""
        if task.tests is None:
            return "the task carries no tests"
        why = why_not_runnable(task.language, task.tests)
        language = normalize_language(task.language)
        if why is None and language not in self.settings.languages:
            why = f"the sandbox has no {language} runtime (it runs {', '.join(self.settings.languages)})"
        return why

    async def run(self, task: Task) -> Task:
        """The task with each candidate's execution set; a task without tests comes back as it was."""
        if task.tests is None:
            return task
        why = self.cannot_run(task)
        if why is not None:
            results = [not_run(why)] * len(task.candidates)
        else:
            wire = task.tests.to_wire()  # once per task: every candidate runs the same tests
            results = await asyncio.gather(*(self._one(task, c, wire) for c in task.candidates))
        candidates = tuple(replace(c, execution=r) for c, r in zip(task.candidates, results, strict=True))
        return replace(task, candidates=candidates)

    async def _one(self, task: Task, candidate: Candidate, wire: dict[str, Any]) -> ExecutionResult:
        body = request_body(task, candidate, wire, self.settings.timeout_s)
        bound = _call_bound_s(wire, self.settings.timeout_s)
        failure: SandboxError | None = None
        for attempt in range(SANDBOX_RETRIES + 1):
            if attempt:
                await asyncio.sleep(SANDBOX_RETRY_DELAY_S * attempt)
            async with self._gate:
                try:
                    return await self.client.execute(body, timeout_s=bound)
                except SandboxError as exc:
                    failure = exc
        return not_run(f"sandbox unavailable: {failure}")
