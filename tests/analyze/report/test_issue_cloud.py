from pathlib import Path

from analyze.report.issue_cloud import word_frequencies, write_word_cloud
from PIL import Image

from .cjk_font import WQY, needs_cjk_font


def test_jieba_splits_chinese_into_words() -> None:
    counts = word_frequencies(["没有检查空输入", "缺少异常处理，没有检查空输入"])
    assert counts["检查"] == 2 and counts["输入"] == 2
    assert counts["异常"] == 1 and counts["处理"] == 1
    assert "没有" not in counts and "，" not in counts  # stop word and punctuation


def test_english_words_lower_cased_without_stop_words() -> None:
    counts = word_frequencies(["No check for empty Input", "empty input crashes"])
    assert counts == {"check": 1, "empty": 2, "input": 2, "crashes": 1}


@needs_cjk_font
def test_cloud_with_chinese_font(tmp_path: Path) -> None:
    path = write_word_cloud(["没有检查空输入", "变量命名不清晰"], tmp_path / "cloud.png", WQY)
    assert path == tmp_path / "cloud.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1200, 600)
        assert len(image.convert("L").getcolors(maxcolors=1 << 16) or []) > 2  # words were drawn


def test_cloud_without_cjk_font_keeps_latin_words(tmp_path: Path) -> None:
    path = write_word_cloud(["没有检查 missing check"], tmp_path / "cloud.png", None)
    assert path is not None and Image.open(path).format == "PNG"


def test_no_words_no_cloud(tmp_path: Path) -> None:
    assert write_word_cloud(["没有检查空输入"], tmp_path / "a.png", None) is None  # only CJK, no font
    assert write_word_cloud([], tmp_path / "b.png", None) is None
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()
