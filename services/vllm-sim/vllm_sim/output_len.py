"""Output-length distributions: `fixed:N`, `uniform:A:B`, `lognormal:MEDIAN:SIGMA`."""

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

    def draw(self, rng: random.Random) -> int:
        """A length in tokens, never below 1."""
        if self.kind == "fixed":
            n = self.a
        elif self.kind == "uniform":
            n = rng.randint(int(self.a), int(self.b))
        else:
            n = round(rng.lognormvariate(math.log(self.a), self.b))
        return max(1, int(n))

    def __str__(self) -> str:
        if self.kind == "fixed":
            return f"fixed:{int(self.a)}"
        if self.kind == "uniform":
            return f"uniform:{int(self.a)}:{int(self.b)}"
        return f"lognormal:{self.a:g}:{self.b:g}"


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
    except ValueError as exc:
        if isinstance(exc, OutputLenError):
            raise
        raise OutputLenError(f"{spec!r}: numbers expected ({exc})") from exc
    raise OutputLenError(f"{spec!r}: expected fixed:N, uniform:A:B or lognormal:MEDIAN:SIGMA")
