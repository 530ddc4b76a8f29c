"""The word cloud of the judge's issue texts (jieba splits Chinese; English splits on spaces too)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import jieba
from wordcloud import WordCloud

from analyze.report import constants as c

jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" chatter is not for the report's user

_WORD = re.compile(r"\w", re.UNICODE)


def word_frequencies(texts: Iterable[str]) -> Counter[str]:
    """Count meaningful words: jieba tokens with a letter or ideograph, not stop words, not too short."""
    counts: Counter[str] = Counter()
    for text in texts:
        for token in jieba.lcut(text):
            word = token.strip().lower()
            if not _WORD.search(word) or word in c.WORDCLOUD_STOPWORDS or word.isdigit():
                continue
            if len(word) < c.WORDCLOUD_MIN_WORD_LENGTH and not _is_cjk(word):
                continue
            counts[word] += 1
    return counts


def _is_cjk(word: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in word)


def write_word_cloud(texts: Iterable[str], path: Path, font_path: str | None) -> Path | None:
    """Draw the cloud to `path`; None when there are no words. Without a CJK font, Chinese words are
    dropped (they would draw as empty boxes) and the caller's warning says so."""
    frequencies = word_frequencies(texts)
    if font_path is None:
        frequencies = Counter({word: n for word, n in frequencies.items() if not _is_cjk(word)})
    if not frequencies:
        return None
    cloud = WordCloud(
        font_path=font_path,
        width=c.WORDCLOUD_WIDTH,
        height=c.WORDCLOUD_HEIGHT,
        max_words=c.WORDCLOUD_MAX_WORDS,
        background_color="white",
        colormap="viridis",
        random_state=0,
        prefer_horizontal=0.95,
    )
    cloud.generate_from_frequencies(frequencies)
    cloud.to_file(str(path))
    return path
