import html
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from analyze.report import build_report
from PIL import Image, ImageStat

from tests.prereq import requires

from .cjk_font import WQY, needs_cjk_font
from .journal_factory import JournalDir, execution, issue, request

# Text of every heading, table header, caption, banner line and definition term: what must be translated.
LABELS = re.compile(r"<(h1|h2|h3|th|figcaption|strong|dt|title)[^>]*>(.*?)</\1>", re.S)

CHROMIUM = Path("/usr/bin/chromium")
# Under CI a missing browser fails the test instead of skipping it (tests/prereq.py).
needs_chromium = requires(CHROMIUM.exists(), str(CHROMIUM), "apt-get install chromium")
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


def build(journal: JournalDir, font: str | None = WQY, lang: str = "en") -> Path:
    return build_report(journal.path, font_path=font, bootstrap_resamples=20, lang=lang)["report_html"]


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


def labelled_at_chance(journal: JournalDir) -> None:
    """Every ranking puts the passed candidate between two failed ones: 50% pairwise accuracy."""
    for t in range(8):
        journal.result(
            f"任务-{t}",
            [("通义千问", 8), ("gpt-4o", 6), ("深度求索", 4)],
            passed=[False, True, False],
            issues=[issue("c1", "通义千问", "没有检查空输入"), issue("c2", "gpt-4o", "missing bounds check")],
            requests=[request(f"vllm-{t % 2 + 1}", 1.0 + t / 10)],
        )
    journal.run(0.0, 12.0, tasks_valid=8)


def executed_at_chance(journal: JournalDir, tasks: int = 8) -> None:
    """labelled_at_chance with its labels from executions, a not_run and a miss in every task."""
    for t in range(tasks):
        journal.result(
            f"任务-{t}",
            [("通义千问", 8), ("gpt-4o", 6), ("深度求索", 4), ("通义千问", 3)],
            executions=[
                execution("failed", 1, 3, "case 1: expected 4, got 5"),
                execution("passed"),
                execution("timeout", 0, 3, "case 0: over 2 s"),
                execution("not_run", 0, 3, "no javascript runtime (node) in this sandbox"),
            ],
            issues=[issue("c1", "通义千问", "没有检查空输入")],
            requests=[request(f"vllm-{t % 2 + 1}", 1.0 + t / 10)],
        )
    journal.run(0.0, 12.0, tasks_valid=tasks)


def labels_of(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for _tag, text in LABELS.findall(page)]


def leaked(texts: list[str], lang: str) -> list[str]:
    """The texts that are the other language's entry of the i18n table: on a zh page an English text
    that has a Chinese translation, on an en page a Chinese one (entries with placeholders left out)."""
    from analyze.report.i18n import EN, ZH

    own, other = (ZH, EN) if lang == "zh" else (EN, ZH)
    foreign = {other[key] for key in other if other[key] != own[key] and not set(other[key]) & set("{}")}
    return [text for text in texts if text in foreign]


@pytest.mark.parametrize("fill", [labelled_at_chance, executed_at_chance])
def test_zh_page_has_no_english_label_and_en_page_no_chinese_one(journal: JournalDir, fill) -> None:
    fill(journal)
    zh_page = build(journal, lang="zh").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh_page
    assert leaked(labels_of(zh_page), "zh") == []
    assert "这个排名可信吗？" in zh_page and "评审模型不比随机猜测更好" in zh_page
    en_page = build(journal, lang="en").read_text(encoding="utf-8")
    assert '<html lang="en">' in en_page
    assert leaked(labels_of(en_page), "en") == []
    assert "Can this ranking be trusted?" in en_page and "The judge is no better than chance" in en_page
    # the banner comes before the ranking
    assert en_page.index('id="trust-banner"') < en_page.index("<h2>Ranking</h2>")


