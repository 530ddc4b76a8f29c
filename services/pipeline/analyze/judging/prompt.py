"""Builds the judge request for one task: seeded order, neutral labels, tagged delimiters, truncation.

Prompt texts are files (`analyze/judging/prompts/system.md`, `user.md`, `repair.md`); `--prompts-dir`
points at a directory holding replacements for any of them. Each input block is fenced by markers
carrying a tag that appears nowhere in the data, so code cannot fake an END marker and "escape" into
instructions.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from analyze.constants import (
    LABEL_ALPHABET,
    ORDER_FORWARD,
    ORDER_ROTATED,
    OVERALL_STEP,
    TRUNCATION_MARKER,
)
from analyze.inputs.outcomes import one_line
from analyze.inputs.tasks import Candidate, Task
from analyze.judging.budget import PREFERRED_BOUNDS, VerdictBounds
from analyze.judging.ranking import rotated

SYSTEM_PROMPT_FILE = "system.md"
USER_PROMPT_FILE = "user.md"
REPAIR_PROMPT_FILE = "repair.md"  # the follow-up turn after an invalid reply (analyze.judging.request)
PROMPT_FILES = (SYSTEM_PROMPT_FILE, USER_PROMPT_FILE, REPAIR_PROMPT_FILE)
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# Conservative: ASCII code averages ~4 bytes per token and CJK ~3, so bytes/3 overestimates slightly.
BYTES_PER_TOKEN = 3
MIN_CANDIDATE_TOKENS = 64


@dataclass(frozen=True)
class ShownCandidate:
    label: str
    position: int
    candidate: Candidate
    truncated: bool


@dataclass(frozen=True)
class JudgePrompt:
    order: str
    messages: list[dict[str, str]]
    shown: tuple[ShownCandidate, ...]
    tag: str

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.shown]

    def by_label(self) -> dict[str, ShownCandidate]:
        """Label -> shown candidate (read-only: built once per prompt, the merge asks per issue)."""
        return self._by_label

    @functools.cached_property
    def _by_label(self) -> dict[str, ShownCandidate]:
        return {s.label: s for s in self.shown}


def label_for(position: int) -> str:
    """A, B, ..., Z, AA, AB, ... (spreadsheet style, so any N has labels)."""
    label = ""
    n = position + 1
    while n:
        n, rem = divmod(n - 1, len(LABEL_ALPHABET))
        label = LABEL_ALPHABET[rem] + label
    return label


@functools.lru_cache(maxsize=16)
def load_prompt(name: str, prompts_dir: Path | None = None) -> str:
    """A prompt file's text, read once per process (every request asks for it)."""
    if prompts_dir is not None and (prompts_dir / name).is_file():
        return (prompts_dir / name).read_text(encoding="utf-8")
    return resources.files("analyze.judging").joinpath("prompts", name).read_text(encoding="utf-8")


