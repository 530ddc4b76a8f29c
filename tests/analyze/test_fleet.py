"""Against real simulator processes: a faulty fleet still judges every task; MultiVLLMClient balances
load and skips an instance that was killed."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from analyze import AsyncMultiVLLMClient, MultiVLLMClient
from analyze.pipeline import execute_pipeline
from analyze.progress import Console
from vllm_sim.testing import SimulatorProcess, start_simulator

from .judge_fakes import fast_settings, make_task, read_jsonl, write_jsonl

HELLO = [{"role": "user", "content": "Hello!"}]


@pytest.fixture
def three_sims() -> Iterator[list[SimulatorProcess]]:
    with ExitStack() as stack:
        yield [stack.enter_context(start_simulator(name=f"sim-{i}", time_scale=0, seed=i)) for i in range(3)]


def test_faulty_fleet_judges_every_valid_task(tmp_path: Path) -> None:
    faults = {"fail_429": 0.1, "fail_503": 0.1, "fail_500": 0.05, "hang_rate": 0.01, "time_scale": 0}
    records: list[object] = [make_task(f"t{i:03d}", n=2 + i % 4) for i in range(300)]
    records[10] = {"task_id": "broken", "problem": "p", "candidates": []}
    write_jsonl(tmp_path / "tasks.jsonl", records)
    with ExitStack() as stack:
        sims = [stack.enter_context(start_simulator(name=f"sim-{i}", seed=i, **faults)) for i in range(3)]
        settings = fast_settings(
            tmp_path, [s.base_url for s in sims], timeout_s=1.0, max_retries=12, concurrency="24"
        )
        outcome = execute_pipeline(settings, console=Console("en", stream=io.StringIO()), report=False)
    results = read_jsonl(tmp_path / "out" / "results.jsonl")
    ids = [r["task_id"] for r in results]
    assert outcome.stats.failed == 0 and outcome.stats.rejected == 1
    assert len(ids) == len(set(ids)) == 299
    attempts = sum(req["attempts"] for r in results for req in r["requests"])
    assert attempts > len(results), "faults were injected, so some requests must have been retried"
    served = Counter(req["backend"] for r in results for req in r["requests"])
    assert set(served) == {"sim-0", "sim-1", "sim-2"}
    assert read_jsonl(tmp_path / "out" / "rejects.jsonl")[0]["line"] == 11


def test_sync_client_spreads_sequential_requests_evenly(three_sims: list[SimulatorProcess]) -> None:
    client = MultiVLLMClient([s.base_url for s in three_sims])
    for _ in range(12):
        reply = client.chat.completions.create(model="sim-model", messages=HELLO, max_tokens=5)
        assert reply.choices[0].message.content
    assert [b.served for b in client.pool.backends] == [4, 4, 4]


async def test_async_client_spreads_concurrent_requests(three_sims: list[SimulatorProcess]) -> None:
    client = AsyncMultiVLLMClient([s.base_url for s in three_sims])
    calls = [
        client.chat.completions.create(model="sim-model", messages=HELLO, max_tokens=5) for _ in range(30)
    ]
    replies = await asyncio.gather(*calls)
    assert len(replies) == 30
    served = [b.served for b in client.pool.backends]
    assert sum(served) == 30 and min(served) >= 5
    assert all(b.outstanding == 0 for b in client.pool.backends)


def test_killed_instance_is_skipped_for_the_cooldown(three_sims: list[SimulatorProcess]) -> None:
    client = MultiVLLMClient([s.base_url for s in three_sims], cooldown_s=600, timeout=5)
    three_sims[1].process.kill()
    three_sims[1].process.wait()
    for _ in range(20):
        client.chat.completions.create(model="sim-model", messages=HELLO, max_tokens=5)
    dead = client.pool.backends[1]
    assert dead.served == 0 and dead.failures == 1
    assert client.pool.backends[0].served + client.pool.backends[2].served == 20


def test_sync_client_is_thread_safe(three_sims: list[SimulatorProcess]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client = MultiVLLMClient([s.base_url for s in three_sims])
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: client.chat.completions.create(model="sim-model", messages=HELLO), range(30)))
    assert sum(b.served for b in client.pool.backends) == 30
    assert all(b.outstanding == 0 and b.served > 0 for b in client.pool.backends)
