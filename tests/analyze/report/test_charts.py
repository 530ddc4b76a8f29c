from pathlib import Path

import pytest
from analyze.report.analysis import BootstrapSettings, analyse
from analyze.report.charts import write_charts
from analyze.report.journal import read_journal
from PIL import Image

from .cjk_font import WQY, needs_cjk_font
from .journal_factory import JournalDir, request

ALL_CHARTS = {"scores_by_model", "dimensions", "win_rates", "ranking", "backends"}


def charts_for(journal: JournalDir, font: str | None = None) -> dict[str, Path]:
    analysis = analyse(read_journal(journal.path), BootstrapSettings(resamples=10), [])
    return write_charts(analysis, journal.path / "charts", font)


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        width, height = image.size
        assert width > 300 and height > 150


@pytest.mark.parametrize(
    "font",
    [
        None,
        pytest.param(WQY, marks=needs_cjk_font),
    ],
)
def test_every_chart_is_a_valid_png(journal: JournalDir, font: str | None) -> None:
    journal.result("t1", [("甲模型", 8), ("B", 6), ("C", 5)], requests=[request("vllm-1", 1.2)])
    journal.result("t2", [("B", 7), ("甲模型", 6), ("C", 2)], requests=[request("vllm-2", 0.8)])
    written = charts_for(journal, font)
    assert {name.removeprefix("chart_") for name in written} == ALL_CHARTS
    for path in written.values():
        assert path.parent == journal.path / "charts"
        assert_png(path)


def test_no_results_no_charts(journal: JournalDir) -> None:
    assert charts_for(journal) == {}


def test_stale_chart_is_removed(journal: JournalDir) -> None:
    stale = journal.path / "charts" / "win_rates.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    journal.result("t1", [("A", 8)])  # one model: no head-to-head chart
    written = charts_for(journal)
    assert "chart_win_rates" not in written and not stale.exists()
    assert "chart_scores_by_model" in written
