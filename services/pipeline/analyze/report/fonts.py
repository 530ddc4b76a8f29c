"""Find a font with CJK glyphs for the charts and the word cloud."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from analyze.report import constants as c


@dataclass(frozen=True)
class FontChoice:
    path: str | None  # None: no CJK font, libraries use their default (Latin-only) font
    source: str  # where it came from: "argument", "FONT_PATH", "known path", "fc-list" or "none"
    warning: str | None = None


def find_cjk_font(font_path: str | None = None) -> FontChoice:
    """An explicit `font_path`, then $FONT_PATH, then well-known paths, then `fc-list :lang=zh`."""
    notes = []
    for given, source in ((font_path, "argument"), (os.environ.get(c.FONT_ENV), c.FONT_ENV)):
        if not given:
            continue
        if Path(given).is_file():
            return FontChoice(given, source)
        notes.append(f"{source} font {given!r} does not exist")
    for candidate in c.CJK_FONT_CANDIDATES:
        if Path(candidate).is_file():
            return FontChoice(candidate, "known path", _join(notes))
    found = _fc_list_chinese()
    if found:
        return FontChoice(found, "fc-list", _join(notes))
    notes.append(
        "no font with Chinese glyphs found: Chinese text in charts and the word cloud will be missing; "
        f"install fonts-wqy-microhei or set {c.FONT_ENV}"
    )
    return FontChoice(None, "none", _join(notes))


def _join(notes: list[str]) -> str | None:
    return "; ".join(notes) or None


def _fc_list_chinese() -> str | None:
    if shutil.which("fc-list") is None:
        return None
    try:
        listing = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    paths = sorted(line.split(":")[0].strip() for line in listing.splitlines() if line.strip())
    return next((path for path in paths if Path(path).is_file()), None)
