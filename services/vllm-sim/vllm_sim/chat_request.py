"""Validate a /v1/chat/completions body into the few fields the simulator uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vllm_sim.errors import ApiError
from vllm_sim.schema_gen import schema_key
from vllm_sim.settings import JSON_OBJECT_SCHEMA
from vllm_sim.tokens import message_text, prompt_token_count

_JSON_OBJECT_KEY = schema_key(JSON_OBJECT_SCHEMA)


@dataclass(slots=True)
class ChatRequest:
    texts: list[str]
    prompt_tokens: int
    max_tokens: int | None
    stream: bool
    include_usage: bool
    schema_key: str | None  # canonical JSON of the schema the content must satisfy
    seed: int | None


def _positive_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, f"{key} must be an integer >= 1, got {value!r}", param=key)
    return value


def _schema_of(response_format: Any) -> str | None:
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise ApiError(400, "response_format must be an object", param="response_format")
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return _JSON_OBJECT_KEY
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict | bool):
            raise ApiError(
                400,
                "response_format.json_schema.schema must be a JSON Schema",
                param="response_format",
            )
        return schema_key(spec["schema"])
    raise ApiError(
        400,
        f"response_format.type: expected text, json_object or json_schema, got {kind!r}",
        param="response_format",
    )


def parse_chat_request(body: Any, served_model: str) -> ChatRequest:
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    model = body.get("model")
    if model is not None and model != served_model:
        raise ApiError(404, f"The model `{model}` does not exist.", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list", param="messages")
    texts = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            raise ApiError(400, f"messages[{i}] must be an object with a string 'role'", param="messages")
        texts.append(message_text(msg.get("content")))
    # vLLM: max_completion_tokens, when given, wins over the legacy max_tokens.
    max_tokens = _positive_int(body, "max_completion_tokens") or _positive_int(body, "max_tokens")
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise ApiError(400, f"stream must be a boolean, got {stream!r}", param="stream")
    options = body.get("stream_options") or {}
    include_usage = bool(stream and isinstance(options, dict) and options.get("include_usage"))
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ApiError(400, f"seed must be an integer, got {seed!r}", param="seed")
    return ChatRequest(
        texts=texts,
        prompt_tokens=prompt_token_count(texts),
        max_tokens=max_tokens,
        stream=stream,
        include_usage=include_usage,
        schema_key=_schema_of(body.get("response_format")),
        seed=seed,
    )
