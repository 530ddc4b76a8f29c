"""A fleet of local vLLM simulators, and the busy slot-seconds they report."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from analyze.fleet.prometheus import MAX_NUM_SEQS
from vllm_sim.testing import free_port, simulator_command

from bench.harness import procs
from bench.harness.prom import scrape
from bench.settings import HEALTH_TIMEOUT_S, SimProfile

BUSY = "vllm_sim:busy_slot_seconds_total"
SLOTS = MAX_NUM_SEQS[0]  # the job reads the same gauge (analyze.fleet.prometheus)


@dataclass(frozen=True)
class SimFleet:
    ports: tuple[int, ...]
    names: tuple[str, ...]
    pids: tuple[int, ...] = ()  # each simulator's process (group leader): `kill`, `cpu_seconds`

    def cpu_seconds(self) -> float:
        """User + system CPU the simulators have used so far (they share the job's cores)."""
        return sum(procs.tree_usage(psutil.Process(pid))[0] for pid in self.pids)

    @property
    def base_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/v1" for port in self.ports]

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.1:{port}" for port in self.ports]

    def metrics(self) -> list[dict[str, float]]:
        return [scrape(f"http://127.0.0.1:{port}/metrics") for port in self.ports]

    def busy_slot_seconds(self) -> float:
        return sum(self.busy_by_instance())

    def busy_by_instance(self) -> list[float]:
        return [page[BUSY] for page in self.metrics()]

    def slots(self) -> int:
        return int(sum(page[SLOTS] for page in self.metrics()))

    def kill(self, index: int) -> None:
        """SIGKILL one simulator (an instance lost mid-run: no drain, its connections reset)."""
        os.killpg(self.pids[index], signal.SIGKILL)

    def set_option(self, **values: float | int | str) -> None:
        """Change runtime options of every instance through POST /admin/config."""
        for port in self.ports:
            response = httpx.post(f"http://127.0.0.1:{port}/admin/config", json=values, timeout=5.0)
            response.raise_for_status()


@contextlib.contextmanager
def sim_fleet(
    count: int, profile: SimProfile, log_dir: Path, seed: int = 0, seed_step: int = 1
) -> Iterator[SimFleet]:
    """Start `count` simulators (`vllm-1`...) on free ports, instance i with seed `seed + i * seed_step`;
    stop them all on exit. seed_step 0: every instance draws the same answer (and length) for a request,
    so which instance serves it changes nothing of the work."""
    ports = tuple(free_port() for _ in range(count))
    names = tuple(f"vllm-{i + 1}" for i in range(count))
    with contextlib.ExitStack() as stack:
        started = []
        for index, (port, name) in enumerate(zip(ports, names, strict=True)):
            cmd = simulator_command(
                port, {"name": name, "seed": seed + index * seed_step, **profile.options()}
            )
            log = log_dir / f"{name}.log"
            started.append((procs.start(cmd, log), port, log))
            stack.callback(procs.stop, started[-1][0])
        for proc, port, log in started:  # start all first: they boot in parallel
            procs.wait_up(proc, log, f"http://127.0.0.1:{port}/health", HEALTH_TIMEOUT_S)
        yield SimFleet(ports, names, tuple(proc.pid for proc, _, _ in started))
