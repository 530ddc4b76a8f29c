"""Console output of a run: the seed's six step banners, a tqdm bar on a terminal, one-line
progress messages every few seconds otherwise (logs of a compose job are not terminals)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

from analyze.constants import BANNERS, REPORT_STEP_ICONS


class Console:
    def __init__(self, lang: str = "zh", stream: TextIO | None = None, interval_s: float = 10.0) -> None:
        self.texts = BANNERS[lang]
        self.stream = stream or sys.stdout
        self.interval_s = interval_s
        self.interactive = self.stream.isatty()
        self._bar: tqdm | None = None
        self._total = 0
        self._ok = self._failed = 0
        self._started = self._last_line = 0.0
        self._report_step = 2

    def say(self, key: str, **values: object) -> None:
        print(self.texts[key].format(**values), file=self.stream, flush=True)

    def line(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)

    def rule(self) -> None:
        self.line("=" * 60)

    def report_step(self, _index: int, title: str) -> None:
        """`on_step` for build_report: banners 3/6..6/6, counted here whatever base `_index` uses.

        The title is this console's own for the step (in its language); the report's title is kept
        only for a step beyond the six."""
        self._report_step += 1
        icon = REPORT_STEP_ICONS[(self._report_step - 3) % len(REPORT_STEP_ICONS)]
        title = self.texts["report_steps"].get(self._report_step, title.rstrip(". "))
        self.line()
        self.say("report", icon=icon, step=self._report_step, title=title)

    def start_bar(self, total: int) -> None:
        self._total = total
        self._started = self._last_line = time.monotonic()
        if self.interactive:
            self._bar = tqdm(total=total, desc=self.texts["bar"], file=self.stream, dynamic_ncols=True)
            self._refresh_postfix()

    def _refresh_postfix(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix({self.texts["ok"]: self._ok, self.texts["failed"]: self._failed})

    def task_done(self, ok: bool) -> None:
        if ok:
            self._ok += 1
        else:
            self._failed += 1
        if self._bar is not None:
            self._bar.update(1)
            self._refresh_postfix()
        elif time.monotonic() - self._last_line >= self.interval_s:
            self.progress_line()

    def progress_line(self) -> None:
        """One plain line: done/total, ok/failed, rate and ETA."""
        self._last_line = now = time.monotonic()
        done = self._ok + self._failed
        elapsed = max(now - self._started, 1e-9)
        rate = done / elapsed
        eta = (self._total - done) / rate if rate > 0 else float("inf")
        eta_text = f"{eta:.0f}s" if eta != float("inf") else "?"
        self.line(
            f"   {self.texts['bar']}: {done}/{self._total} {self.texts['ok']}={self._ok} "
            f"{self.texts['failed']}={self._failed} {rate:.2f}/s ETA {eta_text}"
        )

    def tick(self) -> None:
        """Called every few seconds by the runner: a plain line even while no task finishes."""
        if self._bar is None and time.monotonic() - self._last_line >= self.interval_s:
            self.progress_line()

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._total:
            self.progress_line()
