"""Streaming reader for the task JSONL: normalizes field spellings found in the wild, rejects bad lines.

Each line yields either a `Task` or a `Reject` carrying its 1-based line number and a reason; one bad
line never stops the rest. The file is read line by line in binary so invalid UTF-8 is a per-line fault.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from analyze.constants import (
    CANDIDATE_CODE_KEYS,
    CANDIDATE_MODEL_KEYS,
    CANDIDATE_PASSED_KEY,
    CANDIDATES_KEYS,
    DEFAULT_LANGUAGE,
    MAX_INPUT_JSON_DEPTH,
    PROBLEM_KEYS,
    TASK_ID_KEYS,
    UNKNOWN_MODEL,
)
from analyze.inputs.errors import TaskError
from analyze.inputs.json_values import NotJsonConstant, check_json_value, strict_loads
from analyze.inputs.outcomes import PASSED_FROM_EXECUTION, PASSED_FROM_INPUT, ExecutionResult
from analyze.inputs.test_specs import TestSpec, parse_test_spec

UTF8_BOM = b"\xef\xbb\xbf"
LANGUAGE_KEYS = ("language", "lang")
LANGUAGE_MAX_CHARS = 32
LANGUAGE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9+#._ -]{{0,{LANGUAGE_MAX_CHARS - 1}}}")


@dataclass(frozen=True)
class Candidate:
    candidate_id: str
    model: str
    code: str
    # Ground truth when the input knows it (e.g. the candidate passed its unit tests); None: unlabelled.
    passed: bool | None = None
    # What running the task's tests on it found (set by analyze.execution before judging); None: not run.
    execution: ExecutionResult | None = None

    @property
    def truth(self) -> tuple[bool | None, str | None]:
        """(passed, where that came from): the input's label wins over the execution's result."""
        if self.passed is not None:
            return self.passed, PASSED_FROM_INPUT
        ran = self.execution.passed if self.execution is not None else None
        return (ran, PASSED_FROM_EXECUTION) if ran is not None else (None, None)


@dataclass(frozen=True)
class Task:
    task_id: str
    line: int
    problem: str
    language: str
    candidates: tuple[Candidate, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    tests: TestSpec | None = None  # the tests the task carries, in the sandbox's terms


@dataclass(frozen=True)
class Reject:
    line: int
    task_id: str | None
    reason: str


def _first_present(record: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        if key in record and record[key] is not None:
            return key, record[key]
    return None, None


def _task_id(record: dict[str, Any]) -> str:
    key, value = _first_present(record, TASK_ID_KEYS)
    if key is None:
        raise TaskError("no task id (expected 'task_id' or 'id')")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TaskError(f"'{key}' must be a string or integer, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise TaskError(f"'{key}' is empty")
    return text


def _problem(record: dict[str, Any]) -> str:
    key, value = _first_present(record, PROBLEM_KEYS)
    if key is None:
        raise TaskError("no problem (expected one of " + ", ".join(f"'{k}'" for k in PROBLEM_KEYS) + ")")
    if not isinstance(value, str) or not value.strip():
        raise TaskError(f"'{key}' must be non-empty text")
    return value


def _candidate(raw: Any, index: int, list_key: str) -> Candidate:
    where = f"'{list_key}'[{index}]"
    default_id = f"c{index + 1}"
    if isinstance(raw, str):
        return Candidate(candidate_id=default_id, model=UNKNOWN_MODEL, code=raw)
    if not isinstance(raw, dict):
        raise TaskError(f"{where} must be text or an object, got {type(raw).__name__}")
    code_key, code = _first_present(raw, CANDIDATE_CODE_KEYS)
    if code_key is None:
        raise TaskError(f"{where} has no code (expected one of {', '.join(CANDIDATE_CODE_KEYS)})")
    if not isinstance(code, str):
        raise TaskError(f"{where}.{code_key} must be text, got {type(code).__name__}")
    _, model = _first_present(raw, CANDIDATE_MODEL_KEYS)
    raw_id = raw.get("id", raw.get("candidate_id"))
    passed = raw.get(CANDIDATE_PASSED_KEY)
    if passed is not None and not isinstance(passed, bool):
        raise TaskError(f"{where}.{CANDIDATE_PASSED_KEY} must be true, false or null, got {passed!r}")
    return Candidate(
        candidate_id=str(raw_id) if raw_id not in (None, "") else default_id,
        model=str(model) if model not in (None, "") else UNKNOWN_MODEL,
        code=code,
        passed=passed,
    )


def _candidates(record: dict[str, Any]) -> tuple[Candidate, ...]:
    key, value = _first_present(record, CANDIDATES_KEYS)
    if key is None:
        raise TaskError(
            "no candidates (expected one of " + ", ".join(f"'{k}'" for k in CANDIDATES_KEYS) + ")"
        )
    if not isinstance(value, list):
        raise TaskError(f"'{key}' must be a list, got {type(value).__name__}")
    if not value:
        raise TaskError(f"'{key}' is empty")
    candidates = tuple(_candidate(raw, i, key) for i, raw in enumerate(value))
    seen: set[str] = set()
    for cand in candidates:
        if cand.candidate_id in seen:
            raise TaskError(f"'{key}' repeats candidate id {cand.candidate_id!r}")
        seen.add(cand.candidate_id)
    return candidates


def _language(record: dict[str, Any]) -> str:
    """The language's name: short and plain, since the judge is shown it (inside the fences) and the
    report prints it."""
    key, value = _first_present(record, LANGUAGE_KEYS)
    if key is None or value == "":
        return DEFAULT_LANGUAGE
    if not isinstance(value, str) or not LANGUAGE_NAME.fullmatch(value.strip()):
        shown = repr(value)[:60]
        raise TaskError(
            f"'{key}' must be a plain language name (letters, digits, '+#._-' and spaces, at most "
            f"{LANGUAGE_MAX_CHARS} characters), got {shown}"
        )
    return value.strip()


def parse_record(record: Any, line: int) -> Task:
    """Normalize one decoded JSON value into a Task, or raise TaskError naming the field."""
    if not isinstance(record, dict):
        raise TaskError(f"expected a JSON object, got {type(record).__name__}")
    task_id = _task_id(record)
    problem = _problem(record)
    candidates = _candidates(record)
    language = _language(record)
    meta = record.get("meta")
    return Task(
        task_id=task_id,
        line=line,
        problem=problem,
        language=language,
        candidates=candidates,
        meta=meta if isinstance(meta, dict) else {},
        tests=parse_test_spec(record),
    )


def _decode(raw: bytes, line: int) -> str | None:
    """The line's text without BOM and line ending; None for a blank line."""
    if line == 1 and raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskError(f"not valid UTF-8 (byte {exc.start})") from exc
    text = text.strip()
    return text or None


