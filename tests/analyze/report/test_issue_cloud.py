import math
from pathlib import Path

from analyze.constants import ISSUE_TEXT_MAX_CHARS
from analyze.report.issue_cloud import STOP_WORDS, keyword_weights, keywords, write_word_cloud
from analyze.report.journal import read_journal
from PIL import Image
from wordcloud import STOPWORDS

from .cjk_font import WQY, needs_cjk_font
from .journal_factory import JournalDir, issue, request


def idf(n: int, df: int) -> float:
    return math.log((1 + n) / (1 + df)) + 1


def test_jieba_splits_chinese_into_keywords() -> None:
    assert keywords("没有检查空输入") == ["检查", "输入"]  # 没有: stop word, 空: one-character particle-ish
    assert keywords("缺少异常处理，没有检查空输入") == ["缺少", "异常", "处理", "检查", "输入"]


def test_maintained_english_stop_words_are_dropped() -> None:
    text = "but so very such while over the loop could be simplified"
    assert keywords(text) == ["loop", "simplified"]
    assert STOPWORDS <= STOP_WORDS  # wordcloud's whole list, not a hand-picked subset


def test_weights_are_tf_idf_over_the_issues() -> None:
    weights = keyword_weights(["empty input crashes", "empty input", "unbounded recursion depth"])
    # 3 documents: "empty" and "input" are in 2, the rest in 1
    assert weights["empty"] == 2 * idf(3, 2)
    assert weights["crashes"] == idf(3, 1)
    assert weights["recursion"] == idf(3, 1) > weights["empty"] / 2  # a rarer word weighs more per use


def test_a_text_cut_at_its_bound_loses_its_last_fragment(journal: JournalDir) -> None:
    """The reader flags a text as long as its bound: the request's `bounds.issue_text_chars` when the
    journal records it, else ISSUE_TEXT_MAX_CHARS."""
    bounded = request("b", 1.0) | {"bounds": {"issue_text_chars": 40}}
    cut = "missing validation of negative n correctl"[:40]
    journal.result("t1", [("a", 5)], issues=[issue("c1", "a", cut)], requests=[bounded])
    old = ("unbounded recursion depth " * 20)[: ISSUE_TEXT_MAX_CHARS - 5] + "implementati"
    journal.result("t2", [("a", 5)], issues=[issue("c1", "a", old[:ISSUE_TEXT_MAX_CHARS])])
    journal.result("t3", [("a", 5)], issues=[issue("c1", "a", "the output is complete")])
    texts = [(i.text, i.cut) for i in read_journal(journal.path).issues]
    assert [flag for _text, flag in texts] == [True, True, False]
    weights = keyword_weights(texts)
    assert "correctl" not in weights and "validation" in weights
    assert not any(word.startswith("implementat") for word in weights) and "recursion" in weights
    assert "complete" in weights  # not cut: last word kept
    assert "fragmen" not in keyword_weights([("misses a fragmen", True)])


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
