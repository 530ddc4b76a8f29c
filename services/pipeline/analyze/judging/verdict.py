"""The judge's answer: JSON schema for structured output, a tolerant extractor, and strict validation.

Validation failures raise `VerdictError` with a reason naming the label or field at fault; the judge
asks again with something changed (analyze.judging.attempts) and records the last reason if every
attempt fails. The ranking is not a reason to fail: it is rebuilt from the scores (analyze.judging.ranking),
the repair noted.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

from analyze.constants import (
    ISSUE_CATEGORIES,
    OVERALL,
    OVERALL_STEP,
    RANKING_PERMUTATIONS_MAX_CANDIDATES,
    RUBRIC_DIMENSIONS,
    SCORE_KEYS,
    SCORE_MAX,
    SCORE_MIN,
    SEVERITIES,
)
from analyze.judging.budget import PREFERRED_BOUNDS, VerdictBounds, max_tokens_for_schema
from analyze.judging.ranking import ranking_from_scores, repair_reason

# The schema's field order, which is the order the model writes them: reasons before numbers.
VERDICT_FIELDS = ("issues", "rationale", "scores", "ranking")
FENCED_JSON = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)
THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL)


class VerdictError(ValueError):
    """The model's answer is not a usable verdict for this task."""


@dataclass(frozen=True)
class Issue:
    label: str
    category: str
    severity: str
    text: str


@dataclass(frozen=True)
class Verdict:
    scores: dict[str, dict[str, float]]  # label -> score key -> value
    ranking: list[str]  # labels, best first, rebuilt from the overall scores (analyze.judging.ranking)
    issues: list[Issue]
    rationale: str
    model_ranking: list[str]  # the model's own list, as given
    ranking_repair: str | None  # why `ranking` differs from `model_ranking`, None when it does not


def overall_values() -> list[float | int]:
    """The overall score's enum: SCORE_MIN to SCORE_MAX in steps of OVERALL_STEP, integers as integers."""
    steps = round((SCORE_MAX - SCORE_MIN) / OVERALL_STEP)
    values = (SCORE_MIN + i * OVERALL_STEP for i in range(steps + 1))
    return [int(v) if float(v).is_integer() else v for v in values]


def _ranking_schema(labels: list[str]) -> dict[str, Any]:
    """Every permutation of the labels while that list is small, else N labels from the enum.

    xgrammar (vLLM's default structured-output backend) rejects `uniqueItems`, so the enum of
    permutations is what makes a repeated label unrepresentable; above that size a repeat is repaired
    when the ranking is rebuilt from the scores.
    """
    if len(labels) <= RANKING_PERMUTATIONS_MAX_CANDIDATES:
        return {"type": "array", "enum": [list(p) for p in itertools.permutations(labels)]}
    return {
        "type": "array",
        "items": {"type": "string", "enum": list(labels)},
        "minItems": len(labels),
        "maxItems": len(labels),
    }


def verdict_json_schema(labels: list[str], bounds: VerdictBounds = PREFERRED_BOUNDS) -> dict[str, Any]:
    """The verdict, in the order the model should think: issues, rationale, scores, ranking.

    Issues and scores are keyed by label, so every candidate is reviewed and scored exactly once. Every
    string and array is bounded (analyze.judging.budget computes the largest verdict from this schema). Only
    keywords xgrammar compiles: no uniqueItems/contains, no multipleOf, no allOf, no pattern.
    """
    dimension = {"type": "integer", "minimum": SCORE_MIN, "maximum": SCORE_MAX}
    card = {
        "type": "object",
        "properties": {**dict.fromkeys(RUBRIC_DIMENSIONS, dimension), OVERALL: {"enum": overall_values()}},
        "required": list(SCORE_KEYS),
        "additionalProperties": False,
    }
    issue = {
        "type": "object",
        "properties": {
            "category": {"type": "string", "enum": list(ISSUE_CATEGORIES)},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "text": {"type": "string", "maxLength": bounds.issue_text_chars},
        },
        "required": ["category", "severity", "text"],
        "additionalProperties": False,
    }
    issues_of_one = {"type": "array", "items": issue, "maxItems": bounds.issues_per_candidate}
    return {
        "type": "object",
        "properties": {
            "issues": {
                "type": "object",
                "properties": dict.fromkeys(labels, issues_of_one),
                "required": list(labels),
                "additionalProperties": False,
            },
            "rationale": {"type": "string", "maxLength": bounds.rationale_chars},
            "scores": {
                "type": "object",
                "properties": dict.fromkeys(labels, card),
                "required": list(labels),
                "additionalProperties": False,
            },
            "ranking": _ranking_schema(labels),
        },
        "required": list(VERDICT_FIELDS),
        "additionalProperties": False,
    }


@functools.lru_cache(maxsize=256)
def _verdict_max_tokens(labels: tuple[str, ...], bounds: VerdictBounds) -> int:
    return max_tokens_for_schema(verdict_json_schema(list(labels), bounds))


def verdict_max_tokens(labels: list[str], bounds: VerdictBounds) -> int:
    """Tokens the largest verdict for these labels and bounds can take (see analyze.judging.budget)."""
    return _verdict_max_tokens(tuple(labels), bounds)


def response_format(labels: list[str], bounds: VerdictBounds = PREFERRED_BOUNDS) -> dict[str, Any]:
    """OpenAI/vLLM `response_format` asking for the verdict schema restricted to this task's labels.

    Shared between requests with the same labels and bounds (read-only: requests only serialise it)."""
    return _response_format(tuple(labels), bounds)


