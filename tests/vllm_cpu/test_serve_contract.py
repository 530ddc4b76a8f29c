"""Contract of the real vLLM CPU server as the judge fleet uses it, through the openai client."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tokenizers import Tokenizer
from vllm_cpu_serve import settings
from vllm_sim.metrics import VLLM_METRIC_NAMES

from .vllm_cpu_server import RunningServer

pytestmark = [pytest.mark.vllm_cpu, pytest.mark.slow, pytest.mark.timeout(900)]

LABELS = ["A", "B", "C"]
CRITERIA = ["correctness", "readability", "efficiency"]
# Shaped like the pipeline's verdict: scores per labelled candidate plus a ranking of the labels.
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "candidates": {
            "type": "array",
            "minItems": len(LABELS),
            "maxItems": len(LABELS),
            "items": {
                "type": "object",
                "properties": {
                    "label": {"type": "string", "enum": LABELS},
                    "scores": {
                        "type": "object",
                        "properties": {c: {"type": "integer", "minimum": 1, "maximum": 10} for c in CRITERIA},
                        "required": CRITERIA,
                        "additionalProperties": False,
                    },
                    "comment": {"type": "string"},
                },
                "required": ["label", "scores", "comment"],
                "additionalProperties": False,
            },
        },
        "ranking": {
            "type": "array",
            "items": {"type": "string", "enum": LABELS},
            "minItems": len(LABELS),
            "maxItems": len(LABELS),
        },
    },
    "required": ["candidates", "ranking"],
    "additionalProperties": False,
}
MESSAGES = [
    {"role": "system", "content": "You are a strict code reviewer."},
    {"role": "user", "content": "比较候选 A、B、C 并打分。"},
]


@pytest.fixture(scope="module")
def client(vllm_cpu_server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{vllm_cpu_server.base_url}/v1", api_key=vllm_cpu_server.api_key, max_retries=0, timeout=120
    ) as client:
        yield client


@pytest.fixture(scope="module")
def chat(client: openai.OpenAI, vllm_cpu_server: RunningServer) -> Callable[..., Any]:
    """chat(max_tokens=..., ...): a chat completion of MESSAGES from the served model."""

    def create(**params: Any) -> Any:
        return client.chat.completions.create(
            model=vllm_cpu_server.served_model_name, messages=MESSAGES, **params
        )

    return create


def test_models_lists_the_served_name(client: openai.OpenAI, vllm_cpu_server: RunningServer) -> None:
    models = client.models.list().data
    assert [m.id for m in models] == [vllm_cpu_server.served_model_name]
    assert models[0].model_extra["max_model_len"] == settings.MAX_MODEL_LEN


def test_chat_completion_uses_the_models_template_and_tokenizer(
    chat: Callable[..., Any], tiny_model_dir: Path
) -> None:
    response = chat(max_tokens=24, temperature=1.0, seed=7, extra_body={"min_tokens": 4})
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert 4 <= response.usage.completion_tokens <= 24
    # The prompt vLLM counted is the ChatML rendering of the messages in this model's tokenizer.
    tokenizer = Tokenizer.from_file(str(tiny_model_dir / settings.TOKENIZER_FILE))
    rendered = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in MESSAGES)
    rendered += "<|im_start|>assistant\n"
    assert response.usage.prompt_tokens == len(tokenizer.encode(rendered).ids)


def test_streaming_reports_usage_last(chat: Callable[..., Any]) -> None:
    stream = chat(
        max_tokens=16,
        temperature=1.0,
        seed=11,
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"min_tokens": 2},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish_reasons = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert text
    assert finish_reasons in (["stop"], ["length"])
    assert chunks[-1].choices == []
    usage = chunks[-1].usage
    assert 2 <= usage.completion_tokens <= 16
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])


@pytest.mark.parametrize(("temperature", "seed"), [(0.0, 0), (1.0, 1), (1.0, 2)])
def test_json_schema_output_is_a_valid_verdict(
    chat: Callable[..., Any], temperature: float, seed: int
) -> None:
    response = chat(
        max_tokens=600,
        temperature=temperature,
        seed=seed,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA, "strict": True},
        },
    )
    content = response.choices[0].message.content
    assert response.choices[0].finish_reason == "stop", content
    jsonschema.validate(json.loads(content), VERDICT_SCHEMA)
    # disable_any_whitespace: compact JSON, no layout whitespace between tokens.
    assert not content.startswith(("{ ", "{\n")) and '", "' not in content


def test_requests_without_the_api_key_are_refused(vllm_cpu_server: RunningServer) -> None:
    with (
        openai.OpenAI(base_url=f"{vllm_cpu_server.base_url}/v1", api_key="wrong", max_retries=0) as client,
        pytest.raises(openai.AuthenticationError),
    ):
        client.models.list()


def test_metrics_expose_every_name_the_fleet_reads(vllm_cpu_server: RunningServer) -> None:
    with urllib.request.urlopen(f"{vllm_cpu_server.base_url}/metrics", timeout=30) as response:
        text = response.read().decode()
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    missing = [name for name in VLLM_METRIC_NAMES if name not in names]
    assert not missing, f"not in /metrics: {missing}"
