"""In-process HTTP tests of the simulator app (aiohttp test server, real sockets)."""

import asyncio
import json

import jsonschema
import pytest
from aiohttp import ClientTimeout
from prometheus_client.parser import text_string_to_metric_families

from .sim_helpers import ClientFactory, chat_body

URL = "/v1/chat/completions"


async def _metric(client, name: str, **labels: str) -> float:
    text = await (await client.get("/metrics")).text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"{name} {labels} not in /metrics")


async def test_non_streaming_answer_has_usage_and_served_by(make_client: ClientFactory) -> None:
    client = await make_client(name="vllm-7", output_len="fixed:20")
    resp = await client.post(URL, json=chat_body(max_tokens=50))
    assert resp.status == 200
    assert resp.headers["x-served-by"] == "vllm-7"
    body = await resp.json()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 20
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + 20
    assert body["model"] == "sim-model"


async def test_max_tokens_gives_length(make_client: ClientFactory) -> None:
    client = await make_client(output_len="fixed:20")
    body = await (await client.post(URL, json=chat_body(max_completion_tokens=5))).json()
    assert (body["choices"][0]["finish_reason"], body["usage"]["completion_tokens"]) == ("length", 5)


async def test_json_schema_content_validates_and_is_deterministic(make_client: ClientFactory) -> None:
    schema = {
        "type": "object",
        "properties": {
            "rank": {"type": "array", "items": {"enum": ["A", "B"]}, "minItems": 2, "maxItems": 2}
        },
        "required": ["rank"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "r", "schema": schema}}
    client = await make_client(seed=3)
    contents = []
    for _ in range(2):
        body = await (await client.post(URL, json=chat_body(response_format=fmt))).json()
        contents.append(body["choices"][0]["message"]["content"])
    jsonschema.validate(json.loads(contents[0]), schema)
    assert contents[0] == contents[1]


async def test_json_object_gives_an_object(make_client: ClientFactory) -> None:
    client = await make_client()
    body = await (await client.post(URL, json=chat_body(response_format={"type": "json_object"}))).json()
    assert isinstance(json.loads(body["choices"][0]["message"]["content"]), dict)


async def test_models_lists_the_served_name(make_client: ClientFactory) -> None:
    client = await make_client(model="Qwen3-judge")
    body = await (await client.get("/v1/models")).json()
    assert [m["id"] for m in body["data"]] == ["Qwen3-judge"]


