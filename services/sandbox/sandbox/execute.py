"""One request end to end: plan, take a slot, run its process(es), judge, sweep the slot, answer."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sandbox.limits import Limits
from sandbox.procs import Reaper
from sandbox.programs import NotRun, Runtimes, cpu_seconds, harness_argv, harness_spec
from sandbox.protocol import ExecuteRequest, Stdio, expected_total
from sandbox.runner import ProcessRun, run_process
from sandbox.slots import Slot, SlotPool
from sandbox.verdict import Verdict, judge_harnessed, judge_stdio_case, one_line


@dataclass
class Executor:
    limits: Limits
    pool: SlotPool
    reaper: Reaper
    runtimes: Runtimes

    def execute(self, req: ExecuteRequest) -> dict[str, object]:
        started = time.monotonic()
        verdict = self._verdict(req)
        return {
            "id": req.id,
            "status": verdict.status,
            "tests_passed": verdict.passed,
            "tests_total": verdict.total,
            "duration_s": round(time.monotonic() - started, 4),
            "detail": one_line(verdict.detail),
        }

    def _verdict(self, req: ExecuteRequest) -> Verdict:
        total = expected_total(req.tests)
        timeout_s = self.limits.timeout_for(req.timeout_s)
        argv = harness_argv(req.language, req.tests, self.limits, self.runtimes, timeout_s)
        if isinstance(argv, NotRun):
            return Verdict("not_run", 0, total, argv.reason)
        slot = self.pool.take()
        try:
            return self._run(slot, argv, req, timeout_s, total)
        finally:
            slot.kill_all(self.reaper, None, wipe=True)
            self.pool.give_back(slot)

    def _run(self, slot: Slot, argv: list[str], req: ExecuteRequest, timeout_s: float, total: int) -> Verdict:
        spec = harness_spec(req.code, req.tests)
        cpu = cpu_seconds(timeout_s)
        caps = (self.limits.stdout_bytes, self.limits.stderr_bytes)
        if not isinstance(req.tests, Stdio):
            outcome = run_process(self.reaper, slot, ProcessRun(argv, spec, None, timeout_s), *caps)
            return judge_harnessed(outcome, total, timeout_s, cpu)
        budget_end = time.monotonic() + self.limits.max_execution_s
        passed, first_bad = 0, None
        for i, case in enumerate(req.tests.cases):
            left = budget_end - time.monotonic()
            if left <= 0:
                first_bad = first_bad or Verdict("timeout", 0, 1, f"case {i}: the execution's budget of "
                                                 f"{self.limits.max_execution_s:g} s was spent")  # fmt: skip
                break
            case_timeout = min(timeout_s, left)
            run = ProcessRun(argv, spec, case.input.encode(), case_timeout)
            case_verdict = judge_stdio_case(run_process(self.reaper, slot, run, *caps), case.output, i,
                                            case_timeout, cpu)  # fmt: skip
            passed += case_verdict.passed
            first_bad = first_bad or (case_verdict if case_verdict.status != "passed" else None)
            if case_verdict.status == "timeout":
                break  # each further case would likely cost the whole timeout again
        if first_bad is None:
            return Verdict("passed", passed, total, "")
        return Verdict(first_bad.status, passed, total, first_bad.detail)
