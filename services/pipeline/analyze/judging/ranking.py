"""Rankings: built from the overall scores, compared between passes, and the --swap pass's order.

A verdict's ranking is rebuilt from its overall scores by construction: higher overall first, ties in the
order the model itself ranked them. So any N gets a permutation that never contradicts the scores; when
the model's own list differs (a repeated or missing label, or one ranked above a better-scored one), the
reason is kept and the journal records the repair.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def tie_order(model_ranking: Sequence[str], labels: Sequence[str]) -> list[str]:
    """The model's ranking as a full permutation: first mentions, then unmentioned labels as shown."""
    seen = dict.fromkeys(label for label in model_ranking if label in labels)
    return [*seen, *(label for label in labels if label not in seen)]


def ranking_from_scores(
    overall: Mapping[str, float], model_ranking: Sequence[str], labels: Sequence[str]
) -> list[str]:
    """Best first by overall score; equal scores keep the model's order (see `tie_order`)."""
    place = {label: i for i, label in enumerate(tie_order(model_ranking, labels))}
    return sorted(labels, key=lambda label: (-overall[label], place[label]))


def repair_reason(
    model_ranking: Sequence[Any], final: Sequence[str], overall: Mapping[str, float], labels: Sequence[str]
) -> str | None:
    """Why the model's ranking was replaced by `final`, or None when it already was `final`."""
    given = [str(item) for item in model_ranking]
    if given == list(final):
        return None
    unknown = sorted({label for label in given if label not in labels})
    if unknown:
        return f"the ranking names unknown label(s) {', '.join(unknown)}"
    repeated = sorted({label for label in given if given.count(label) > 1})
    if repeated:
        return f"the ranking repeats {', '.join(repeated)}"
    missing = [label for label in labels if label not in given]
    if missing:
        return f"the ranking misses {', '.join(missing)}"
    for i, upper in enumerate(given):
        for lower in given[i + 1 :]:
            if overall[lower] > overall[upper]:
                return (
                    f"the ranking puts {upper} (overall {overall[upper]:g}) above {lower} "
                    f"(overall {overall[lower]:g})"
                )
    return "the ranking differs from the scores' order"  # unreachable for a permutation; kept for safety


def agrees_with_scores(ranking: Sequence[str], overall: Mapping[str, float]) -> bool:
    """True when no candidate is ranked below one with a lower overall score."""
    return all(overall[a] >= overall[b] for a, b in itertools.pairwise(ranking))


def rotation_shift(n: int) -> int:
    """The --swap pass shows position i at (i + n // 2) mod n: every candidate moves when n >= 2."""
    return n // 2


def rotated(items: Sequence[T]) -> list[T]:
    """`items` rotated so the one at position i lands at (i + shift) mod n."""
    n = len(items)
    if n < 2:
        return list(items)
    shift = rotation_shift(n)
    return [items[(j - shift) % n] for j in range(n)]


def exact_kendall_tau(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Kendall's tau between two rankings of the same items (no ties): 1 same order, -1 reversed."""
    n = len(first)
    if n < 2:
        return None
    place = {item: i for i, item in enumerate(second)}
    concordant = sum(
        1 if place[first[i]] < place[first[j]] else -1 for i in range(n) for j in range(i + 1, n)
    )
    return concordant / (n * (n - 1) / 2)


def kendall_tau(first: Sequence[str], second: Sequence[str]) -> float | None:
    """exact_kendall_tau rounded for the journal's swap object."""
    tau = exact_kendall_tau(first, second)
    return None if tau is None else round(tau, 6)