@functools.lru_cache(maxsize=256)
def _response_format(labels: tuple[str, ...], bounds: VerdictBounds) -> dict[str, Any]:
    schema = verdict_json_schema(list(labels), bounds)
    return {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema, "strict": True}}


def _balanced_object(text: str, start: int) -> str | None:
    """The `{...}` starting at `start`, matching braces outside JSON strings."""
    depth = 0
    in_string = escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def extract_json(text: str) -> dict[str, Any]:
    """The verdict object from a reply that may wrap it in prose, code fences or a <think> block."""
    text = THINK_BLOCK.sub("", text).strip()
    # Lazily, cheapest first: a structured-output reply is the whole text and never reaches the scan.
    embedded = (obj for i, ch in enumerate(text) if ch == "{" and (obj := _balanced_object(text, i)))
    fenced = (match.group(1) for match in FENCED_JSON.finditer(text))
    for chunk in itertools.chain((text,), fenced, embedded):
        try:
            # strict=False: xgrammar lets a bounded string hold raw control characters such as a tab.
            value = json.loads(chunk, strict=False)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and ("scores" in value or "candidates" in value):
            return value
    raise VerdictError("reply holds no JSON object with a 'scores' field")


def _score(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value).strip())
        except ValueError:
            raise VerdictError(f"{where} is not a number: {value!r}") from None
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise VerdictError(f"{where} = {value} is outside {SCORE_MIN}-{SCORE_MAX}")
    return float(value)


def _score_cards(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, card) pairs from `scores: {label: card}` or, as some models answer, `candidates: [...]`."""
    if isinstance(data.get("scores"), dict):
        return [(str(label).strip(), card) for label, card in data["scores"].items()]
    entries = data.get("candidates")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise VerdictError("'scores' must be an object keyed by label")
    return [(str(e.get("label", "")).strip(), e.get("scores")) for e in entries]


def _scores(data: dict[str, Any], labels: list[str]) -> dict[str, dict[str, float]]:
    scores: dict[str, dict[str, float]] = {}
    for label, values in _score_cards(data):
        if label not in labels:
            raise VerdictError(f"unknown label {label!r} in 'scores' (expected {', '.join(labels)})")
        if label in scores:
            raise VerdictError(f"label {label} is scored twice")
        if not isinstance(values, dict):
            raise VerdictError(f"candidate {label} has no score object")
        missing = [key for key in RUBRIC_DIMENSIONS if key not in values]
        if missing:
            raise VerdictError(f"candidate {label} lacks scores for {', '.join(missing)}")
        card = {key: _score(values[key], f"candidate {label} {key}") for key in RUBRIC_DIMENSIONS}
        # A missing overall is the mean of the dimensions rather than a reason to throw the verdict away.
        card[OVERALL] = (
            _score(values[OVERALL], f"candidate {label} overall")
            if OVERALL in values
            else round(sum(card.values()) / len(RUBRIC_DIMENSIONS), 2)
        )
        scores[label] = card
    unscored = [label for label in labels if label not in scores]
    if unscored:
        raise VerdictError(f"no scores for candidate(s) {', '.join(unscored)}")
    return scores


def _model_ranking(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise VerdictError("'ranking' must be a list of labels")
    return [str(item).strip() for item in raw]


def _issue(entry: Any, label: str) -> Issue:
    if not isinstance(entry, dict):
        raise VerdictError("'issues' entries must be objects")
    severity = str(entry.get("severity", "")).strip().lower()
    if severity not in SEVERITIES:
        raise VerdictError(f"issue severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    category = str(entry.get("category", "other")).strip().lower()
    text = str(entry.get("text", "")).strip()
    return Issue(label, category if category in ISSUE_CATEGORIES else "other", severity, text)


def _issues(raw: Any, labels: list[str]) -> list[Issue]:
    """`issues: {label: [issue, ...]}` as the schema asks, or a list of issues naming their label."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        unknown = [str(label) for label in raw if str(label).strip() not in labels]
        if unknown:
            raise VerdictError(f"unknown label(s) {', '.join(unknown)} in 'issues'")
        issues: list[Issue] = []
        for label, entries in raw.items():
            if not isinstance(entries, list):
                raise VerdictError(f"'issues' of {label} must be a list")
            issues.extend(_issue(entry, str(label).strip()) for entry in entries)
        return issues
    if not isinstance(raw, list):
        raise VerdictError("'issues' must be an object keyed by label")
    issues = []
    for entry in raw:
        label = str(entry.get("label", entry.get("candidate", ""))).strip() if isinstance(entry, dict) else ""
        if label not in labels:
            raise VerdictError(f"unknown label {label!r} in 'issues'")
        issues.append(_issue(entry, label))
    return issues


def parse_verdict(reply: str, labels: list[str]) -> Verdict:
    data = extract_json(reply)
    scores = _scores(data, labels)
    model_ranking = _model_ranking(data.get("ranking"))
    overall = {label: card[OVERALL] for label, card in scores.items()}
    ranking = ranking_from_scores(overall, model_ranking, labels)
    return Verdict(
        scores=scores,
        ranking=ranking,
        issues=_issues(data.get("issues"), labels),
        rationale=str(data.get("rationale", "")).strip(),
        model_ranking=model_ranking,
        ranking_repair=repair_reason(model_ranking, ranking, overall, labels),
    )
