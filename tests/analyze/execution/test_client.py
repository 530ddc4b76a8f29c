"""The sandbox's address as --sandbox takes it, and what the job does when nothing answers there (no
Docker needed: a socket path with no server behind it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from analyze.execution import executor as executor_module
from analyze.execution.address import parse_address
from analyze.execution.client import SandboxClient, SandboxError
from analyze.execution.executor import ExecutionSettings, TaskExecutor
from analyze.inputs.tasks import parse_record

from tests.analyze.judge_fakes import make_task

HUMANEVAL = {"test": "def check(candidate):\n    assert candidate(2, 3) == 5\n", "entry_point": "add"}


@pytest.mark.parametrize(
    ("text", "base", "socket"),
    [
        ("unix:///run/sandbox/sandbox.sock", "http://sandbox", "/run/sandbox/sandbox.sock"),
        ("/tmp/s.sock", "http://sandbox", "/tmp/s.sock"),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000", None),
    ],
)
def test_addresses_the_job_accepts(text: str, base: str, socket: str | None) -> None:
    address = parse_address(text)
    assert (address.base_url, address.socket_path) == (base, socket)


@pytest.mark.parametrize(
    "text", ["unix://relative.sock", "sandbox:9000", "ftp://host/", "http://user:pw@host:1/", ""]
)
def test_other_addresses_are_refused_saying_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected unix:///path|absolute path"):
        parse_address(text)


async def test_a_silent_sandbox_is_an_error_naming_its_address(tmp_path: Path) -> None:
    client = SandboxClient(parse_address(str(tmp_path / "none.sock")))
    with pytest.raises(SandboxError, match=r"none\.sock/health"):
        await client.health()
    await client.aclose()


async def test_candidates_of_a_silent_sandbox_are_not_run_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executor_module, "SANDBOX_RETRY_DELAY_S", 0.0)
    client = SandboxClient(parse_address(str(tmp_path / "none.sock")))
    executor = TaskExecutor(client, 2, ExecutionSettings(5.0, ("python",)))
    task = await executor.run(parse_record(make_task("t", **HUMANEVAL), line=1))
    await client.aclose()
    results = [c.execution for c in task.candidates]
    assert all(r is not None and r.status == "not_run" for r in results)
    assert all("sandbox unavailable" in r.detail for r in results if r is not None)
    assert [c.truth for c in task.candidates] == [(None, None)] * 3  # not run: no ground truth


@pytest.mark.parametrize(
    ("language", "tests", "reason"),
    [
        ("go", HUMANEVAL, "no test runner for language 'go'"),
        ("javascript", HUMANEVAL, "javascript cannot run humaneval tests"),
        ("javascript", {"tests": [{"input": "1", "output": "1"}]}, "the sandbox has no javascript runtime"),
    ],
)
async def test_what_cannot_run_is_not_run_without_asking_the_sandbox(
    tmp_path: Path, language: str, tests: dict, reason: str
) -> None:
    client = SandboxClient(parse_address(str(tmp_path / "none.sock")))  # never called
    executor = TaskExecutor(client, 1, ExecutionSettings(5.0, ("python",)))
    task = await executor.run(parse_record(make_task("t", language=language, **tests), line=1))
    assert {c.execution.status for c in task.candidates if c.execution} == {"not_run"}
    assert all(reason in c.execution.detail for c in task.candidates if c.execution)


async def test_a_task_without_tests_is_left_as_it_was(tmp_path: Path) -> None:
    client = SandboxClient(parse_address(str(tmp_path / "none.sock")))
    task = parse_record(make_task("t"), line=1)
    executor = TaskExecutor(client, 1, ExecutionSettings(5.0, ("python",)))
    assert await executor.run(task) is task
