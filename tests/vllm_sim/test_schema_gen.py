import json
import random
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vllm_sim.schema_gen import JsonGenerator, SchemaError, generator_for, schema_key

NAMES = st.sampled_from(["id", "score", "label", "rank", "text", "ok", "items", "severity"])
SCALARS = st.one_of(st.integers(-50, 50), st.booleans(), st.none(), st.text(max_size=8))


@st.composite
def _string_schemas(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    lo = draw(st.none() | st.integers(0, 30))
    hi = draw(st.none() | st.integers(lo or 0, 60))
    if lo is not None:
        schema["minLength"] = lo
    if hi is not None:
        schema["maxLength"] = hi
    if draw(st.booleans()):
        schema["format"] = draw(st.sampled_from(["date-time", "date", "email", "uri", "uuid"]))
    return schema


@st.composite
def _numeric_schemas(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["integer", "number"]))
    schema: dict[str, Any] = {"type": kind}
    lo = draw(st.none() | st.integers(-1000, 1000))
    hi = draw(st.none() | st.integers(lo if lo is not None else -1000, 2000))
    if lo is not None:
        schema["exclusiveMinimum" if draw(st.booleans()) and hi != lo else "minimum"] = lo
    if hi is not None:
        exclusive_ok = lo is None or hi - lo >= 2
        schema["exclusiveMaximum" if exclusive_ok and draw(st.booleans()) else "maximum"] = hi
    if kind == "integer" and draw(st.booleans()) and lo is None and hi is None:
        schema["multipleOf"] = draw(st.integers(1, 7))
    return schema


LEAVES = st.one_of(
    _string_schemas(),
    _numeric_schemas(),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.lists(SCALARS, min_size=1, max_size=4, unique_by=json.dumps).map(lambda e: {"enum": e}),
    SCALARS.map(lambda c: {"const": c}),
    st.just({"type": ["string", "null"]}),
)


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def objects(draw: st.DrawFn) -> dict[str, Any]:
        props = draw(st.dictionaries(NAMES, children, max_size=4))
        required = draw(st.lists(st.sampled_from(sorted(props)), unique=True)) if props else []
        schema: dict[str, Any] = {"type": "object", "properties": props, "required": required}
        if draw(st.booleans()):
            schema["additionalProperties"] = False
        return schema

    @st.composite
    def arrays(draw: st.DrawFn) -> dict[str, Any]:
        lo = draw(st.integers(0, 3))
        schema: dict[str, Any] = {"type": "array", "items": draw(children), "minItems": lo}
        if draw(st.booleans()):
            schema["maxItems"] = draw(st.integers(lo, lo + 4))
        return schema

    any_of = st.lists(children, min_size=1, max_size=3).map(lambda b: {"anyOf": b})
    return st.one_of(objects(), arrays(), any_of)


SCHEMAS = st.recursive(LEAVES, _extend, max_leaves=12)


@st.composite
def _with_defs(draw: st.DrawFn) -> dict[str, Any]:
    """An object that reaches a sub-schema through $ref into $defs."""
    sub = draw(SCHEMAS)
    return {
        "type": "object",
        "$defs": {"Part": sub},
        "properties": {
            "part": {"$ref": "#/$defs/Part"},
            "parts": {"type": "array", "items": {"$ref": "#/$defs/Part"}},
        },
        "required": ["part", "parts"],
        "additionalProperties": False,
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(SCHEMAS, _with_defs()), st.integers(0, 2**32))
def test_generated_values_validate(schema: dict[str, Any], seed: int) -> None:
    value = JsonGenerator(schema).generate(random.Random(seed))
    jsonschema.Draft202012Validator(schema).validate(value)


def test_same_seed_same_value_other_seed_other_value() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    gen = generator_for(schema_key(schema))
    first = [gen.generate(random.Random(s)) for s in range(5)]
    assert first == [gen.generate(random.Random(s)) for s in range(5)]
    assert len({json.dumps(v) for v in first}) > 1


def test_recursive_schema_terminates_and_validates() -> None:
    tree = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
                "required": ["name", "children"],
            }
        },
        "$ref": "#/$defs/node",
    }
    for seed in range(20):
        jsonschema.validate(JsonGenerator(tree).generate(random.Random(seed)), tree)


def test_judge_verdict_schema() -> None:
    verdict = {
        "type": "object",
        "properties": {
            "candidates": {
                "type": "array",
                "minItems": 3,
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "label": {"enum": ["A", "B", "C"]},
                        "scores": {
                            "type": "object",
                            "properties": {
                                k: {"type": "number", "minimum": 1, "maximum": 10} for k in ("c", "r")
                            },
                            "required": ["c", "r"],
                            "additionalProperties": False,
                        },
                    },
                    "required": ["label", "scores"],
                    "additionalProperties": False,
                },
            },
            "rationale": {"type": "string", "maxLength": 300},
        },
        "required": ["candidates", "rationale"],
        "additionalProperties": False,
    }
    for seed in range(20):
        jsonschema.validate(JsonGenerator(verdict).generate(random.Random(seed)), verdict)


def test_allof_merges_properties() -> None:
    schema = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"b": {"const": 1}}, "required": ["b"]},
        ]
    }
    value = JsonGenerator(schema).generate(random.Random(0))
    assert value["b"] == 1 and isinstance(value["a"], int)


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"$defs": {}, "$ref": "#/$defs/missing"}, "'missing' not found"),
        ({"$ref": "https://example.com/s.json"}, "only local references"),
        ({"type": "integer", "minimum": 5, "maximum": 1}, "empty integer range"),
        ({"type": "object", "properties": {"x": False}, "required": ["x"]}, "admits no value"),
        ({"$defs": {"n": {"type": "object", "properties": {"n": {"$ref": "#/$defs/n"}}, "required": ["n"]}},
          "$ref": "#/$defs/n"}, "recursion too deep"),
        ({"enum": []}, "empty enum"),
    ],
)  # fmt: skip
def test_unsatisfiable_schemas_raise_with_the_location(schema: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SchemaError, match=fragment):
        JsonGenerator(schema).generate(random.Random(0))


def test_strings_end_on_a_word_boundary() -> None:
    """Free text is filler prose cut to a drawn length: never mid-word (the word cloud showed "correctl")."""
    from vllm_sim.tokens import FILLER_WORDS

    words = set(FILLER_WORDS)
    rng = random.Random(3)
    for schema in (
        {"type": "string", "minLength": 20, "maxLength": 300},
        {"type": "string", "maxLength": 300},
    ):
        generator = JsonGenerator(schema)
        for _ in range(300):
            text = generator.generate(rng)
            assert schema.get("minLength", 0) <= len(text) <= 300
            if len(text) >= 2:  # no filler word is one letter long
                last = text.split()[-1].rstrip(".").lower()
                assert last in words, f"{text!r} ends in a fragment"
