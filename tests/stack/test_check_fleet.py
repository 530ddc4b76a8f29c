"""`analyze check` through real nginx in front of three simulators: each instance behind the balancer is
listed with its own queue and KV use, learned from the instance header of its /metrics answers.

Stand-ins: the simulator (`vllm_sim`, three processes) behind the project's nginx config (local binary).
"""

from __future__ import annotations

from contextlib import ExitStack
from urllib.parse import urlsplit

from analyze.fleet.check import check_fleet, format_status
from vllm_sim.testing import start_simulator

from .stack_helpers import local_nginx


def test_check_lists_every_instance_behind_nginx() -> None:
    with ExitStack() as stack:
        sims = [stack.enter_context(start_simulator(name=f"sim-{i}", time_scale=0)) for i in range(3)]
        upstreams = [urlsplit(sim.base_url).netloc for sim in sims]
        nginx = stack.enter_context(local_nginx(upstreams))
        status = check_fleet(f"http://127.0.0.1:{nginx.port}/v1", "EMPTY")
    assert status.healthy and status.error is None
    assert [instance.name for instance in status.instances] == ["sim-0", "sim-1", "sim-2"]
    assert all(instance.running == 0 and instance.waiting == 0 for instance in status.instances)
    assert all(instance.kv_usage == 0 for instance in status.instances)
    text = format_status(status)
    assert "3 instances behind it" in text
    for i in range(3):
        assert f"✓ sim-{i}  running=0 waiting=0 kv=0%" in text


def test_check_of_one_server_shows_its_own_queue() -> None:
    with start_simulator(name="solo", time_scale=0) as sim:
        status = check_fleet(f"{sim.base_url}/v1", "EMPTY")
    assert [instance.name for instance in status.instances] == ["solo"]
    assert format_status(status).endswith("running=0 waiting=0 kv=0%")
