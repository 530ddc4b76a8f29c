"""Verdict parsing: tolerant extraction, strict validation with reasons, rankings rebuilt from the scores,
and the structured-output schema (field order, xgrammar's keywords, bounds)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import jsonschema
import pytest
from analyze.judging.budget import PREFERRED_BOUNDS, VerdictBounds
from analyze.judging.ranking import agrees_with_scores
from analyze.judging.verdict import VERDICT_FIELDS, VerdictError, extract_json, parse_verdict, response_format

LABELS = ["A", "B", "C"]


def card(overall: float = 7, **dims: int) -> dict[str, Any]:
    values = {"correctness": 8, "readability": 7, "efficiency": 6, "robustness": 5, "maintainability": 7}
    return {**values, **dims, "overall": overall}


def good(**changes: Any) -> dict[str, Any]:
    verdict = {
        "issues": {
            "A": [],
            "B": [{"category": "efficiency", "severity": "high", "text": "O(n^2)"}],
            "C": [],
        },
        "rationale": "C is cleanest",
        "scores": {"A": card(7), "B": card(5.5), "C": card(8)},
        "ranking": ["C", "A", "B"],
    }
    verdict.update(changes)
    return verdict


def test_valid_verdict_parses() -> None:
    verdict = parse_verdict(json.dumps(good()), LABELS)
    assert verdict.ranking == ["C", "A", "B"] and verdict.ranking_repair is None
    assert verdict.scores["B"]["overall"] == 5.5
    assert (verdict.issues[0].label, verdict.issues[0].severity) == ("B", "high")


def test_valid_verdict_matches_the_schema_sent_to_the_server() -> None:
    schema = response_format(LABELS)["json_schema"]["schema"]
    jsonschema.validate(good(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(good(ranking=["A", "B", "Z"]), schema)


def test_the_schema_asks_for_reasons_before_numbers() -> None:
    schema = response_format(LABELS)["json_schema"]["schema"]
    assert list(schema["properties"]) == list(VERDICT_FIELDS) == ["issues", "rationale", "scores", "ranking"]
    assert schema["required"] == list(VERDICT_FIELDS)


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


def test_raw_control_characters_inside_strings_are_accepted() -> None:
    # xgrammar's bounded strings admit a raw tab; strict JSON would reject the whole verdict.
    text = json.dumps(good(rationale="C\tis cleanest")).replace("\\t", "\t")
    assert parse_verdict(text, LABELS).rationale == "C\tis cleanest"


@pytest.mark.parametrize(
    ("verdict", "reason"),
    [
        (
            good(scores={k: v for k, v in good()["scores"].items() if k != "C"}),
            "no scores for candidate(s) C",
        ),
        (
            good(scores={**good()["scores"], "C": {**card(), "efficiency": 11}}),
            "candidate C efficiency = 11 is outside 1-10",
        ),
        (good(scores={**good()["scores"], "E": card()}), "unknown label 'E' in 'scores'"),
        (good(issues={"Q": []}), "unknown label(s) Q in 'issues'"),
        (good(issues={"A": [{"category": "x", "severity": "bad", "text": "t"}]}), "severity 'bad'"),
        (good(ranking="C, A, B"), "'ranking' must be a list of labels"),
    ],
)
def test_invalid_verdicts_name_the_fault(verdict: dict[str, Any], reason: str) -> None:
    with pytest.raises(VerdictError) as info:
        parse_verdict(json.dumps(verdict), LABELS)
    assert reason in str(info.value)


@pytest.mark.parametrize(
    ("ranking", "reason"),
    [
        (["A", "C", "B"], "puts A (overall 7) above C (overall 8)"),
        (["C", "A", "D"], "unknown label(s) D"),
        (["C", "A"], "misses B"),
        (["C", "A", "A"], "repeats A"),
        ([], "misses A, B, C"),
    ],
)
def test_a_ranking_that_is_not_the_scores_order_is_rebuilt_with_the_reason(
    ranking: list[str], reason: str
) -> None:
    verdict = parse_verdict(json.dumps(good(ranking=ranking)), LABELS)
    assert verdict.ranking == ["C", "A", "B"]
    assert verdict.model_ranking == ranking
    assert verdict.ranking_repair is not None and reason in verdict.ranking_repair


def test_ties_keep_the_models_order_then_the_shown_order() -> None:
    tied = {label: card(5) for label in LABELS}
    assert parse_verdict(json.dumps(good(scores=tied, ranking=["B", "C", "A"])), LABELS).ranking == [
        "B",
        "C",
        "A",
    ]
    repaired = parse_verdict(json.dumps(good(scores=tied, ranking=["C", "C"])), LABELS)
    assert repaired.ranking == ["C", "A", "B"] and "repeats C" in (repaired.ranking_repair or "")


@pytest.mark.parametrize("n", [2, 5, 6, 10])
def test_rebuilt_rankings_are_permutations_that_agree_with_the_scores(n: int) -> None:
    labels = [chr(65 + i) for i in range(n)]
    scores = {label: card((i * 7) % 10 + 1) for i, label in enumerate(labels)}
    for model_ranking in (labels, labels[::-1], [labels[0]] * n, labels[: n // 2]):
        verdict = parse_verdict(json.dumps(good(scores=scores, ranking=model_ranking, issues={})), labels)
        assert sorted(verdict.ranking) == labels
        assert agrees_with_scores(verdict.ranking, {k: v["overall"] for k, v in verdict.scores.items()})


def test_no_json_at_all() -> None:
    with pytest.raises(VerdictError, match="no JSON object"):
        parse_verdict("I think A is best.", LABELS)


def test_missing_overall_is_the_mean_and_unknown_category_becomes_other() -> None:
    verdict = good(issues={"A": [{"category": "Vibes", "severity": "LOW", "text": "meh"}]})
    for values in verdict["scores"].values():
        del values["overall"]
    parsed = parse_verdict(json.dumps(verdict), LABELS)
    assert parsed.scores["A"]["overall"] == pytest.approx((8 + 7 + 6 + 5 + 7) / 5)
    assert (parsed.issues[0].category, parsed.issues[0].severity) == ("other", "low")


def test_issues_as_a_list_naming_labels_are_accepted() -> None:
    listed = good(issues=[{"label": "B", "category": "efficiency", "severity": "high", "text": "O(n^2)"}])
    assert (
        parse_verdict(json.dumps(listed), LABELS).issues == parse_verdict(json.dumps(good()), LABELS).issues
    )
    with pytest.raises(VerdictError, match="unknown label 'Q' in 'issues'"):
        parse_verdict(json.dumps(good(issues=[{"label": "Q", "severity": "low"}])), LABELS)


def test_list_of_candidates_form_is_accepted_and_checked_for_repeats() -> None:
    cards = good()["scores"]
    listed = {k: v for k, v in good().items() if k != "scores"}
    listed["candidates"] = [{"label": label, "scores": values} for label, values in cards.items()]
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


def verdict_for(labels: list[str], ranking: list[str]) -> dict[str, Any]:
    return good(scores={label: card() for label in labels}, ranking=ranking, issues={k: [] for k in labels})


@pytest.mark.parametrize("n", [2, 3, 5])
def test_schema_admits_every_permutation_and_no_repeat(n: int) -> None:
    labels = [chr(65 + i) for i in range(n)]
    schema = response_format(labels)["json_schema"]["schema"]
    for ranking in itertools.permutations(labels):
        jsonschema.validate(verdict_for(labels, list(ranking)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(verdict_for(labels, [labels[0], *labels[:-1]]), schema)


def test_large_tasks_get_a_fixed_length_ranking_whose_repeats_are_repaired() -> None:
    labels = [chr(65 + i) for i in range(6)]
    schema = response_format(labels)["json_schema"]["schema"]
    repeat = [labels[0], *labels[:-1]]
    jsonschema.validate(verdict_for(labels, repeat), schema)  # 720 permutations are not enumerated
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(verdict_for(labels, labels[:-1]), schema)
    verdict = parse_verdict(json.dumps(verdict_for(labels, repeat)), labels)
    assert verdict.ranking == labels and "repeats A" in (verdict.ranking_repair or "")


def test_schema_bounds_scores_issues_and_texts() -> None:
    bounds = VerdictBounds(issues_per_candidate=2, issue_text_chars=10, rationale_chars=20)
    schema = response_format(LABELS, bounds)["json_schema"]["schema"]
    jsonschema.validate(good(), schema)
    bad_scores = [
        {**good()["scores"], "A": card(overall=0)},
        {**good()["scores"], "A": card(overall=7.3)},  # overall is in half points
        {**good()["scores"], "B": {**card(), "efficiency": 6.5}},  # dimensions are integers
    ]
    for scores in bad_scores:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(good(scores=scores), schema)
    issue = {"category": "style", "severity": "low", "text": "x"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(good(issues={"A": [issue] * 3, "B": [], "C": []}), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(good(issues={"A": [{**issue, "text": "x" * 11}], "B": [], "C": []}), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(good(rationale="y" * 21), schema)
    with pytest.raises(jsonschema.ValidationError):  # every candidate's issues are asked for
        jsonschema.validate(good(issues={"A": []}), schema)
    default = response_format(LABELS)["json_schema"]["schema"]
    assert default["properties"]["rationale"]["maxLength"] == PREFERRED_BOUNDS.rationale_chars
