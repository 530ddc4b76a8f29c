"""The word cloud of the judge's issue texts: keywords, weighted by TF-IDF over this run's issues.

Tokens: jieba splits Chinese (and passes Latin words through); words are lower-cased. Dropped: the
maintained stop-word lists (wordcloud.STOPWORDS for English, jieba.analyse's keyword extractor's), the
few domain words of constants.WORDCLOUD_DOMAIN_STOPWORDS, numbers, one-character Chinese tokens, and a
text's last token when the text reached its length bound (it may be half a word: "correctl"; the
journal reader knows each task's bound).
Weight of a word w over the N issue texts: sum over texts of tf(w, text) * (ln((1 + N) / (1 + df(w))) + 1),
so a word in every issue counts less than one that marks a kind of flaw.
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import jieba
import jieba.analyse
from wordcloud import STOPWORDS, WordCloud

from analyze.report import constants as c
from analyze.report.outputs import write_bytes

jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" chatter is not for the report's user

_WORD = re.compile(r"\w", re.UNICODE)
_LATIN_TOKEN = re.compile(r"\w+", re.UNICODE)  # the words jieba would give for Latin text
STOP_WORDS = frozenset(
    {w.lower() for w in STOPWORDS}
    | {w.lower() for w in jieba.analyse.TFIDF.STOP_WORDS}
    | c.WORDCLOUD_DOMAIN_STOPWORDS
)


def keywords(text: str, *, cut: bool = False) -> list[str]:
    """The text's keywords in order; `cut`: its last token is a fragment and is dropped."""
    # jieba is for Chinese; a Latin-only text splits on non-word characters, much faster at 1M issues
    pieces = jieba.lcut(text) if _is_cjk(text) else _LATIN_TOKEN.findall(text)
    tokens = [token.strip().lower() for token in pieces]
    tokens = [token for token in tokens if token]
    if cut and tokens:
        tokens.pop()
    return [token for token in tokens if _is_keyword(token)]


def _is_keyword(word: str) -> bool:
    if not _WORD.search(word) or word in STOP_WORDS or word.isdigit() or word.replace(".", "").isdigit():
        return False
    if len(word) > c.WORDCLOUD_MAX_WORD_LENGTH:
        return False
    if _is_cjk(word):
        return len(word) >= c.WORDCLOUD_MIN_CJK_LENGTH
    return len(word) >= c.WORDCLOUD_MIN_WORD_LENGTH


def _is_cjk(word: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in word)


def keyword_weights(texts: Iterable[str | tuple[str, bool]]) -> dict[str, float]:
    """TF-IDF weight of every keyword over the texts (each text one document); a text may come with its
    "cut" flag (the journal reader sets it when the text reached its schema bound)."""
    documents: list[Counter[str]] = []
    seen: dict[tuple[str, bool], list[str]] = {}  # judges repeat themselves: tokenise each text once
    for item in itertools.islice(texts, c.WORDCLOUD_MAX_TEXTS):
        text, flagged = item if isinstance(item, tuple) else (item, False)
        key = (text, flagged)
        if key not in seen:
            seen[key] = keywords(text, cut=flagged)
        words = seen[key]
        if words:
            documents.append(Counter(words))
    n = len(documents)
    frequency: Counter[str] = Counter()
    for document in documents:
        frequency.update(document.keys())
    weights: dict[str, float] = {}
    for document in documents:
        for word, count in document.items():
            idf = math.log((1 + n) / (1 + frequency[word])) + 1
            weights[word] = weights.get(word, 0.0) + count * idf
    return weights


def write_word_cloud(
    texts: Iterable[str | tuple[str, bool]], path: Path, font_path: str | None
) -> Path | None:
    """Draw the cloud to `path`; None when there are no words. Without a CJK font, Chinese words are
    dropped (they would draw as empty boxes) and the caller's warning says so."""
    weights = keyword_weights(texts)
    if font_path is None:
        weights = {word: w for word, w in weights.items() if not _is_cjk(word)}
    if not weights:
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
        collocations=False,
    )
    cloud.generate_from_frequencies(weights)
    buffer = io.BytesIO()
    cloud.to_image().save(buffer, format="png", optimize=True)  # what WordCloud.to_file does, unfollowed
    return write_bytes(path, buffer.getvalue())
