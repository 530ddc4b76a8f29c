"""Output-length distributions: `fixed:N`, `uniform:A:B`, `lognormal:MEDIAN:SIGMA`, `prompt:BASE:PER:SIGMA`.

`prompt:BASE:PER:SIGMA` draws from a lognormal whose median grows with the request:
max(1, BASE + PER x prompt tokens). A judge's verdict is like that: it scores and discusses every
candidate, so a task with more or longer candidates (a longer prompt) gets a longer answer. A negative
BASE takes out the prompt's fixed part (system prompt, instructions); SIGMA keeps the spread.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


class OutputLenError(ValueError):
    """A malformed output-length spec."""


@dataclass(frozen=True, slots=True)
class OutputLen:
    """A parsed output-length distribution; `str()` gives back the spec."""

    kind: str
    a: float
    b: float = 0.0
    c: float = 0.0

    def median(self, prompt_tokens: int = 0) -> float:
        """The distribution's median for a request of `prompt_tokens` (fixed/uniform: the middle)."""
        if self.kind == "fixed":
            return self.a
        if self.kind == "uniform":
            return (self.a + self.b) / 2
        if self.kind == "lognormal":
            return self.a
        return max(1.0, self.a + self.b * prompt_tokens)

    def draw(self, rng: random.Random, prompt_tokens: int = 0) -> int:
        """A length in tokens, never below 1."""
        if self.kind == "fixed":
            n = self.a
        elif self.kind == "uniform":
            n = rng.randint(int(self.a), int(self.b))
        elif self.kind == "lognormal":
            n = round(rng.lognormvariate(math.log(self.a), self.b))
        else:
            n = round(rng.lognormvariate(math.log(self.median(prompt_tokens)), self.c))
        return max(1, int(n))

    def __str__(self) -> str:
        if self.kind == "fixed":
            return f"fixed:{int(self.a)}"
        if self.kind == "uniform":
            return f"uniform:{int(self.a)}:{int(self.b)}"
        if self.kind == "lognormal":
            return f"lognormal:{self.a:g}:{self.b:g}"
        return f"prompt:{self.a:g}:{self.b:g}:{self.c:g}"


def parse_output_len(spec: str) -> OutputLen:
    """Parse a spec string; the error says which part is wrong."""
    parts = spec.strip().split(":")
    kind = parts[0]
    try:
        if kind == "fixed" and len(parts) == 2:
            n = int(parts[1])
            if n < 1:
                raise OutputLenError(f"fixed length must be >= 1, got {n}")
            return OutputLen("fixed", n)
        if kind == "uniform" and len(parts) == 3:
            lo, hi = int(parts[1]), int(parts[2])
            if not 1 <= lo <= hi:
                raise OutputLenError(f"uniform needs 1 <= A <= B, got {lo}:{hi}")
            return OutputLen("uniform", lo, hi)
        if kind == "lognormal" and len(parts) == 3:
            median, sigma = float(parts[1]), float(parts[2])
            if median <= 0 or sigma < 0:
                raise OutputLenError(f"lognormal needs MEDIAN > 0 and SIGMA >= 0, got {median}:{sigma}")
            return OutputLen("lognormal", median, sigma)
        if kind == "prompt" and len(parts) == 4:
            base, per, sigma = float(parts[1]), float(parts[2]), float(parts[3])
            if per <= 0 or sigma < 0:
                raise OutputLenError(f"prompt needs PER > 0 and SIGMA >= 0, got {base}:{per}:{sigma}")
            return OutputLen("prompt", base, per, sigma)
    except ValueError as exc:
        if isinstance(exc, OutputLenError):
            raise
        raise OutputLenError(f"{spec!r}: numbers expected ({exc})") from exc
    raise OutputLenError(
        f"{spec!r}: expected fixed:N, uniform:A:B, lognormal:MEDIAN:SIGMA or prompt:BASE:PER:SIGMA"
    )
