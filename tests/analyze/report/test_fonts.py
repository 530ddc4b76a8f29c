from pathlib import Path

import pytest
from analyze.report import constants, fonts
from analyze.report.fonts import find_cjk_font


@pytest.fixture
def font_file(tmp_path: Path) -> str:
    path = tmp_path / "my-font.ttf"
    path.write_bytes(b"not really a font")
    return str(path)


def test_font_path_env_overrides_search(monkeypatch: pytest.MonkeyPatch, font_file: str) -> None:
    monkeypatch.setenv("FONT_PATH", font_file)
    choice = find_cjk_font()
    assert (choice.path, choice.source, choice.warning) == (font_file, "FONT_PATH", None)


def test_argument_beats_env(monkeypatch: pytest.MonkeyPatch, font_file: str, tmp_path: Path) -> None:
    other = tmp_path / "other.ttf"
    other.write_bytes(b"x")
    monkeypatch.setenv("FONT_PATH", str(other))
    assert find_cjk_font(font_file).path == font_file


def test_missing_font_path_warns_and_falls_back(monkeypatch: pytest.MonkeyPatch, font_file: str) -> None:
    monkeypatch.setenv("FONT_PATH", "/nowhere/font.ttf")
    monkeypatch.setattr(constants, "CJK_FONT_CANDIDATES", (font_file,))
    choice = find_cjk_font()
    assert choice.path == font_file and choice.source == "known path"
    assert "FONT_PATH font '/nowhere/font.ttf' does not exist" in (choice.warning or "")


def test_no_font_found_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FONT_PATH", raising=False)
    monkeypatch.setattr(constants, "CJK_FONT_CANDIDATES", ())
    monkeypatch.setattr(fonts.shutil, "which", lambda _name: None)
    choice = find_cjk_font()
    assert choice.path is None and choice.source == "none"
    assert "no font with Chinese glyphs found" in (choice.warning or "")
    assert "FONT_PATH" in (choice.warning or "")


def test_fc_list_is_asked_last(monkeypatch: pytest.MonkeyPatch, font_file: str) -> None:
    monkeypatch.delenv("FONT_PATH", raising=False)
    monkeypatch.setattr(constants, "CJK_FONT_CANDIDATES", ())
    monkeypatch.setattr(fonts, "_fc_list_chinese", lambda: font_file)
    assert find_cjk_font() == fonts.FontChoice(font_file, "fc-list", None)
