import asyncio

import pytest
from vllm_sim.scheduler import QueueFull, SlotPool


async def _hold(pool: SlotPool, started: list[int], i: int, release: asyncio.Event) -> None:
    async with pool.slot(kv_tokens=10):
        started.append(i)
        await release.wait()


async def test_requests_beyond_the_slots_wait_in_fifo_order() -> None:
    pool = SlotPool(max_num_seqs=2, max_waiting=10)
    release = asyncio.Event()
    started: list[int] = []
    tasks = [asyncio.create_task(_hold(pool, started, i, release)) for i in range(5)]
    await asyncio.sleep(0)
    assert (pool.running, pool.waiting, started) == (2, 3, [0, 1])
    assert pool.kv_tokens == 20
    release.set()
    await asyncio.gather(*tasks)
    assert started == [0, 1, 2, 3, 4]
    assert (pool.running, pool.waiting, pool.kv_tokens) == (0, 0, 0)


async def test_a_full_queue_refuses() -> None:
    pool = SlotPool(max_num_seqs=1, max_waiting=1)
    release = asyncio.Event()
    tasks = [asyncio.create_task(_hold(pool, [], i, release)) for i in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(QueueFull):
        async with pool.slot(kv_tokens=1):
            pass
    release.set()
    await asyncio.gather(*tasks)


async def test_a_cancelled_waiter_leaves_the_queue_and_frees_nothing_twice() -> None:
    pool = SlotPool(max_num_seqs=1, max_waiting=5)
    release = asyncio.Event()
    started: list[int] = []
    holder = asyncio.create_task(_hold(pool, started, 0, release))
    waiter = asyncio.create_task(_hold(pool, started, 1, release))
    await asyncio.sleep(0)
    assert pool.waiting == 1
    waiter.cancel()
    await asyncio.sleep(0)
    assert (pool.waiting, pool.running) == (0, 1)
    release.set()
    await holder
    assert (pool.running, started) == (0, [0])


async def test_growing_the_pool_wakes_waiters() -> None:
    pool = SlotPool(max_num_seqs=1, max_waiting=5)
    release = asyncio.Event()
    started: list[int] = []
    tasks = [asyncio.create_task(_hold(pool, started, i, release)) for i in range(3)]
    await asyncio.sleep(0)
    pool.resize(3, 5)
    await asyncio.sleep(0)
    assert sorted(started) == [0, 1, 2]
    release.set()
    await asyncio.gather(*tasks)


async def test_busy_seconds_count_held_slots_including_in_flight() -> None:
    pool = SlotPool(max_num_seqs=4, max_waiting=0)
    release = asyncio.Event()
    tasks = [asyncio.create_task(_hold(pool, [], i, release)) for i in range(3)]
    await asyncio.sleep(0)
    before = pool.busy_seconds()
    await asyncio.sleep(0.05)
    during = pool.busy_seconds()
    assert during - before >= 3 * 0.05 * 0.9  # three slots held over the same stretch
    release.set()
    await asyncio.gather(*tasks)
    after = pool.busy_seconds()
    assert after >= during
    await asyncio.sleep(0.02)
    assert pool.busy_seconds() == after  # nothing held: the counter stands still
