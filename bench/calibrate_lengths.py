"""Fit the simulator's `--output-len prompt:BASE:PER:SIGMA` to a real judge's verdict lengths.

    python -m bench.calibrate_lengths REAL_RESULTS SIM_RESULTS

REAL_RESULTS: a journal (results.jsonl) the real model wrote, e.g. `make demo STACK=cpu` on SmolLM2.
SIM_RESULTS: a journal of the same tasks judged by the simulator (`make demo`), for the simulator's own
prompt token counts. Every attempt the real model answered is one point: x = the simulator's prompt
tokens for that task and order, y = the real completion tokens in simulator tokens (scaled by the
task's simulator/real prompt-token ratio, since the journal keeps counts, not texts). The fit is the
lognormal whose median is max(1, BASE + PER x), by least squares on log y over a grid; SIGMA is the
spread of log y around it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from analyze.journal.records import JournalFormatError
from analyze.journal.store import iter_journal

BASE_GRID = np.arange(-3000.0, 1001.0, 10.0)
PER_GRID = np.arange(0.0, 2.0001, 0.005)


@dataclass(frozen=True)
class Point:
    task_id: str
    candidates: int
    prompt_tokens: float  # the simulator's count
    completion_tokens: float  # in simulator tokens


@dataclass(frozen=True)
class Fit:
    base: float
    per: float
    sigma: float
    points: int

    @property
    def spec(self) -> str:
        return f"prompt:{self.base:g}:{self.per:g}:{self.sigma:.2g}"

    def median(self, prompt_tokens: float) -> float:
        return max(1.0, self.base + self.per * prompt_tokens)


def fit_lengths(xs: Sequence[float], ys: Sequence[float]) -> Fit:
    """The (BASE, PER) whose median line is closest to the points in log space, and the spread."""
    if len(xs) != len(ys) or len(xs) < 3:
        raise ValueError(f"need at least 3 (prompt, completion) pairs, got {len(xs)}")
    x = np.asarray(xs, dtype=float)
    log_y = np.log(np.maximum(np.asarray(ys, dtype=float), 1.0))
    errors = np.empty((len(BASE_GRID), len(PER_GRID)))
    for i, base in enumerate(BASE_GRID):  # one row at a time: a grid x points array would be large
        medians = np.maximum(base + PER_GRID[:, None] * x[None, :], 1.0)
        errors[i] = ((np.log(medians) - log_y[None, :]) ** 2).sum(axis=1)
    i, j = np.unravel_index(int(errors.argmin()), errors.shape)
    base, per = float(BASE_GRID[i]), float(PER_GRID[j])
    residuals = log_y - np.log(np.maximum(base + per * x, 1.0))
    return Fit(base, per, float(np.sqrt((residuals**2).mean())), len(xs))


def _records(path: Path) -> Iterable[dict]:
    try:
        yield from iter_journal(path)  # the one journal reader: torn lines skipped, the schema checked
    except JournalFormatError as exc:
        raise SystemExit(str(exc)) from exc


def _prompt_tokens(record: dict) -> dict[str, float]:
    """Per order (forward, rotated ...): the prompt tokens its server reported."""
    return {r["order"]: float(r["prompt_tokens"]) for r in record["requests"] if r.get("prompt_tokens")}


def points(real: Path, sim: Path) -> list[Point]:
    sim_prompts = {r["task_id"]: _prompt_tokens(r) for r in _records(sim)}
    found: list[Point] = []
    for record in _records(real):
        sim_orders = sim_prompts.get(record["task_id"], {})
        for request in record["requests"]:
            sim_prompt = sim_orders.get(request["order"])
            if not sim_prompt or not request.get("prompt_tokens"):
                continue
            scale = sim_prompt / request["prompt_tokens"]
            for attempt in request.get("attempt_log") or [request]:
                if attempt.get("completion_tokens"):
                    found.append(Point(record["task_id"], len(record["candidates"]), sim_prompt,
                                       attempt["completion_tokens"] * scale))  # fmt: skip
    return found


def describe(fit: Fit, found: list[Point]) -> list[str]:
    lines = [f"--output-len {fit.spec}   ({fit.points} attempts)", "N  attempts  median real  median fitted"]
    for n in sorted({p.candidates for p in found}):
        group = [p for p in found if p.candidates == n]
        real = statistics.median(p.completion_tokens for p in group)
        fitted = statistics.median(fit.median(p.prompt_tokens) for p in group)
        lines.append(f"{n:<2} {len(group):>8}  {real:>11.0f}  {fitted:>13.0f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calibrate_lengths", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("real", type=Path, help="results.jsonl written on the real model")
    parser.add_argument("sim", type=Path, help="results.jsonl of the same tasks on the simulator")
    args = parser.parse_args(argv)
    found = points(args.real, args.sim)
    if len(found) < 3:
        print(f"error: only {len(found)} attempt(s) match between the two journals", file=sys.stderr)
        return 2
    fit = fit_lengths([p.prompt_tokens for p in found], [p.completion_tokens for p in found])
    print("\n".join(describe(fit, found)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
