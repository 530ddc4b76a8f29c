"""Draw JSON values that validate against a JSON Schema (the subset structured-output requests use).

Supported: type (incl. lists), properties/required/additionalProperties/min-maxProperties, items/
prefixItems/min-maxItems/uniqueItems, enum, const, minimum/maximum/exclusive*/multipleOf, strings with
min/maxLength and common formats, booleans, null, anyOf/oneOf (one branch), allOf (shallow merge),
local $ref into $defs/definitions (with recursion cut off by depth). Not supported: `pattern`, `not`,
if/then/else, patternProperties, contains.
"""

from __future__ import annotations

import json
import math
import random
from functools import lru_cache
from typing import Any

from vllm_sim.settings import SCHEMA_CACHE_SIZE, SCHEMA_HARD_DEPTH, SCHEMA_SOFT_DEPTH
from vllm_sim.tokens import FILLER_WORDS, filler_chars

OPTIONAL_PROPERTY_PROBABILITY = 0.6
DEFAULT_NUMBER_SPAN = 100
DEFAULT_EXTRA_ITEMS = 3
DEFAULT_STRING_MAX = 40
UNIQUE_ITEM_ATTEMPTS = 20
_FORMATS = {
    "date-time": lambda rng: f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00Z",
    "date": lambda rng: f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    "time": lambda rng: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
    "email": lambda rng: f"user{rng.randint(1, 9999)}@example.com",
    "uri": lambda rng: f"https://example.com/item/{rng.randint(1, 9999)}",
    "uuid": lambda rng: _uuid(rng),
}
_TYPE_HINTS = (
    ("object", ("properties", "required", "additionalProperties", "minProperties", "maxProperties")),
    ("array", ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
    ("string", ("minLength", "maxLength", "format", "pattern")),
)


def _uuid(rng: random.Random) -> str:
    hexed = f"{rng.getrandbits(128):032x}"
    return f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-8{hexed[17:20]}-{hexed[20:]}"


class SchemaError(ValueError):
    """A schema the generator cannot satisfy or resolve; the message points at the part."""


class JsonGenerator:
    """Generates values for one schema; built once per distinct schema (see `generator_for`)."""

    def __init__(self, schema: Any) -> None:
        self._root = schema
        self._refs: dict[str, Any] = {}

    def generate(self, rng: random.Random) -> Any:
        return self._gen(self._root, rng, 0, "#")

    def _resolve(self, ref: str) -> Any:
        if ref in self._refs:
            return self._refs[ref]
        if not ref.startswith("#"):
            raise SchemaError(f"$ref {ref!r}: only local references (#/...) are supported")
        node = self._root
        for raw in ref[1:].split("/")[1:]:
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise SchemaError(f"$ref {ref!r}: {key!r} not found")
        self._refs[ref] = node
        return node

    def _gen(self, s: Any, rng: random.Random, depth: int, path: str) -> Any:
        if depth > SCHEMA_HARD_DEPTH:
            raise SchemaError(f"{path}: recursion too deep to produce a finite value")
        if s is True or s == {}:
            return filler_chars(rng, rng.randint(1, DEFAULT_STRING_MAX)).strip() or "x"
        if s is False:
            raise SchemaError(f"{path}: schema `false` admits no value")
        if not isinstance(s, dict):
            raise SchemaError(f"{path}: a schema must be an object or boolean, got {type(s).__name__}")
        if "$ref" in s:
            target = self._resolve(s["$ref"])
            rest = {k: v for k, v in s.items() if k != "$ref"}
            merged = _merge(target, rest) if rest and isinstance(target, dict) else target
            return self._gen(merged, rng, depth + 1, s["$ref"])
        if "const" in s:
            return s["const"]
        if "enum" in s:
            if not s["enum"]:
                raise SchemaError(f"{path}: empty enum")
            return s["enum"][rng.randrange(len(s["enum"]))]
        if "allOf" in s:
            merged = {k: v for k, v in s.items() if k != "allOf"}
            for part in s["allOf"]:
                part = self._resolve(part["$ref"]) if isinstance(part, dict) and "$ref" in part else part
                merged = _merge(merged, part)
            return self._gen(merged, rng, depth + 1, path + "/allOf")
        for key in ("anyOf", "oneOf"):
            if key in s:
                branches = s[key]
                if not branches:
                    raise SchemaError(f"{path}/{key}: no branches")
                # Deep in a recursive schema, the first branch without a $ref usually terminates.
                if depth >= SCHEMA_SOFT_DEPTH:
                    simple = [i for i, b in enumerate(branches) if not (isinstance(b, dict) and "$ref" in b)]
                    i = simple[0] if simple else 0
                else:
                    i = rng.randrange(len(branches))
                rest = {k: v for k, v in s.items() if k != key}
                branch = _merge(rest, branches[i]) if rest and isinstance(branches[i], dict) else branches[i]
                return self._gen(branch, rng, depth + 1, f"{path}/{key}/{i}")
        kind = _pick_type(s, rng, depth)
        if kind == "object":
            return self._object(s, rng, depth, path)
        if kind == "array":
            return self._array(s, rng, depth, path)
        if kind == "integer":
            return _integer(s, rng, path)
        if kind == "number":
            return _number(s, rng, path)
        if kind == "string":
            return _string(s, rng)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "null":
            return None
        raise SchemaError(f"{path}: unknown type {kind!r}")

    def _object(self, s: dict, rng: random.Random, depth: int, path: str) -> dict:
        props: dict = s.get("properties", {})
        required: list = s.get("required", [])
        extra_schema = s.get("additionalProperties", True)
        max_props = s.get("maxProperties", math.inf)
        min_props = s.get("minProperties", 0)
        if len(required) > max_props:
            raise SchemaError(f"{path}: {len(required)} required properties exceed maxProperties {max_props}")
        chosen = [name for name in props if name in required]
        chosen += [name for name in required if name not in props]
        optional = [name for name in props if name not in required]
        for name in optional:
            if len(chosen) >= max_props:
                break
            # Beyond the soft depth only what `required`/minProperties force, so recursion ends.
            wanted = depth < SCHEMA_SOFT_DEPTH and rng.random() < OPTIONAL_PROPERTY_PROBABILITY
            if wanted or len(chosen) + (len(optional) - optional.index(name)) <= min_props:
                chosen.append(name)
        out: dict[str, Any] = {}
        for name in chosen:
            sub = props.get(name, extra_schema if isinstance(extra_schema, dict) else True)
            out[name] = self._gen(sub, rng, depth + 1, f"{path}/properties/{name}")
        k = 0
        while len(out) < min_props:
            if extra_schema is False:
                raise SchemaError(f"{path}: minProperties {min_props} needs additionalProperties")
            key = f"extra_{k}"
            k += 1
            if key not in out:
                sub = extra_schema if isinstance(extra_schema, dict) else True
                out[key] = self._gen(sub, rng, depth + 1, f"{path}/additionalProperties")
        return out

    def _array(self, s: dict, rng: random.Random, depth: int, path: str) -> list:
        prefix: list = s.get("prefixItems", [])
        items = s.get("items", True)
        if isinstance(items, list):  # draft-04..2019 tuple form
            prefix, items = items, s.get("additionalItems", True)
        lo = max(s.get("minItems", 0), 0)
        hi = s.get("maxItems", lo + DEFAULT_EXTRA_ITEMS)
        if hi < lo:
            raise SchemaError(f"{path}: maxItems {hi} < minItems {lo}")
        if items is False:
            hi = min(hi, len(prefix))
        n = lo if depth >= SCHEMA_SOFT_DEPTH else rng.randint(lo, min(hi, lo + DEFAULT_EXTRA_ITEMS))
        out: list = []
        seen: set[str] = set()
        unique = s.get("uniqueItems", False)
        attempts = 0
        while len(out) < n:
            i = len(out)
            sub = prefix[i] if i < len(prefix) else items
            value = self._gen(sub, rng, depth + 1, f"{path}/items/{i}")
            if unique:
                key = json.dumps(value, sort_keys=True)
                if key in seen:
                    attempts += 1
                    if attempts > UNIQUE_ITEM_ATTEMPTS * max(n, 1):
                        if len(out) >= lo:
                            break
                        raise SchemaError(f"{path}: cannot find {lo} unique items")
                    continue
                seen.add(key)
            out.append(value)
        return out


def _merge(a: dict, b: Any) -> dict:
    """Shallow merge of two schemas, enough for allOf and sibling keywords in simple cases."""
    if not isinstance(b, dict):
        return a
    out = dict(a)
    for key, value in b.items():
        if key == "properties" and key in out:
            out[key] = {**out[key], **value}
        elif key == "required" and key in out:
            out[key] = list(dict.fromkeys([*out[key], *value]))
        else:
            out[key] = value
    return out


def _pick_type(s: dict, rng: random.Random, depth: int) -> str:
    kind = s.get("type")
    if isinstance(kind, list):
        if not kind:
            raise SchemaError("type: empty list")
        if depth >= SCHEMA_SOFT_DEPTH and "null" in kind:
            return "null"
        return kind[rng.randrange(len(kind))]
    if kind is not None:
        return kind
    for hinted, keys in _TYPE_HINTS:
        if any(k in s for k in keys):
            return hinted
    return "string"


def _bounds(s: dict) -> tuple[float | None, bool, float | None, bool]:
    """(low, low_exclusive, high, high_exclusive) across draft-4 (boolean) and later (number) forms."""
    lo, hi = s.get("minimum"), s.get("maximum")
    lo_ex = hi_ex = False
    ex_lo, ex_hi = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    if ex_lo is True:
        lo_ex = True
    elif isinstance(ex_lo, int | float) and not isinstance(ex_lo, bool) and (lo is None or ex_lo >= lo):
        lo, lo_ex = ex_lo, True
    if ex_hi is True:
        hi_ex = True
    elif isinstance(ex_hi, int | float) and not isinstance(ex_hi, bool) and (hi is None or ex_hi <= hi):
        hi, hi_ex = ex_hi, True
    return lo, lo_ex, hi, hi_ex


def _integer(s: dict, rng: random.Random, path: str) -> int:
    lo, lo_ex, hi, hi_ex = _bounds(s)
    ilo = None if lo is None else (math.floor(lo) + 1 if lo_ex else math.ceil(lo))
    ihi = None if hi is None else (math.ceil(hi) - 1 if hi_ex else math.floor(hi))
    if ilo is None and ihi is None:
        ilo, ihi = 0, DEFAULT_NUMBER_SPAN
    elif ilo is None:
        ilo = ihi - DEFAULT_NUMBER_SPAN
    elif ihi is None:
        ihi = ilo + DEFAULT_NUMBER_SPAN
    step = s.get("multipleOf")
    if step:
        klo, khi = math.ceil(ilo / step), math.floor(ihi / step)
        if klo > khi:
            raise SchemaError(f"{path}: no multiple of {step} in [{ilo}, {ihi}]")
        return int(rng.randint(klo, khi) * step)
    if ilo > ihi:
        raise SchemaError(f"{path}: empty integer range [{ilo}, {ihi}]")
    return rng.randint(ilo, ihi)


def _number(s: dict, rng: random.Random, path: str) -> float | int:
    if s.get("multipleOf"):
        if float(s["multipleOf"]).is_integer():
            return _integer(s, rng, path)
        return _float_multiple(s, rng, path)
    lo, lo_ex, hi, hi_ex = _bounds(s)
    if lo is None and hi is None:
        lo, hi = 0.0, float(DEFAULT_NUMBER_SPAN)
    elif lo is None:
        lo = hi - DEFAULT_NUMBER_SPAN
    elif hi is None:
        hi = lo + DEFAULT_NUMBER_SPAN
    if lo > hi or (lo == hi and (lo_ex or hi_ex)):
        raise SchemaError(f"{path}: empty number range")
    value = round(lo + (hi - lo) * rng.random(), 2)
    if value < lo or value > hi or (lo_ex and value == lo) or (hi_ex and value == hi):
        value = (lo + hi) / 2  # rounding pushed it out; the midpoint is strictly inside
    return value


def _float_multiple(s: dict, rng: random.Random, path: str) -> float:
    step = float(s["multipleOf"])
    lo, _, hi, _ = _bounds(s)
    klo = math.ceil((lo if lo is not None else 0) / step)
    khi = math.floor((hi if hi is not None else klo * step + DEFAULT_NUMBER_SPAN) / step)
    if klo > khi:
        raise SchemaError(f"{path}: no multiple of {step} in range")
    # Validators divide and test for an integer quotient, so keep k small and exact in binary.
    return rng.randint(klo, khi) * step


def _string(s: dict, rng: random.Random) -> str:
    fmt = s.get("format")
    lo = s.get("minLength", 0)
    hi = s.get("maxLength", max(lo, DEFAULT_STRING_MAX) if "minLength" in s else DEFAULT_STRING_MAX)
    if fmt in _FORMATS:
        value = _FORMATS[fmt](rng)
        if lo <= len(value) <= hi:
            return value
    n = rng.randint(lo, max(lo, min(hi, lo + DEFAULT_STRING_MAX)))
    return whole_words(filler_chars(rng, n + 1), n, rng)


FILLER_WORDS_SET = sorted(set(FILLER_WORDS))


def whole_words(text: str, n: int, rng: random.Random) -> str:
    """`text[:n]` without a word cut in half at its end: the partial word becomes spaces (same length).

    A real model's strings end on word boundaries unless cut at maxLength; a text cut mid-word here would
    show up as "correctl" in the pipeline's word cloud."""
    head = text[:n]
    if len(text) <= n or not (head[-1:].isalnum() and text[n].isalnum()):
        return head
    cut = n
    while cut > 0 and head[cut - 1].isalnum():
        cut -= 1
    if not head[:cut].strip():  # too short for its first word: a filler word that fits
        fitting = [word for word in FILLER_WORDS_SET if len(word) <= n]
        return (rng.choice(fitting) if fitting else "").ljust(n)
    return head[:cut].ljust(n)


@lru_cache(maxsize=SCHEMA_CACHE_SIZE)
def generator_for(schema_json: str) -> JsonGenerator:
    """The generator for a schema given as canonical JSON text (the cache key)."""
    return JsonGenerator(json.loads(schema_json))


def schema_key(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))
