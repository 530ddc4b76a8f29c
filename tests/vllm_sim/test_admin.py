"""/admin/config answers only with the API key (Bearer, as /v1 takes it), or, with no key set, only
clients on loopback; it never shows the key."""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from vllm_sim.errors import ApiError
from vllm_sim.server import MASKED_KEY, STATE, create_app, from_loopback, get_config, post_config
from vllm_sim.settings import SimConfig

from .sim_helpers import ClientFactory, chat_body

ADMIN = "/admin/config"
KEY = "s3cret-admin-key"
BEARER = {"Authorization": f"Bearer {KEY}"}


async def test_with_a_key_admin_refuses_requests_without_it(make_client: ClientFactory) -> None:
    client = await make_client(api_key=KEY)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
        read = await client.get(ADMIN, headers=headers)
        assert read.status == 401, headers
        assert KEY not in await read.text()
        # the POST that would turn auth off is refused and changes nothing
        off = await client.post(ADMIN, json={"api_key": ""}, headers=headers)
        assert off.status == 401, headers
    assert (await client.post("/v1/chat/completions", json=chat_body())).status == 401
    assert (await client.get(ADMIN, headers=BEARER)).status == 200


async def test_with_the_key_admin_reads_and_changes_but_masks_the_key(make_client: ClientFactory) -> None:
    client = await make_client(api_key=KEY, name="k")
    read = await client.get(ADMIN, headers=BEARER)
    assert read.status == 200
    assert KEY not in await read.text()
    shown = await read.json()
    assert shown["api_key"] == MASKED_KEY and shown["name"] == "k"
    changed = await client.post(ADMIN, json={"max_num_seqs": 3}, headers=BEARER)
    assert changed.status == 200
    assert KEY not in await changed.text()
    assert (await changed.json())["max_num_seqs"] == 3


async def test_a_key_rotated_through_admin_is_the_one_admin_takes_next(make_client: ClientFactory) -> None:
    client = await make_client(api_key=KEY)
    rotated = await client.post(ADMIN, json={"api_key": "new-key"}, headers=BEARER)
    assert rotated.status == 200
    assert "new-key" not in await rotated.text()
    assert (await client.get(ADMIN, headers=BEARER)).status == 401
    assert (await client.get(ADMIN, headers={"Authorization": "Bearer new-key"})).status == 200


async def test_without_a_key_loopback_clients_need_none(make_client: ClientFactory) -> None:
    client = await make_client()  # the test server listens on 127.0.0.1
    read = await client.get(ADMIN)
    assert read.status == 200
    assert (await read.json())["api_key"] == ""
    assert (await client.post(ADMIN, json={"max_num_seqs": 2})).status == 200


def _request(
    method: str, peer: tuple | None, config: SimConfig, headers: dict[str, str] | None = None
) -> web.Request:
    """A request of the app as if it came from `peer` (what the socket's peername says)."""
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: peer if name == "peername" else default
    return make_mocked_request(method, ADMIN, headers=headers, app=create_app(config), transport=transport)


@pytest.mark.parametrize("handler", [get_config, post_config])
@pytest.mark.parametrize("peer", [("172.18.0.5", 40000), ("192.0.2.9", 1), ("fd00::7", 2, 0, 0), None])
async def test_without_a_key_other_clients_are_refused(handler, peer) -> None:
    request = _request("GET" if handler is get_config else "POST", peer, SimConfig())
    with pytest.raises(ApiError) as refused:
        await handler(request)
    assert refused.value.status == 403
    assert "loopback" in refused.value.message
    assert request.app[STATE].config == SimConfig()


async def test_with_a_key_other_clients_that_send_it_are_served() -> None:
    response = await get_config(_request("GET", ("172.18.0.5", 1), SimConfig(api_key=KEY), BEARER))
    assert response.status == 200
    assert KEY.encode() not in response.body


@pytest.mark.parametrize(
    ("peer", "loopback"),
    [
        (("127.0.0.1", 1), True),
        (("127.3.4.5", 1), True),
        (("::1", 1, 0, 0), True),
        (("::ffff:127.0.0.1", 1, 0, 0), True),
        (("::ffff:10.0.0.1", 1, 0, 0), False),
        (("10.0.0.1", 1), False),
        (None, False),
    ],
)
def test_loopback_is_judged_by_the_peer_address(peer, loopback: bool) -> None:
    assert from_loopback(_request("GET", peer, SimConfig())) is loopback