def _parse_line(raw: bytes, line: int) -> Task | None:
    text = _decode(raw, line)
    if text is None:
        return None
    try:
        record = strict_loads(text)
    except json.JSONDecodeError as exc:
        raise TaskError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    except NotJsonConstant as exc:
        raise TaskError(str(exc)) from exc
    except RecursionError as exc:  # the decoder recurses once per nesting level
        raise TaskError(f"nested too deeply to read (over {MAX_INPUT_JSON_DEPTH} levels)") from exc
    check_json_value(record, text)
    return parse_record(record, line)


def iter_tasks(path: Path) -> Iterator[Task | Reject]:
    """Stream tasks and rejects from a JSONL file in input order; raises OSError if it cannot be read."""
    for _, item in iter_tasks_at(path):
        yield item


def iter_tasks_at(path: Path) -> Iterator[tuple[int, Task | Reject]]:
    """As `iter_tasks`, each with the byte offset its line starts at (for `read_task_at`)."""
    seen_ids: set[str] = set()
    offset = 0
    with open(path, "rb") as handle:
        for line, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            try:
                task = _parse_line(raw, line)
            except TaskError as exc:
                yield start, Reject(line=line, task_id=None, reason=f"line {line}: {exc}")
                continue
            if task is None:
                continue
            if task.task_id in seen_ids:
                reason = f"line {line}: repeats task_id {task.task_id!r}"
                yield start, Reject(line=line, task_id=task.task_id, reason=reason)
                continue
            seen_ids.add(task.task_id)
            yield start, task


def read_task_at(handle: BinaryIO, offset: int, line: int) -> Task:
    """The task on `line`, which starts at byte `offset` of the open input (a line a first pass accepted)."""
    handle.seek(offset)
    task = _parse_line(handle.readline(), line)
    if task is None:
        raise TaskError(f"line {line} is blank now: the input changed during the run")
    return task


def iter_valid_tasks(path: Path, limit: int | None = None) -> Iterator[Task]:
    """The tasks a run judges, in input order: rejected lines skipped, only the first `limit` valid ones."""
    valid = 0
    for item in iter_tasks(path):
        if isinstance(item, Reject):
            continue
        if limit is not None and valid >= limit:
            return
        valid += 1
        yield item


def task_digest(task: Task) -> str:
    """A digest of what the task holds (problem, language, candidates, tests): the same id with other
    content gives another digest."""
    content = {
        "problem": task.problem,
        "language": task.language,
        "candidates": [[c.candidate_id, c.model, c.code, c.passed] for c in task.candidates],
        "tests": task.tests.to_wire() if task.tests is not None else None,
    }
    encoded = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:16]
