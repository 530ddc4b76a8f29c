"""Verdict parsing: tolerant extraction, strict validation with reasons, and the structured-output schema."""

from __future__ import annotations

import itertools
import json
from typing import Any

import jsonschema
import pytest
from analyze.constants import ISSUES_MAX_PER_CANDIDATE
from analyze.verdict import VerdictError, extract_json, parse_verdict, response_format

LABELS = ["A", "B", "C"]


def good(**changes: Any) -> dict[str, Any]:
    card = {
        "correctness": 8,
        "readability": 7,
        "efficiency": 6,
        "robustness": 5,
        "maintainability": 7,
        "overall": 7,
    }
    verdict = {
        "scores": {label: dict(card) for label in LABELS},
        "issues": [{"label": "B", "category": "efficiency", "severity": "high", "text": "O(n^2)"}],
        "ranking": ["C", "A", "B"],
        "rationale": "C is cleanest",
    }
    verdict.update(changes)
    return verdict


def test_valid_verdict_parses() -> None:
    verdict = parse_verdict(json.dumps(good()), LABELS)
    assert verdict.ranking == ["C", "A", "B"]
    assert verdict.scores["A"]["overall"] == 7.0
    assert verdict.issues[0].severity == "high"


def test_valid_verdict_matches_the_schema_sent_to_the_server() -> None:
    schema = response_format(LABELS)["json_schema"]["schema"]
    jsonschema.validate(good(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(good(ranking=["A", "B", "Z"]), schema)


@pytest.mark.parametrize(
    "wrapped",
    [
        "Here you go:\n```json\n{body}\n```\nThanks",
        "<think>ranking should be... {{ not json</think>{body}",
        "Sure! {body} -- hope that helps",
    ],
)
def test_extractor_tolerates_prose_fences_and_think(wrapped: str) -> None:
    text = wrapped.replace("{body}", json.dumps(good()))
    assert extract_json(text)["ranking"] == ["C", "A", "B"]


@pytest.mark.parametrize(
    ("verdict", "reason"),
    [
        (good(ranking=["C", "A", "D"]), "unknown label(s) D in 'ranking'"),
        (good(ranking=["C", "A"]), "'ranking' is missing candidate(s) B"),
        (good(ranking=["C", "A", "A"]), "'ranking' repeats a label"),
        (
            good(scores={k: v for k, v in good()["scores"].items() if k != "C"}),
            "no scores for candidate(s) C",
        ),
        (
            good(scores={**good()["scores"], "C": {**good()["scores"]["C"], "efficiency": 11}}),
            "candidate C efficiency = 11 is outside 1-10",
        ),
        (good(scores={**good()["scores"], "E": good()["scores"]["A"]}), "unknown label 'E' in 'scores'"),
        (
            good(issues=[{"label": "Q", "category": "x", "severity": "low", "text": "t"}]),
            "unknown label 'Q' in 'issues'",
        ),
        (good(issues=[{"label": "A", "category": "x", "severity": "bad", "text": "t"}]), "severity 'bad'"),
    ],
)
def test_invalid_verdicts_name_the_fault(verdict: dict[str, Any], reason: str) -> None:
    with pytest.raises(VerdictError, match=None) as info:
        parse_verdict(json.dumps(verdict), LABELS)
    assert reason in str(info.value)


def test_no_json_at_all() -> None:
    with pytest.raises(VerdictError, match="no JSON object"):
        parse_verdict("I think A is best.", LABELS)


def test_missing_overall_is_the_mean_and_unknown_category_becomes_other() -> None:
    verdict = good(issues=[{"label": "A", "category": "Vibes", "severity": "LOW", "text": "meh"}])
    for card in verdict["scores"].values():
        del card["overall"]
    parsed = parse_verdict(json.dumps(verdict), LABELS)
    assert parsed.scores["A"]["overall"] == pytest.approx((8 + 7 + 6 + 5 + 7) / 5)
    assert (parsed.issues[0].category, parsed.issues[0].severity) == ("other", "low")


def test_list_of_candidates_form_is_accepted_and_checked_for_repeats() -> None:
    cards = good()["scores"]
    listed = {k: v for k, v in good().items() if k != "scores"}
    listed["candidates"] = [{"label": label, "scores": card} for label, card in cards.items()]
    assert (
        parse_verdict(json.dumps(listed), LABELS).scores == parse_verdict(json.dumps(good()), LABELS).scores
    )
    listed["candidates"][2]["label"] = "A"
    with pytest.raises(VerdictError, match="label A is scored twice"):
        parse_verdict(json.dumps(listed), LABELS)


# Keywords vLLM's xgrammar backend refuses (vllm/v1/structured_output/backend_xgrammar.py,
# has_xgrammar_unsupported_json_features): the whole request fails with HTTP 400.
XGRAMMAR_UNSUPPORTED = {"uniqueItems", "contains", "minContains", "maxContains", "multipleOf", "allOf"}
XGRAMMAR_UNSUPPORTED |= {"propertyNames", "patternProperties", "pattern", "format"}


def schema_keywords(node: Any) -> set[str]:
    """Every key used anywhere in the schema (enum values are data, not keywords)."""
    if isinstance(node, list):
        return set().union(*(schema_keywords(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    keys = set(node)
    for key, value in node.items():
        if key not in ("enum", "const", "properties"):
            keys |= schema_keywords(value)
        elif key == "properties":
            keys |= schema_keywords(list(value.values()))
    return keys


@pytest.mark.parametrize("n", [1, 2, 4, 5, 6, 9])
def test_schema_uses_only_keywords_xgrammar_compiles(n: int) -> None:
    schema = response_format([chr(65 + i) for i in range(n)])["json_schema"]["schema"]
    assert not schema_keywords(schema) & XGRAMMAR_UNSUPPORTED


@pytest.mark.parametrize("n", [2, 3, 5])
def test_schema_admits_every_permutation_and_no_repeat(n: int) -> None:
    labels = [chr(65 + i) for i in range(n)]
    schema = response_format(labels)["json_schema"]["schema"]
    for ranking in itertools.permutations(labels):
        jsonschema.validate(verdict_for(labels, list(ranking)), schema)
    repeat = [labels[0], *labels[:-1]]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(verdict_for(labels, repeat), schema)


def test_large_tasks_fall_back_to_fixed_length_ranking_and_validation_catches_repeats() -> None:
    labels = [chr(65 + i) for i in range(6)]
    schema = response_format(labels)["json_schema"]["schema"]
    repeat = [labels[0], *labels[:-1]]
    jsonschema.validate(verdict_for(labels, repeat), schema)  # 720 permutations are not enumerated
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(verdict_for(labels, labels[:-1]), schema)
    with pytest.raises(VerdictError, match="'ranking' repeats a label"):
        parse_verdict(json.dumps(verdict_for(labels, repeat)), labels)


def test_schema_bounds_scores_and_issue_count() -> None:
    schema = response_format(LABELS)["json_schema"]["schema"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            good(scores={**good()["scores"], "A": {**good()["scores"]["A"], "overall": 0}}), schema
        )
    with pytest.raises(jsonschema.ValidationError):  # rubric dimensions are integers, as the prompt says
        jsonschema.validate(
            good(scores={**good()["scores"], "B": {**good()["scores"]["B"], "efficiency": 6.5}}), schema
        )
    issue = good()["issues"][0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(good(issues=[issue] * (ISSUES_MAX_PER_CANDIDATE * len(LABELS) + 1)), schema)


def verdict_for(labels: list[str], ranking: list[str]) -> dict[str, Any]:
    card = good()["scores"]["A"]
    return good(scores={label: dict(card) for label in labels}, ranking=ranking, issues=[])
