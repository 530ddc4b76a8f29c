"""The judge's answer: JSON schema for structured output, a tolerant extractor, and strict validation.

Validation failures raise `VerdictError` with a reason naming the label or field at fault; the runner
retries those and records the last reason if every attempt fails.
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
    ISSUE_TEXT_MAX_CHARS,
    ISSUES_MAX_PER_CANDIDATE,
    OVERALL,
    RANKING_PERMUTATIONS_MAX_CANDIDATES,
    RATIONALE_MAX_CHARS,
    RUBRIC_DIMENSIONS,
    SCORE_KEYS,
    SCORE_MAX,
    SCORE_MIN,
    SEVERITIES,
)

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
    ranking: list[str]  # labels, best first
    issues: list[Issue]
    rationale: str


def _ranking_schema(labels: list[str]) -> dict[str, Any]:
    """Every permutation of the labels while that list is small, else N labels from the enum.

    xgrammar (vLLM's default structured-output backend) rejects `uniqueItems`, so the enum of
    permutations is what makes a repeated label unrepresentable; `parse_verdict` checks it either way.
    """
    if len(labels) <= RANKING_PERMUTATIONS_MAX_CANDIDATES:
        return {"type": "array", "enum": [list(p) for p in itertools.permutations(labels)]}
    return {
        "type": "array",
        "items": {"type": "string", "enum": list(labels)},
        "minItems": len(labels),
        "maxItems": len(labels),
    }


def verdict_json_schema(labels: list[str]) -> dict[str, Any]:
    """Scores keyed by label (so each label is scored exactly once) and a ranking that is a permutation.

    Only keywords xgrammar compiles: no uniqueItems/contains, no multipleOf, no allOf, no pattern with
    length bounds. Integer dimensions and a numeric overall follow the system prompt's rubric.
    """
    dimension = {"type": "integer", "minimum": SCORE_MIN, "maximum": SCORE_MAX}
    overall = {"type": "number", "minimum": SCORE_MIN, "maximum": SCORE_MAX}
    card = {
        "type": "object",
        "properties": {**dict.fromkeys(RUBRIC_DIMENSIONS, dimension), OVERALL: overall},
        "required": list(SCORE_KEYS),
        "additionalProperties": False,
    }
    label = {"type": "string", "enum": list(labels)}
    return {
        "type": "object",
        "properties": {
            "scores": {
                "type": "object",
                "properties": dict.fromkeys(labels, card),
                "required": list(labels),
                "additionalProperties": False,
            },
            "issues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "label": label,
                        "category": {"type": "string", "enum": list(ISSUE_CATEGORIES)},
                        "severity": {"type": "string", "enum": list(SEVERITIES)},
                        "text": {"type": "string", "maxLength": ISSUE_TEXT_MAX_CHARS},
                    },
                    "required": ["label", "category", "severity", "text"],
                    "additionalProperties": False,
                },
                "maxItems": ISSUES_MAX_PER_CANDIDATE * len(labels),
            },
            "ranking": _ranking_schema(labels),
            "rationale": {"type": "string", "maxLength": RATIONALE_MAX_CHARS},
        },
        "required": ["scores", "issues", "ranking", "rationale"],
        "additionalProperties": False,
    }


def response_format(labels: list[str]) -> dict[str, Any]:
    """OpenAI/vLLM `response_format` asking for the verdict schema restricted to this task's labels.

    Shared between requests with the same labels (read-only: every request only serialises it)."""
    return _response_format(tuple(labels))


@functools.lru_cache(maxsize=64)
def _response_format(labels: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": verdict_json_schema(list(labels)), "strict": True},
    }


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
            value = json.loads(chunk)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and "ranking" in value:
            return value
    raise VerdictError("reply holds no JSON object with a 'ranking' field")


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


def _ranking(raw: Any, labels: list[str]) -> list[str]:
    if not isinstance(raw, list):
        raise VerdictError("'ranking' must be a list of labels")
    ranking = [str(item).strip() for item in raw]
    unknown = [label for label in ranking if label not in labels]
    if unknown:
        raise VerdictError(f"unknown label(s) {', '.join(unknown)} in 'ranking'")
    if len(set(ranking)) != len(ranking):
        raise VerdictError("'ranking' repeats a label")
    missing = [label for label in labels if label not in ranking]
    if missing:
        raise VerdictError(f"'ranking' is missing candidate(s) {', '.join(missing)}")
    return ranking


def _issues(raw: Any, labels: list[str]) -> list[Issue]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise VerdictError("'issues' must be a list")
    issues: list[Issue] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise VerdictError("'issues' entries must be objects")
        label = str(entry.get("label", entry.get("candidate", ""))).strip()
        if label not in labels:
            raise VerdictError(f"unknown label {label!r} in 'issues'")
        severity = str(entry.get("severity", "")).strip().lower()
        if severity not in SEVERITIES:
            raise VerdictError(f"issue severity {severity!r} is not one of {', '.join(SEVERITIES)}")
        category = str(entry.get("category", "other")).strip().lower()
        text = str(entry.get("text", "")).strip()
        issues.append(Issue(label, category if category in ISSUE_CATEGORIES else "other", severity, text))
    return issues


def parse_verdict(reply: str, labels: list[str]) -> Verdict:
    data = extract_json(reply)
    return Verdict(
        scores=_scores(data, labels),
        ranking=_ranking(data.get("ranking"), labels),
        issues=_issues(data.get("issues"), labels),
        rationale=str(data.get("rationale", "")).strip(),
    )