def cells_of(page: str) -> list[str]:
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def test_tests_section_in_both_languages(journal: JournalDir) -> None:
    executed_at_chance(journal)
    en = build(journal, lang="en").read_text(encoding="utf-8")
    assert en.index("<h2>Ranking</h2>") < en.index('id="tests"') < en.index("<h2>Charts</h2>")
    assert "Pass rate per model" in en and "Grounded ranking beside the judge&#x27;s" in en
    assert "8 candidates not run, by reason" in en
    assert "The judge&#x27;s first choice failed while another candidate passed: 8 of 8 tasks" in en
    assert "input labels 0, test executions 24" in en  # the trust table says where the truth came from
    cells = cells_of(en)
    assert "failed 1/3" in cells and "case 1: expected 4, got 5" in cells
    zh = build(journal, lang="zh").read_text(encoding="utf-8")
    assert "各模型的通过率" in zh and "以测试为准的排名与评审排名对照" in zh
    assert "8 个候选未运行，按原因统计" in zh
    assert "输入标签 0 个，测试执行 24 个" in zh
    zh_cells = cells_of(zh)
    assert "失败 1/3" in zh_cells and "测试执行" in zh_cells and "超时" in zh_cells
    assert not {"failed 1/3", "execution", "timeout"} & set(zh_cells)  # statuses and sources translated


def test_old_journal_page_says_no_tests_were_run(journal: JournalDir) -> None:
    labelled_at_chance(journal)
    page = build(journal, lang="en").read_text(encoding="utf-8")
    assert "No tests were run: no candidate in this journal carries an execution result." in page
    assert "Pass rate per model" not in page and "Grounded ranking" not in page
    assert "input labels 24, test executions 0" in page


def test_miss_list_is_capped_on_the_page(journal: JournalDir) -> None:
    from analyze.report import constants

    executed_at_chance(journal, tasks=constants.HTML_MAX_MISS_ROWS + 5)
    paths = build_report(journal.path, font_path=WQY, bootstrap_resamples=5, lang="en")
    page = paths["report_html"].read_text(encoding="utf-8")
    assert "First 50 of 55; all are in judge_misses.csv." in page
    assert sum(cell == "case 1: expected 4, got 5" for cell in cells_of(page)) == 50
    assert len(paths["judge_misses_csv"].read_text(encoding="utf-8").splitlines()) == 56


def test_both_languages_hold_the_same_keys() -> None:
    from analyze.report.i18n import EN, ZH

    assert set(EN) == set(ZH)
    for key in EN:  # the same placeholders, so a sentence formats in either language
        assert sorted(re.findall(r"\{(\w+)", EN[key])) == sorted(re.findall(r"\{(\w+)", ZH[key])), key


def screenshot(page: Path, png: Path, profile: Path, height: int = 2000) -> Image.Image:
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
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size=1280,{height}",
        page.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=100)
    with Image.open(png) as image:
        return image.convert("RGB")


@needs_chromium
@needs_cjk_font
@pytest.mark.timeout(240)
@pytest.mark.parametrize(("fill", "lang"), [(chinese_journal, "en"), (executed_at_chance, "zh")])
def test_page_renders_in_headless_chromium(journal: JournalDir, tmp_path: Path, fill, lang: str) -> None:
    fill(journal)
    page = build(journal, lang=lang)
    image = screenshot(page, tmp_path / "report.png", tmp_path / "profile")
    shutil.copy(tmp_path / "report.png", journal.path / "report-screenshot.png")
    assert image.size == (1280, 2000)
    # The header band is the accent colour #1f4e79: the CSS was applied.
    assert image.getpixel((1200, 10)) == (0x1F, 0x4E, 0x79)
    assert ImageStat.Stat(image.convert("L")).stddev[0] > 20  # not a blank page


UNTRUSTED_BANNER = (0xFD, 0xE8, 0xE6)  # .trust-untrusted background


@needs_chromium
@needs_cjk_font
@pytest.mark.timeout(240)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trust_banner_on_top_in_chromium_in_both_languages(
    journal: JournalDir, tmp_path: Path, lang: str
) -> None:
    """The zh and en pages of a judge at chance: the red "do not trust" banner is drawn above the fold, and
    the screenshot is kept beside the report (report-<lang>.png) for a person to look at."""
    labelled_at_chance(journal)
    page = build(journal, lang=lang)
    image = screenshot(page, tmp_path / f"report-{lang}.png", tmp_path / "profile", height=1000)
    shutil.copy(tmp_path / f"report-{lang}.png", journal.path / f"report-{lang}.png")
    top = np.asarray(image)[:500]
    banner = (top == UNTRUSTED_BANNER).all(axis=2)
    assert banner.sum() > 1280 * 40  # a band at least 40 px high, within the first 500 px
    # the text on the banner was drawn (dark ink on the pink band)
    rows = np.flatnonzero(banner[:, 640])
    band = np.asarray(image.convert("L"))[rows[0] : rows[-1], 60:1200]
    assert band.min() < 100
