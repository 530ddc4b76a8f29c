"""`analyze compare`: do two (or more) runs of the job agree, and a jury of their judges.

Reads each run directory's journal with the report's reader, compares only the tasks every run judged
with the same content, and writes compare.json, compare.csv and compare.html in the report's look.

Modules, each with one job:
  runs        one run directory: its journal, its settings (runs.jsonl `configuration`), its report's anchors
  matching    the tasks every run judged alike, and the counts of the rest
  agreement   the figures of one pair of runs (leaderboard tau, top-1 agreement, per-task tau, Spearman)
  varied      which settings differ between the runs
  jury        the runs pooled as judges: pooled rankings, Kendall's W, accuracy-weighted jury
  files       compare.json and compare.csv
  page        compare.html
  build       all of it, for the CLI

May import: constants, settings, journal/, judging/ and report/ (it sits above report/); the commands
import it, never the reverse.
"""

from __future__ import annotations

from analyze.compare.build import compare_runs

__all__ = ["compare_runs"]
