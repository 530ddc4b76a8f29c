"""Contract of the real vLLM CPU server as the judge fleet uses it, through the openai client.

Model: the real SmolLM2-135M-Instruct (smollm2.py), so answers are language and the pipeline's own
verdict schema is compiled by xgrammar and filled by an instruction-tuned model, as on the GPU fleet.
Outputs are kept short (greedy, small max_tokens) so the module takes about two minutes after start-up.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import openai
import pytest
from analyze.judging.budget import LEAST_BOUNDS
from analyze.judging.prompt import label_for
from analyze.judging.ranking import agrees_with_scores
from analyze.judging.verdict import parse_verdict, response_format, verdict_json_schema, verdict_max_tokens
from prometheus_client.parser import text_string_to_metric_families
from tokenizers import Tokenizer
from vllm_cpu_serve import settings
from vllm_sim.metrics import VLLM_METRIC_NAMES

from .vllm_cpu_server import RunningServer

pytestmark = [pytest.mark.vllm_cpu, pytest.mark.slow, pytest.mark.timeout(1200)]

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant. Answer briefly."},
    {"role": "user", "content": "What is the capital of France?"},
]
# The verdict test's task: N one-line candidates for one small problem, so prompts stay short.
CANDIDATE_CODES = (
    "def add(a, b):\n    return a + b",
    "def add(a, b):\n    return a - b",
    "def add(a, b):\n    print(a + b)",
    "def add(*numbers):\n    return sum(numbers)",
    "add = lambda a, b: a + b",
)
# The pipeline's tightest bounds keep SmolLM2's answers short; max_tokens is their computed largest
# verdict (analyze.judging.budget), so a cut-off answer (finish_reason "length") would mean the bound failed.
VERDICT_BOUNDS = LEAST_BOUNDS


@pytest.fixture(scope="module")
def client(vllm_cpu_server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{vllm_cpu_server.base_url}/v1", api_key=vllm_cpu_server.api_key, max_retries=0, timeout=600
    ) as client:
        yield client


@pytest.fixture(scope="module")
def chat(client: openai.OpenAI, vllm_cpu_server: RunningServer) -> Callable[..., Any]:
    """chat(messages=MESSAGES, max_tokens=..., ...): a chat completion from the served model."""

    def create(messages: list[dict[str, str]] = MESSAGES, **params: Any) -> Any:
        return client.chat.completions.create(
            model=vllm_cpu_server.served_model_name, messages=messages, **params
        )

    return create


def test_models_lists_the_served_name(client: openai.OpenAI, vllm_cpu_server: RunningServer) -> None:
    models = client.models.list().data
    assert [m.id for m in models] == [vllm_cpu_server.served_model_name]
    assert models[0].model_extra["max_model_len"] == settings.MAX_MODEL_LEN


def test_chat_answers_in_language_through_the_models_chat_template(
    chat: Callable[..., Any], smollm2_files: Path
) -> None:
    response = chat(max_tokens=32, temperature=0.0)
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    # A random-weight model cannot know this; SmolLM2 does.
    assert "paris" in choice.message.content.lower(), choice.message.content
    assert choice.finish_reason == "stop"
    # The prompt vLLM counted is the ChatML rendering of the messages in SmolLM2's tokenizer (its
    # template adds a default system message only when the first message is not one).
    tokenizer = Tokenizer.from_file(str(smollm2_files / settings.TOKENIZER_FILE))
    rendered = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in MESSAGES)
    rendered += "<|im_start|>assistant\n"
    assert response.usage.prompt_tokens == len(tokenizer.encode(rendered, add_special_tokens=False).ids)


def test_streaming_gives_the_same_greedy_answer_with_usage_last(chat: Callable[..., Any]) -> None:
    plain = chat(max_tokens=24, temperature=0.0)
    stream = chat(max_tokens=24, temperature=0.0, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish_reasons = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert text == plain.choices[0].message.content
    assert finish_reasons == [plain.choices[0].finish_reason]
    assert chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage.completion_tokens == plain.usage.completion_tokens
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])


def _review_messages(labels: list[str]) -> list[dict[str, str]]:
    blocks = "\n\n".join(
        f"Candidate {label}:\n{CANDIDATE_CODES[i % len(CANDIDATE_CODES)]}" for i, label in enumerate(labels)
    )
    return [
        {"role": "system", "content": "You are a strict code reviewer. Answer with one JSON object."},
        {
            "role": "user",
            "content": f"Problem: add(a, b) returns the sum of a and b.\n\n{blocks}\n\n"
            f"Score candidates {', '.join(labels)} from 1 to 10 and rank them, best first.",
        },
    ]


# 5 is the largest count whose rankings the schema lists as an enum of permutations
# (RANKING_PERMUTATIONS_MAX_CANDIDATES), 6 the first above it. More candidates only lengthen the batch
# (with 10: 159 s here, its longest request; 6 took 103 s): the simulator's tests judge 10.
VERDICT_COUNTS = (2, 3, 5, 6)


@pytest.fixture(scope="module")
def verdicts(chat: Callable[..., Any]) -> dict[int, Any]:
    """One verdict request per candidate count, all in flight at once: vLLM batches them, which on
    one shared core is several times faster than one after another (a step costs about the same)."""

    def ask(count: int) -> Any:
        labels = [label_for(i) for i in range(count)]
        return chat(
            messages=_review_messages(labels),
            max_tokens=verdict_max_tokens(labels, VERDICT_BOUNDS),
            temperature=0.0,
            response_format=response_format(labels, VERDICT_BOUNDS),  # as the pipeline sends it
        )

    with ThreadPoolExecutor(len(VERDICT_COUNTS)) as pool:
        return dict(zip(VERDICT_COUNTS, pool.map(ask, VERDICT_COUNTS), strict=True))


@pytest.mark.parametrize("count", VERDICT_COUNTS)
def test_the_pipelines_verdict_schema_compiles_and_decodes(verdicts: dict[int, Any], count: int) -> None:
    labels = [label_for(i) for i in range(count)]
    response = verdicts[count]
    max_tokens = verdict_max_tokens(labels, VERDICT_BOUNDS)
    content = response.choices[0].message.content
    assert response.choices[0].finish_reason == "stop", content[-500:]
    assert response.usage.completion_tokens <= max_tokens
    verdict = json.loads(content, strict=False)
    jsonschema.validate(verdict, verdict_json_schema(labels, VERDICT_BOUNDS))
    assert list(verdict) == ["issues", "rationale", "scores", "ranking"]
    assert sorted(verdict["scores"]) == sorted(labels)
    # disable_any_whitespace: compact JSON, no layout whitespace between tokens.
    assert not content.startswith(("{ ", "{\n")) and '", "' not in content
    parsed = parse_verdict(content, labels)
    assert sorted(parsed.ranking) == sorted(labels)
    assert agrees_with_scores(parsed.ranking, {k: v["overall"] for k, v in parsed.scores.items()})


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
