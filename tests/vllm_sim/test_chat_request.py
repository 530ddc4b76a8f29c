import pytest
from vllm_sim.chat_request import parse_chat_request
from vllm_sim.errors import ApiError

MSG = [{"role": "user", "content": "abcdefgh"}]


def test_fields_are_read() -> None:
    req = parse_chat_request(
        {
            "messages": MSG,
            "max_tokens": 9,
            "stream": True,
            "stream_options": {"include_usage": True},
            "seed": 4,
        },
        "sim-model",
    )
    assert (req.prompt_tokens, req.max_tokens, req.stream, req.include_usage, req.seed) == (
        6,
        9,
        True,
        True,
        4,
    )
    assert req.schema_key is None


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    req = parse_chat_request({"messages": MSG, "max_tokens": 9, "max_completion_tokens": 3}, "sim-model")
    assert req.max_tokens == 3


def test_include_usage_needs_stream() -> None:
    req = parse_chat_request({"messages": MSG, "stream_options": {"include_usage": True}}, "sim-model")
    assert req.include_usage is False


def test_json_schema_and_json_object_set_a_schema() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    assert '"integer"' in parse_chat_request({"messages": MSG, "response_format": fmt}, "m").schema_key
    obj = parse_chat_request({"messages": MSG, "response_format": {"type": "json_object"}}, "m")
    assert obj.schema_key is not None


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"messages": []}, 400, "messages"),
        ({"messages": [{"content": "x"}]}, 400, "messages"),
        ({"messages": MSG, "max_tokens": 0}, 400, "max_tokens"),
        ({"messages": MSG, "max_tokens": True}, 400, "max_tokens"),
        ({"messages": MSG, "stream": "yes"}, 400, "stream"),
        ({"messages": MSG, "response_format": {"type": "xml"}}, 400, "response_format"),
        (
            {"messages": MSG, "response_format": {"type": "json_schema", "json_schema": {}}},
            400,
            "response_format",
        ),
        ({"messages": MSG, "model": "other"}, 404, "model"),
    ],
)
def test_invalid_bodies_fail_with_status_and_param(body: dict, status: int, param: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_chat_request(body, "sim-model")
    assert (info.value.status, info.value.param) == (status, param)
    assert set(info.value.body()["error"]) == {"message", "type", "param", "code"}
