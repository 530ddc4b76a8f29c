"""Zero-latency throughput of one simulator process (target: >= 1,500 non-streaming requests/s).

Starts `vllm-sim --time-scale 0` as a subprocess, drives it from this process with aiohttp, and prints
a markdown table. Bounded by --requests and --seconds, whichever comes first.

    .venv/bin/python bench/sim_throughput.py [--requests 20000] [--seconds 20] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import aiohttp
import psutil
from vllm_sim.testing import start_simulator

WARMUP_REQUESTS = 200


async def drive(
    url: str, body: bytes, total: int, seconds: float, concurrency: int
) -> tuple[int, int, float]:
    """(ok, failed, elapsed seconds) for up to `total` requests or `seconds`, `concurrency` at a time."""
    remaining = total
    ok = failed = 0
    deadline = time.monotonic() + seconds
    headers = {"Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, ok, failed
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status == 200:
                    ok += 1
                else:
                    failed += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return ok, failed, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--output-len", default="fixed:128", help="simulator --output-len")
    args = parser.parse_args()

    body = json.dumps(
        {"model": "sim-model", "messages": [{"role": "user", "content": "Judge these candidates. " * 40}]}
    ).encode()
    with start_simulator(time_scale=0, max_num_seqs=256, output_len=args.output_len) as sim:
        url = sim.base_url + "/v1/chat/completions"
        server = psutil.Process(sim.process.pid)
        asyncio.run(drive(url, body, WARMUP_REQUESTS, args.seconds, args.concurrency))
        server_cpu0, client_cpu0 = sum(server.cpu_times()[:2]), sum(os.times()[:2])
        ok, failed, elapsed = asyncio.run(drive(url, body, args.requests, args.seconds, args.concurrency))
        server_cpu = sum(server.cpu_times()[:2]) - server_cpu0
        client_cpu = sum(os.times()[:2]) - client_cpu0

    print("| requests | failed | seconds | req/s | client CPU s | server CPU s | concurrency |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {ok} | {failed} | {elapsed:.2f} | {ok / elapsed:.0f} | {client_cpu:.2f} | {server_cpu:.2f} "
        f"| {args.concurrency} |"
    )


if __name__ == "__main__":
    main()
