"""Fixtures: an in-process simulator (aiohttp test server) built from SimConfig overrides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from vllm_sim.server import create_app
from vllm_sim.settings import SimConfig

from .sim_helpers import ClientFactory


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """`await make_client(time_scale=0, ...)`: a client of a fresh in-process simulator."""
    clients: list[TestClient] = []

    async def factory(**overrides: Any) -> TestClient:
        config = SimConfig().updated({"time_scale": 0, "jitter": 0, **overrides})
        client = TestClient(TestServer(create_app(config), handler_cancellation=True))
        await client.start_server()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()
