"""Deterministic judge tasks for the benchmarks (written under bench/out/, never committed)."""

from __future__ import annotations

import json
import random
from pathlib import Path

_SNIPPETS = (
    "def solve(xs):\n    return sorted(set(xs))\n",
    (
        "def solve(xs):\n    out = []\n    for x in xs:\n"
        "        if x not in out:\n            out.append(x)\n    return sorted(out)\n"
    ),
    "def solve(xs):\n    seen = {}\n    for x in xs:\n        seen[x] = True\n    return sorted(seen)\n",
    (
        "import heapq\n\ndef solve(xs):\n    heapq.heapify(xs)\n"
        "    return [heapq.heappop(xs) for _ in range(len(xs))]\n"
    ),
)
_MODELS = ("model-a", "model-b", "model-c", "model-d")
# HumanEval-shaped tests every snippet is checked against: the heapq one keeps duplicates and fails.
TESTS = {
    "test": (
        "def check(candidate):\n"
        "    assert candidate([3, 1, 3, 2]) == [1, 2, 3]\n"
        "    assert candidate([]) == []\n"
    ),
    "entry_point": "solve",
}


def write_tasks(
    path: Path,
    count: int,
    candidates: int = 3,
    seed: int = 0,
    varied: tuple[int, int] | None = None,
    with_tests: bool = False,
) -> Path:
    """`count` tasks of `candidates` solutions each; reused when the file already holds exactly that.

    `varied=(lo, hi)`: each task draws its N from lo..hi and each candidate 1-4 copies of a snippet, so
    prompts (and with `--output-len prompt:...` the verdicts) differ in length as real tasks do.
    `with_tests`: each task carries TESTS, for the sandbox to run.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = path.with_suffix(".params")
    params = f"{count} {candidates} {seed} {varied} {with_tests}"
    if path.is_file() and stamp.is_file() and stamp.read_text() == params:
        return path
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            n = rng.randint(*varied) if varied else candidates
            codes = rng.choices(_SNIPPETS, k=n)
            if varied:
                codes = [code * rng.randint(1, 4) for code in codes]
            task = {
                "task_id": f"t-{index:06d}",
                "problem": f"Task {index}: return the distinct values of a list in ascending order.",
                "language": "python",
                "candidates": [
                    {"candidate_id": f"c{k}", "model": _MODELS[k % len(_MODELS)], "code": code}
                    for k, code in enumerate(codes)
                ],
            }
            if with_tests:
                task.update(TESTS)
            out.write(json.dumps(task) + "\n")
    stamp.write_text(params)
    return path
