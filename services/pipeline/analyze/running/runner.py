"""The async run: stream the input into a bounded queue, judge under the limiter, journal each result.

Memory stays flat in the number of tasks: the input is read twice as a stream (a counting pass for the
progress bar and rejects, then the judging pass), and only task ids of finished work are kept.
SIGINT once stops dispatching and lets in-flight tasks finish; a second SIGINT cancels them.
A cause no retry can fix -- the fleet never came up, every task refused alike, a journal write that
fails -- stops the run at once (`RunStats.stopped` says why); what the journal holds is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyze.execution.executor import TaskExecutor
from analyze.execution.reuse import Executed, executions_line, read_executed, reuse
from analyze.fleet.concurrency import Limiter
from analyze.fleet.multi_vllm import BackendPool
from analyze.fleet.readiness import FleetNotReadyError, Readiness
from analyze.inputs.tasks import Reject, Task, TaskError, iter_tasks_at, iter_valid_tasks, task_digest
from analyze.journal.records import RunLine, reject_record, run_record
from analyze.journal.store import Journal, JournalWriteError, JsonlAppender, index_results
from analyze.judging.fingerprint import (
    ConfigurationMismatch,
    fingerprint_digest,
    resume_conflicts,
    run_fingerprint,
)
from analyze.judging.judge import TaskJudge
from analyze.judging.request import JudgeTarget
from analyze.progress import Console
from analyze.running.dispatch_order import ORDER_LONGEST_FIRST, DispatchPlan
from analyze.running.fail_fast import RefusalStreak
from analyze.running.task_slots import TaskSlots
from analyze.settings import Settings


@dataclass
class RunStats:
    run_id: str
    tasks_valid: int = 0
    tasks_skipped: int = 0
    to_judge: int = 0
    rejected: int = 0
    succeeded: int = 0
    failed: int = 0
    interrupted: bool = False
    stopped: str | None = None  # why the run stopped early, for a cause no retry can fix
    # Other run fingerprints found in results.jsonl that --force-resume let this run mix with.
    mixed_with: list[str] = field(default_factory=list)
    # Verdicts in the journal of tasks not in this input, kept by --force-resume (the report counts them).
    foreign_tasks: int = 0


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


@dataclass
class InputFindings:
    """What pass 1 found beside the counts: input ids, and judged tasks whose content is not the same."""

    seen: set[str] = field(default_factory=set)
    changed: list[str] = field(default_factory=list)  # judged under this id, but with other content


class JournalMismatch(RuntimeError):
    """The journal does not belong to this input as it is now; no task was judged (exit 2)."""


class EmptyInput(RuntimeError):
    """The input holds no task to judge; nothing was sent (exit 2)."""


def _some(ids: list[str], shown: int = 5) -> str:
    listed = ", ".join(repr(i) for i in ids[:shown])
    return listed + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def scan_input(
    path: Path,
    journal: Journal,
    done: set[str],
    limit: int | None,
    stats: RunStats,
    plan: DispatchPlan | None = None,
    *,
    contents: dict[str, str | None] | None = None,
    rejudge_changed: bool = False,
    findings: InputFindings | None = None,
) -> None:
    """Pass 1: count what there is to do, rewrite rejects.jsonl (step 1/6), and note in `plan` each
    task still to judge. With `contents` (the journal's digest per judged task), a judged task whose
    content changed is noted in `findings`, and with `rejudge_changed` it is to be judged again (its id
    leaves `done`)."""
    findings = findings if findings is not None else InputFindings()
    for offset, item in iter_tasks_at(path):
        if isinstance(item, Reject):
            stats.rejected += 1
            journal.rejects.append(reject_record(item.line, item.task_id, item.reason))
            continue
        findings.seen.add(item.task_id)
        if limit is not None and stats.tasks_valid >= limit:
            continue
        stats.tasks_valid += 1
        if item.task_id in done and contents is not None:
            then = contents.get(item.task_id)
            if then is not None and then != task_digest(item):
                findings.changed.append(item.task_id)
                if rejudge_changed:
                    done.discard(item.task_id)
        if item.task_id in done:
            stats.tasks_skipped += 1
        elif plan is not None:
            plan.add(item, offset)
    stats.to_judge = stats.tasks_valid - stats.tasks_skipped


class Run:
    """One run of the job: what to judge and how come from `settings`; the collaborators are built by the
    caller (analyze.pipeline.judge_all) so tests can hand in their own."""

    def __init__(
        self,
        settings: Settings,
        *,
        pool: BackendPool,
        limiter: Limiter,
        target: JudgeTarget,
        console: Console,
        slots: TaskSlots,
        readiness: Readiness | None = None,
        executor: TaskExecutor | None = None,
    ) -> None:
        self.input_path = settings.input_jsonl
        self.output_dir = settings.output_dir
        self.limiter = limiter
        self.console = console
        self.limit = settings.limit
        self.queue: asyncio.Queue[Task | None] = asyncio.Queue(maxsize=settings.queue_size)
        # Tasks waiting out a backoff hold no permit; this bounds how many such tasks pile up.
        self.active = slots
        self.stats = RunStats(run_id=new_run_id())
        self.settings = settings
        self.executor = executor  # None: the tests tasks carry are not run
        self.executed: dict[str, Executed] = {}  # executions.jsonl of tasks not judged yet
        self.fingerprint = run_fingerprint(settings, target, executing=executor is not None)
        self.digest = fingerprint_digest(self.fingerprint)
        self.judge = TaskJudge(
            pool, limiter, settings, target, self.stats.run_id, fingerprint=self.digest, readiness=readiness
        )
        self.refusals = RefusalStreak(settings.fail_fast_after)
        self.in_flight: set[asyncio.Task[None]] = set()
        self.stopping = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._producer: asyncio.Task[None] | None = None

    # --- signals ---
    def on_sigint(self) -> None:
        if not self.stopping.is_set():
            self.stopping.set()
            self.stats.interrupted = True
            self.console.line(
                "\n⏸  Ctrl-C: no new tasks; waiting for requests in flight (Ctrl-C again to cancel them)"
            )
            for task in (self._dispatcher, self._producer):
                if task is not None:
                    task.cancel()
        else:
            self.console.line("\n⏹  second Ctrl-C: cancelling requests in flight")
            for task in list(self.in_flight):
                task.cancel()

    def stop(self, reason: str) -> None:
        """Stop for a cause no retry can fix: no new tasks, requests in flight cancelled (they are not
        journaled, so a rerun judges them again)."""
        if self.stats.stopped is not None:
            return
        self.stats.stopped = reason
        self.stopping.set()
        self.console.say("stopping", reason=reason)
        current = asyncio.current_task()
        for task in (self._dispatcher, self._producer, *self.in_flight):
            if task is not None and task is not current:
                task.cancel()

    # --- pipeline stages ---
    async def _produce(self, done: set[str], plan: DispatchPlan | None) -> None:
        try:
            if plan is not None:
                for item in plan.tasks(self.input_path):
                    await self.queue.put(item)
            else:
                for item in iter_valid_tasks(self.input_path, self.limit):
                    if item.task_id not in done:
                        await self.queue.put(item)
        except (TaskError, OSError) as exc:  # the input changed or went away after step 1
            self.stop(f"cannot read {self.input_path} again: {exc}")
        await self.queue.put(None)

    async def _dispatch(self, journal: Journal) -> None:
        while True:
            task = await self.queue.get()
            if task is None:
                return
            await self.active.acquire()
            if self.stopping.is_set():  # stopped while waiting for a slot: start nothing more
                self.active.release()
                return
            job = asyncio.create_task(self._judge_one(task, journal))
            # The slot goes back when the job is done, however it ends: a done callback runs even for
            # a job cancelled before it started, where no `finally` inside it would.
            job.add_done_callback(self._job_done)
            self.in_flight.add(job)

    def _job_done(self, job: asyncio.Task[None]) -> None:
        self.in_flight.discard(job)
        self.active.release()
        if not job.cancelled() and job.exception() is not None:  # a bug: never drop a task silently
            self.stop(f"internal error while finishing a task: {job.exception()!r}")

    async def _executed(self, task: Task, journal: Journal) -> Task | None:
        """The task with its candidates' test results: from an earlier run when still valid, else run
        now and journaled before the judge sees them; None when the journal could not be written."""
        assert self.executor is not None
        timeout = self.settings.exec_timeout_s
        earlier = reuse(task, self.executed.pop(task.task_id, None), timeout)
        if earlier is not None:
            return earlier
        task = await self.executor.run(task)
        if not self._write(journal.executions, executions_line(self.stats.run_id, task, timeout)):
            return None
        return task

    async def _judge_one(self, task: Task, journal: Journal) -> None:
        if self.executor is not None and task.tests is not None:
            executed = await self._executed(task, journal)
            if executed is None:
                return
            task = executed
        try:
            result = await self.judge.judge(task)
        except FleetNotReadyError as exc:
            self.stop(str(exc))
            return
        if not self._write(journal.results if result.ok else journal.failures, result.record):
            return
        if result.ok:
            self.stats.succeeded += 1
        else:
            self.stats.failed += 1
        self.console.task_done(result.ok)
        refused_alike = self.refusals.record(result.ok, result.refused)
        if refused_alike is not None:
            self.stop(refused_alike)

    def _write(self, appender: JsonlAppender, record: dict[str, Any]) -> bool:
        """Append one journal line; a failed write (disk full, read-only volume) stops the run, since
        no later verdict could be kept either."""
        try:
            appender.append(record)
        except JournalWriteError as exc:
            self.stop(exc.strerror)
            return False
        return True

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(max(self.console.interval_s / 4, 0.05))
            self.console.tick()

    async def execute(self) -> RunStats:
        started_at = time.time()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, self.on_sigint)
        try:
            with Journal(self.output_dir) as journal:
                index = index_results(self.output_dir)
                self._guard_resume(index.fingerprints)
                done = index.task_ids
                if self.executor is not None:
                    self.executed = read_executed(self.output_dir, done)
                self.console.line()
                self.console.say("read")
                plan = DispatchPlan() if self.settings.dispatch_order == ORDER_LONGEST_FIRST else None
                findings = InputFindings()
                try:
                    scan_input(
                        self.input_path, journal, done, self.limit, self.stats, plan,
                        contents=index.contents, rejudge_changed=self.settings.rejudge_changed,
                        findings=findings,
                    )  # fmt: skip
                    self._check_input(journal, findings, index.task_ids)
                except JournalWriteError as exc:
                    self.stop(exc.strerror)
                    return self.stats
                s = self.stats
                self.console.say(
                    "read_done", valid=s.tasks_valid, skipped=s.tasks_skipped, rejected=s.rejected
                )
                self.console.line()
                self.console.say("judge")
                self.console.start_bar(s.to_judge)
                self._producer = asyncio.create_task(self._produce(done, plan))
                self._dispatcher = asyncio.create_task(self._dispatch(journal))
                ticker = asyncio.create_task(self._tick())
                with contextlib.suppress(asyncio.CancelledError):
                    await self._dispatcher
                while self.in_flight:
                    await asyncio.gather(*list(self.in_flight), return_exceptions=True)
                for helper in (self._producer, ticker):
                    helper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await helper
                self.console.close_bar()
                self.console.say("judge_done", ok=s.succeeded, failed=s.failed)
                self._write(journal.runs, self._run_record(started_at))
        finally:
            await self.judge.aclose()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGINT)
        return self.stats

    def _check_input(self, journal: Journal, findings: InputFindings, judged: set[str]) -> None:
        """Stop before judging when the journal is not this input's (another input, changed tasks) or
        there is nothing to judge; drop the verdicts of changed tasks that are to be judged again."""
        s, where = self.stats, f"{self.input_path}"
        if s.tasks_valid == 0:
            rejected = (
                f": all {s.rejected} line(s) were rejected (reasons in rejects.jsonl)" if s.rejected else ""
            )
            raise EmptyInput(f"{where} holds no task to judge{rejected}")
        foreign = sorted(judged - findings.seen)
        s.foreign_tasks = len(foreign)
        if foreign and not self.settings.force_resume:
            raise JournalMismatch(
                f"{self.output_dir} holds verdicts for {len(foreign)} task(s) that are not in {where} "
                f"({_some(foreign)}): it was written for another input. Use another output directory, or "
                "--force-resume to keep them beside this input's"
            )
        if findings.changed and not self.settings.rejudge_changed:
            raise JournalMismatch(
                f"{len(findings.changed)} task(s) of {where} changed since {self.output_dir} judged them "
                f"(same id, other content): {_some(findings.changed)}. Rerun with --rejudge-changed to "
                "judge them again, or use another output directory"
            )
        if findings.changed:
            journal.drop_results(set(findings.changed))

    def _guard_resume(self, fingerprints: Counter[str | None]) -> None:
        """Refuse to mix verdicts of another configuration into this journal unless forced."""
        conflicts = resume_conflicts(self.output_dir, fingerprints, self.digest, self.fingerprint)
        if conflicts and not self.settings.force_resume:
            raise ConfigurationMismatch(self.output_dir, conflicts)
        # A verdict line without a fingerprint (an older analyze) is listed as "(none)".
        self.stats.mixed_with = sorted(d or "(none)" for d in fingerprints if d != self.digest)

    def _run_record(self, started_at: float) -> RunLine:
        return run_record(
            self.stats,
            span=(started_at, time.time()),
            input_path=self.input_path,
            backends=self.judge.pool.base_urls,
            concurrency=self.limiter.limit,
            configuration=self.fingerprint,
            digest=self.digest,
            mixed_with=self.stats.mixed_with,
        )
