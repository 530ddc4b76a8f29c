"""File names and thresholds of `analyze compare` (bootstrap settings are the report's)."""

from __future__ import annotations

COMPARE_JSON = "compare.json"
COMPARE_CSV = "compare.csv"
COMPARE_HTML = "compare.html"

QUEUE_SIZE = 20  # tasks that disagree most, listed per pair for a person to read
# The pair's agreement level from the mean per-task Kendall tau and its bootstrap interval:
# interval above 0 and mean at least this -> "strong", else "weak"; interval reaching 0 -> "chance";
# interval below 0 -> "opposed".
AGREEMENT_STRONG_TAU = 0.5
# Below this many tasks of two or more candidates no level is given ("too_few"): three tasks whose taus
# happen to be equal give a bootstrap interval of one point, and "opposed" with full confidence.
MIN_AGREEMENT_TASKS = 10
# Accuracy of a judge is smoothed as (correct + 1/2) / (pairs + 1) before its log-odds weight, so that a
# judge right on every pair gets a large, finite weight.
ACCURACY_SMOOTHING = 0.5
