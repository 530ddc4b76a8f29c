"""The token budget: the largest verdict the schema admits is computed, and every request's max_tokens
holds it within the server's context (no server: pure functions and the request builder)."""

from __future__ import annotations

import json
import random
from typing import Any

import jsonschema
import pytest
from analyze.fleet.chat_transport import encode_body
from analyze.inputs.tasks import parse_record
from analyze.judging.budget import (
    LEAST_BOUNDS,
    PREFERRED_BOUNDS,
    UnboundedSchemaError,
    bounds_ladder,
    max_json_bytes,
    max_tokens_for_schema,
)
from analyze.judging.request import AttemptSpec, BudgetError, JudgeTarget, build_request
from analyze.judging.verdict import overall_values, response_format, verdict_max_tokens
from analyze.settings import Settings

from tests.analyze.judge_fakes import largest_verdict, make_task

LABELS = ["A", "B", "C"]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 10])
@pytest.mark.parametrize("bounds", [PREFERRED_BOUNDS, LEAST_BOUNDS])
def test_the_bound_holds_for_the_largest_verdict(n: int, bounds: Any) -> None:
    labels = [chr(65 + i) for i in range(n)]
    schema = response_format(labels, bounds)["json_schema"]["schema"]
    verdict = largest_verdict(labels, schema)
    jsonschema.validate(verdict, schema)
    for separators in ((",", ":"), (", ", ": ")):  # compact, and xgrammar 0.2.8's ", "
        text = json.dumps(verdict, ensure_ascii=False, separators=separators)
        assert len(text.encode("utf-8")) <= max_json_bytes(schema)
    assert verdict_max_tokens(labels, bounds) == max_tokens_for_schema(schema)


def test_random_valid_verdicts_stay_within_the_bound() -> None:
    rng = random.Random(0)
    labels = [chr(65 + i) for i in range(6)]
    schema = response_format(labels, LEAST_BOUNDS)["json_schema"]["schema"]
    limit = max_json_bytes(schema)
    for _ in range(200):
        verdict = largest_verdict(labels, schema)
        for label in labels:
            verdict["scores"][label]["overall"] = rng.choice(overall_values())
        rng.shuffle(verdict["ranking"])
        jsonschema.validate(verdict, schema)
        assert len(json.dumps(verdict, ensure_ascii=False).encode()) <= limit


@pytest.mark.parametrize(
    ("schema", "fault"),
    [
        ({"type": "string"}, "maxLength"),
        ({"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2}}, "maxItems"),
        ({"type": "number", "minimum": 1, "maximum": 10}, "no bounded length"),
        ({"type": "object", "properties": {}}, "additionalProperties"),
        ({"type": "integer", "minimum": 1}, "minimum and maximum"),
    ],
)
def test_an_unbounded_schema_part_is_refused(schema: dict[str, Any], fault: str) -> None:
    with pytest.raises(UnboundedSchemaError, match=fault):
        max_json_bytes(schema)


def test_the_ladder_tightens_monotonically_from_preferred_to_least() -> None:
    ladder = bounds_ladder()
    assert ladder[0] == PREFERRED_BOUNDS and ladder[-1] == LEAST_BOUNDS
    sizes = [verdict_max_tokens(LABELS, bounds) for bounds in ladder]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)


def settings(**values: Any) -> Settings:
    return Settings.model_validate(values)


@pytest.mark.parametrize(("n", "context"), [(2, 4096), (5, 4096), (6, 8192), (10, 8192), (10, 32768)])
def test_max_tokens_fits_the_context_minus_the_prompt(n: int, context: int) -> None:
    task = parse_record(make_task("t", n=n), line=1)
    request = build_request(task, settings(), JudgeTarget("judge", context))
    assert request.max_tokens == max_tokens_for_schema(
        request.body["response_format"]["json_schema"]["schema"]
    )
    assert request.prompt_tokens_estimate + request.max_tokens <= context
    assert request.max_tokens <= Settings().max_output_tokens
    # The loosest bounds that fit were chosen: the next looser step would not have.
    ladder = bounds_ladder()
    step = ladder.index(request.bounds)
    if step > 0:
        looser = verdict_max_tokens(request.prompt.labels, ladder[step - 1])
        assert looser > min(Settings().max_output_tokens, context - request.prompt_tokens_estimate - 16)


def test_a_long_prompt_yields_to_the_smallest_verdict() -> None:
    record = make_task("long", n=10)
    for candidate in record["candidates"]:
        candidate["code"] = "x = compute()\n" * 2000
    task = parse_record(record, line=1)
    request = build_request(task, settings(max_input_tokens=6144), JudgeTarget("judge", 8192))
    assert all(item.truncated for item in request.prompt.shown)
    assert request.prompt_tokens_estimate + request.max_tokens <= 8192


def test_a_task_that_cannot_fit_raises_budget_error_naming_the_need() -> None:
    task = parse_record(make_task("t", n=10), line=1)
    with pytest.raises(BudgetError, match="10 candidates need at least"):
        build_request(task, settings(), JudgeTarget("judge", 2048))


def test_an_unknown_context_falls_back_to_settings() -> None:
    task = parse_record(make_task("t", n=3), line=1)
    assert JudgeTarget("judge").context(settings(max_model_len=5000)) == 5000
    assert JudgeTarget("judge").context(settings(max_input_tokens=1000, max_output_tokens=3000)) == 4000
    request = build_request(task, settings(max_model_len=5000), JudgeTarget("judge"))
    assert request.prompt_tokens_estimate + request.max_tokens <= 5000


def test_a_measured_prompt_size_shrinks_the_budget() -> None:
    task = parse_record(make_task("t", n=3), line=1)
    target = JudgeTarget("judge", 8192)
    plain = build_request(task, settings(), target)
    measured = build_request(task, settings(), target, attempt=AttemptSpec(token_ratio=3.0))
    assert measured.prompt_tokens_estimate > plain.prompt_tokens_estimate
    assert measured.max_tokens < plain.max_tokens
    assert measured.digest != plain.digest


@pytest.mark.parametrize("structured", [True, False])
@pytest.mark.parametrize("context", [8192, 4096])
def test_the_sent_bytes_are_the_whole_body_encoded(structured: bool, context: int) -> None:
    # The schema is encoded once per labels and bounds and spliced in: the bytes must not differ from
    # encoding the body whole (their digest is journaled and identifies a request).
    task = parse_record(make_task("t", n=4, problem='quotes " and ünïcode \\ {{labels}}'), line=1)
    retry = AttemptSpec(number=2, temperature=0.7, seed=5, frequency_penalty=0.3, tighten=1)
    for attempt in (None, retry):
        request = build_request(task, settings(structured_output=structured), JudgeTarget("judge", context),
                                attempt=attempt)  # fmt: skip
        assert request.encoded == encode_body(request.body)
        assert ("response_format" in json.loads(request.encoded)) is structured


def test_tighter_bounds_are_the_limits_the_prompt_states() -> None:
    task = parse_record(make_task("t", n=3), line=1)
    request = build_request(task, settings(), JudgeTarget("judge", 8192), attempt=AttemptSpec(tighten=2))
    assert request.bounds != bounds_ladder()[0]
    user = request.prompt.messages[1]["content"]
    assert str(request.bounds.rationale_chars) in user and str(request.bounds.issue_text_chars) in user
    assert str(bounds_ladder()[0].rationale_chars) not in user
