import re
import shutil
import subprocess
from pathlib import Path

import pytest
from analyze.report import build_report
from PIL import Image, ImageStat

from tests.prereq import requires

from .cjk_font import WQY, needs_cjk_font
from .journal_factory import JournalDir, issue, request

CHROMIUM = Path("/usr/bin/chromium")
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I
)


def chinese_journal(journal: JournalDir) -> None:
    for t in range(6):
        ranked = [("通义千问", 8 - t % 3), ("gpt-4o", 7), ("深度求索", 5 + t % 2)]
        ranked.sort(key=lambda pair: -pair[1])
        journal.result(
            f"任务-{t}",
            ranked,
            issues=[issue("c1", ranked[0][0], "没有检查空输入"), issue("c2", ranked[1][0], "缺少异常处理")],
            requests=[request(f"vllm-{t % 2 + 1}", 1.0 + t / 10)],
        )
    journal.failure("任务-9")
    journal.reject(3, "line 3: 'candidates' is empty")
    journal.run(0.0, 12.0, tasks_valid=7)


def build(journal: JournalDir, font: str | None = WQY) -> Path:
    return build_report(journal.path, font_path=font, bootstrap_resamples=20)["report_html"]


def test_page_is_self_contained(journal: JournalDir) -> None:
    chinese_journal(journal)
    page = build(journal).read_text(encoding="utf-8")
    assert not EXTERNAL.search(page)
    assert "<script" not in page and "<link" not in page
    images = re.findall(r'<img[^>]*src="([^"]*)"', page)
    assert len(images) == 6  # five charts and the word cloud
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert '<meta charset="utf-8">' in page and "通义千问" in page


def test_page_shows_counts_tables_and_escapes(journal: JournalDir) -> None:
    chinese_journal(journal)
    journal.result("t<x>", [("<b>evil</b>", 5)])
    page = build(journal).read_text(encoding="utf-8")
    assert "&lt;b&gt;evil&lt;/b&gt;" in page and "<b>evil</b>" not in page
    assert '<div class="value">7</div><div class="name">tasks</div>' in page
    assert "Head to head" in page and "line 3: &#x27;candidates&#x27; is empty" in page


def test_empty_directory_page_says_so(journal: JournalDir) -> None:
    page = build(journal).read_text(encoding="utf-8")
    assert "No judged tasks yet" in page
    assert "<img" not in page


def test_missing_font_is_warned_on_the_page(journal: JournalDir, monkeypatch: pytest.MonkeyPatch) -> None:
    from analyze.report import constants, fonts

    monkeypatch.delenv("FONT_PATH", raising=False)
    monkeypatch.setattr(constants, "CJK_FONT_CANDIDATES", ())
    monkeypatch.setattr(fonts.shutil, "which", lambda _name: None)
    chinese_journal(journal)
    page = build(journal, font=None).read_text(encoding="utf-8")
    assert "no font with Chinese glyphs found" in page


@requires(CHROMIUM.exists(), str(CHROMIUM), "apt-get install chromium")
@needs_cjk_font
@pytest.mark.timeout(120)
def test_page_renders_in_headless_chromium(journal: JournalDir, tmp_path: Path) -> None:
    chinese_journal(journal)
    page = build(journal)
    screenshot = tmp_path / "report.png"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={screenshot}",
        "--window-size=1280,2000",
        page.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=100)
    shutil.copy(screenshot, journal.path / "report-screenshot.png")
    with Image.open(screenshot) as image:
        assert image.size == (1280, 2000)
        header = image.convert("RGB").crop((0, 0, 1280, 60))
        # The header band is the accent colour #1f4e79: the CSS was applied.
        assert header.getpixel((1200, 10)) == (0x1F, 0x4E, 0x79)
        assert ImageStat.Stat(image.convert("L")).stddev[0] > 20  # not a blank page