def prompts_digest(prompts_dir: Path | None = None) -> str:
    """A digest of the prompt texts in use (the run fingerprint names it, not the texts)."""
    digest = hashlib.sha256()
    for name in PROMPT_FILES:
        digest.update(name.encode() + b"\0" + load_prompt(name, prompts_dir).encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


def render(template: str, values: dict[str, str]) -> str:
    """Fill `{{name}}` placeholders in one pass, so braces inside the values are never re-read."""
    parts = _template_parts(template)
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        key = parts[i]
        if key not in values:
            raise KeyError(f"prompt template uses unknown placeholder {{{{{key}}}}}")
        out.append(values[key])
        out.append(parts[i + 1])
    return "".join(out)


@functools.lru_cache(maxsize=16)
def _template_parts(template: str) -> tuple[str, ...]:
    """The template split once: literal text at even indices, placeholder names at odd ones (every
    request renders the same few templates, and the regex pass was a tenth of building a request)."""
    return tuple(PLACEHOLDER.split(template))


def forward_order(task: Task, seed: int) -> list[Candidate]:
    """The seeded shuffle: the same task and seed always give the same order, on any machine."""
    order = list(task.candidates)
    random.Random(f"{seed}:{task.task_id}").shuffle(order)
    return order


def estimate_tokens(text: str) -> int:
    return -(-len(text.encode("utf-8")) // BYTES_PER_TOKEN)


def truncate_to_tokens(code: str, max_tokens: int) -> tuple[str, bool]:
    if estimate_tokens(code) <= max_tokens:
        return code, False
    kept = code.encode("utf-8")[: max_tokens * BYTES_PER_TOKEN].decode("utf-8", errors="ignore")
    return kept + TRUNCATION_MARKER.format(shown=len(kept), total=len(code)), True


# How much of a test result the judge is shown per candidate (its detail is candidate-made text).
FEEDBACK_MAX_CHARS = 300


def test_feedback(candidate: Candidate) -> str | None:
    """One bounded line saying what running the task's tests on the candidate found; None: not run."""
    result = candidate.execution
    if result is None:
        return None
    counts = f"{result.tests_passed} of {result.tests_total} tests passed"
    if result.status == "passed":
        text = f"passed: {counts}"
    elif result.status == "not_run":
        text = f"not run: {result.detail}"
    else:
        text = f"{result.status}: {counts}; {result.detail}".rstrip("; ")
    return one_line(text, FEEDBACK_MAX_CHARS)


def delimiter_tag(task: Task, seed: int) -> str:
    """A short hex tag absent from every text in the task (rehashed on the rare collision)."""
    texts = [task.problem, task.language, *(c.code for c in task.candidates)]
    texts += [text for c in task.candidates if (text := test_feedback(c)) is not None]
    for salt in range(1000):
        tag = "#" + hashlib.sha256(f"{seed}:{task.task_id}:{salt}".encode()).hexdigest()[:12]
        if not any(tag in text for text in texts):
            return tag
    raise ValueError(f"task {task.task_id!r}: could not find a delimiter tag absent from its text")


def limit_values(bounds: VerdictBounds) -> dict[str, str]:
    """The verdict's limits as the user prompt states them."""
    return {
        "issue_limit": str(bounds.issues_per_candidate),
        "issue_chars": str(bounds.issue_text_chars),
        "rationale_chars": str(bounds.rationale_chars),
        "overall_step": f"{OVERALL_STEP:g}",
    }


def fence(kind: str, tag: str, body: str) -> str:
    return f"<<<BEGIN {kind} {tag}>>>\n{body}\n<<<END {kind} {tag}>>>"


@dataclass(frozen=True)
class PromptDraft:
    """A prompt laid out for one task and order, before the verdict's limits are written into it: the
    request builder tries several limits on the same layout (truncation never depends on them)."""

    order: str
    system: str
    template: str
    values: dict[str, str]
    shown: tuple[ShownCandidate, ...]
    tag: str

    def finish(self, bounds: VerdictBounds = PREFERRED_BOUNDS) -> JudgePrompt:
        """The prompt stating `bounds` as the verdict's limits."""
        user = render(self.template, {**self.values, **limit_values(bounds)})
        messages = [{"role": "system", "content": self.system}, {"role": "user", "content": user}]
        return JudgePrompt(order=self.order, messages=messages, shown=self.shown, tag=self.tag)


def build_prompt(
    task: Task,
    *,
    seed: int,
    order: str = ORDER_FORWARD,
    max_input_tokens: int,
    prompts_dir: Path | None = None,
    bounds: VerdictBounds = PREFERRED_BOUNDS,
    feedback: bool = False,
) -> JudgePrompt:
    """The prompt for `task` in `order`; with `feedback`, each candidate that ran the task's tests is
    followed by a TEST RESULT block, fenced like all task text."""
    draft = draft_prompt(
        task, seed=seed, order=order, max_input_tokens=max_input_tokens, prompts_dir=prompts_dir,
        feedback=feedback,
    )  # fmt: skip
    return draft.finish(bounds)


def draft_prompt(
    task: Task,
    *,
    seed: int,
    order: str = ORDER_FORWARD,
    max_input_tokens: int,
    prompts_dir: Path | None = None,
    feedback: bool = False,
) -> PromptDraft:
    """`build_prompt`'s layout (order, tag, truncation, blocks), to be finished with any bounds."""
    candidates = forward_order(task, seed)
    if order == ORDER_ROTATED:
        candidates = rotated(candidates)
    tag = delimiter_tag(task, seed)
    system = load_prompt(SYSTEM_PROMPT_FILE, prompts_dir)
    template = load_prompt(USER_PROMPT_FILE, prompts_dir)
    labels = [label_for(i) for i in range(len(candidates))]
    results = {
        label: fence(f"TEST RESULT {label}", tag, text)
        for label, cand in zip(labels, candidates, strict=True)
        if feedback and (text := test_feedback(cand)) is not None
    }
    values = {
        "language": fence("LANGUAGE", tag, task.language),
        "problem": fence("PROBLEM", tag, task.problem),
        "count": str(len(candidates)),
        "labels": ", ".join(labels),
        "candidates": "",
    }
    # Measured with the preferred (widest) limits, so tighter ones never change what is truncated.
    widest = render(template, {**values, **limit_values(PREFERRED_BOUNDS)})
    overhead = estimate_tokens(system) + estimate_tokens(widest)
    overhead += sum(estimate_tokens(block + "\n") for block in results.values())
    # Each block also costs its fences, the blank line between blocks and, when cut, the marker.
    wrapping = estimate_tokens(fence(f"CANDIDATE {labels[-1]}", tag, "") + "\n\n")
    marker = estimate_tokens(TRUNCATION_MARKER.format(shown=10**9, total=10**9))
    share = (max_input_tokens - overhead) // len(candidates) - wrapping - marker
    per_candidate = max(MIN_CANDIDATE_TOKENS, share)

    shown: list[ShownCandidate] = []
    blocks: list[str] = []
    for position, (label, cand) in enumerate(zip(labels, candidates, strict=True)):
        code, truncated = truncate_to_tokens(cand.code, per_candidate)
        shown.append(ShownCandidate(label=label, position=position, candidate=cand, truncated=truncated))
        blocks.append(fence(f"CANDIDATE {label}", tag, code))
        if label in results:
            blocks[-1] += "\n" + results[label]
    values["candidates"] = "\n\n".join(blocks)
    return PromptDraft(
        order=order, system=system, template=template, values=values, shown=tuple(shown), tag=tag
    )