async def test_api_key_is_required_on_v1_only(make_client: ClientFactory) -> None:
    client = await make_client(api_key="s3cret", name="k")
    denied = await client.post(URL, json=chat_body())
    assert denied.status == 401
    assert denied.headers["x-served-by"] == "k"
    assert (await denied.json())["error"]["code"] == 401
    wrong = await client.post(URL, json=chat_body(), headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    ok = await client.post(URL, json=chat_body(), headers={"Authorization": "Bearer s3cret"})
    assert ok.status == 200
    assert (await client.get("/health")).status == 200
    assert (await client.get("/metrics")).status == 200


async def test_errors_have_openai_shape_and_served_by(make_client: ClientFactory) -> None:
    client = await make_client(name="e")
    bad_json = await client.post(URL, data=b"{nope", headers={"Content-Type": "application/json"})
    assert bad_json.status == 400 and bad_json.headers["x-served-by"] == "e"
    assert set((await bad_json.json())["error"]) == {"message", "type", "param", "code"}
    wrong_model = await client.post(URL, json={**chat_body(), "model": "gpt-x"})
    assert wrong_model.status == 404
    missing_route = await client.get("/v1/nothing")
    assert missing_route.status == 404 and missing_route.headers["x-served-by"] == "e"


async def test_context_length_is_checked_like_vllm(make_client: ClientFactory) -> None:
    client = await make_client(max_model_len=100)
    resp = await client.post(URL, json=chat_body("x" * 300, max_tokens=30))
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert "maximum context length is 100 tokens" in error["message"]
    assert error["type"] == "BadRequestError"
    fits = await client.post(URL, json=chat_body("x" * 200, max_tokens=30))
    assert fits.status == 200


async def test_requests_beyond_the_slots_wait_and_show_in_metrics(make_client: ClientFactory) -> None:
    client = await make_client(
        max_num_seqs=2, time_scale=1, ttft_overhead_ms=400, itl_ms=0, output_len="fixed:1"
    )
    posts = [asyncio.create_task(client.post(URL, json=chat_body(f"p{i}"))) for i in range(5)]
    await asyncio.sleep(0.2)
    assert await _metric(client, "vllm:num_requests_running") == 2
    assert await _metric(client, "vllm:num_requests_waiting") == 3
    assert await _metric(client, "vllm_sim:max_num_seqs") == 2
    statuses = [(await p).status for p in posts]
    assert statuses == [200] * 5
    assert await _metric(client, "vllm:num_requests_waiting") == 0
    # 5 requests, each holding a slot for ~0.4 s of simulated prefill
    assert await _metric(client, "vllm_sim:busy_slot_seconds_total") >= 5 * 0.4 * 0.9
    assert await _metric(client, "vllm:request_success_total", finished_reason="stop") == 5


async def test_a_full_queue_answers_429_with_retry_after(make_client: ClientFactory) -> None:
    client = await make_client(max_num_seqs=1, max_waiting=1, time_scale=1, ttft_overhead_ms=300, itl_ms=0)
    first = [asyncio.create_task(client.post(URL, json=chat_body())) for _ in range(2)]
    await asyncio.sleep(0.1)
    refused = await client.post(URL, json=chat_body())
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "1"
    assert [(await p).status for p in first] == [200, 200]
    assert await _metric(client, "vllm_sim:requests_total", code="429") == 1


@pytest.mark.parametrize(
    ("option", "status", "fragment"),
    [
        ("fail_429", 429, "Rate limit"),
        ("fail_500", 500, "Internal"),
        ("fail_503", 503, "unavailable"),
        ("fail_400_context", 400, "maximum context length"),
    ],
)
async def test_each_injected_fault(
    make_client: ClientFactory, option: str, status: int, fragment: str
) -> None:
    client = await make_client(**{option: 1.0}, name="f")
    resp = await client.post(URL, json=chat_body())
    assert resp.status == status and resp.headers["x-served-by"] == "f"
    assert fragment in (await resp.json())["error"]["message"]


async def test_hang_never_answers_so_the_client_times_out(make_client: ClientFactory) -> None:
    client = await make_client(hang_rate=1.0)
    pending = asyncio.create_task(client.post(URL, json=chat_body(), timeout=ClientTimeout(total=0.5)))
    await asyncio.sleep(0.2)
    assert await _metric(client, "vllm_sim:hanging_requests") == 1
    with pytest.raises(asyncio.TimeoutError):
        await pending
    await asyncio.sleep(0.1)
    assert await _metric(client, "vllm_sim:hanging_requests") == 0  # handler cancelled with the connection


async def test_startup_delay_gives_503_then_ready(make_client: ClientFactory) -> None:
    client = await make_client(startup_delay=0.3, name="s")
    health = await client.get("/health")
    assert health.status == 503 and health.headers["x-served-by"] == "s"
    assert (await client.post(URL, json=chat_body())).status == 503
    assert (await client.get("/v1/models")).status == 503  # vLLM lists no model before it is loaded
    await asyncio.sleep(0.35)
    assert (await client.get("/health")).status == 200
    assert (await client.post(URL, json=chat_body())).status == 200
    assert (await client.get("/v1/models")).status == 200


async def test_admin_config_reads_and_updates(make_client: ClientFactory) -> None:
    client = await make_client(name="a")
    current = await (await client.get("/admin/config")).json()
    assert current["name"] == "a" and current["max_num_seqs"] == 64
    updated = await client.post(
        "/admin/config", json={"max_num_seqs": 3, "fail_500": 1, "output_len": "fixed:4"}
    )
    assert updated.status == 200
    assert (await updated.json())["max_num_seqs"] == 3
    assert await _metric(client, "vllm_sim:max_num_seqs") == 3
    assert (await client.post(URL, json=chat_body())).status == 500
    await client.post("/admin/config", json={"fail_500": 0})
    body = await (await client.post(URL, json=chat_body())).json()
    assert body["usage"]["completion_tokens"] == 4


async def test_admin_config_rejects_bad_fields_without_changing_anything(make_client: ClientFactory) -> None:
    client = await make_client()
    resp = await client.post("/admin/config", json={"max_num_seqs": 5, "jitter": 7})
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["param"] == "jitter" and "probability" in error["message"]
    assert (await (await client.get("/admin/config")).json())["max_num_seqs"] == 64
    assert (await client.post("/admin/config", json={"port": 1})).status == 400


async def test_token_counters_follow_usage(make_client: ClientFactory) -> None:
    client = await make_client(output_len="fixed:9")
    usage = (await (await client.post(URL, json=chat_body())).json())["usage"]
    assert await _metric(client, "vllm:prompt_tokens_total") == usage["prompt_tokens"]
    assert await _metric(client, "vllm:generation_tokens_total") == 9
    assert await _metric(client, "vllm:e2e_request_latency_seconds_count") == 1


async def test_stream_frames_chunks_usage_and_done(make_client: ClientFactory) -> None:
    client = await make_client(output_len="fixed:30", name="st")
    resp = await client.post(URL, json=chat_body(stream=True, stream_options={"include_usage": True}))
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    assert resp.headers["x-served-by"] == "st"
    raw = (await resp.read()).decode()
    events = [e for e in raw.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[len("data: ") :]) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert len(text) == 30 * 4
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 30
    assert len({c["id"] for c in chunks}) == 1
