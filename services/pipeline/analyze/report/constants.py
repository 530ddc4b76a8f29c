"""Every default of the report in one place (the journal's names and the rubric are imported: one home)."""

from __future__ import annotations

from analyze.constants import OVERALL, SEVERITIES

# DIMENSIONS orders columns and charts; dimensions a judge adds beyond these follow in first-seen order.
from analyze.constants import RUBRIC_DIMENSIONS as DIMENSIONS
from analyze.inputs.outcomes import EXEC_STATUSES, FAILING_STATUSES, PASSED_FROM_EXECUTION, PASSED_FROM_INPUT
from analyze.journal.records import FAILURES_FILE, REJECTS_FILE, RESULTS_FILE, RUNS_FILE
from analyze.settings import Settings

__all__ = [
    "DIMENSIONS",
    "EXEC_STATUSES",
    "FAILURES_FILE",
    "OVERALL",
    "REJECTS_FILE",
    "RESULTS_FILE",
    "RUNS_FILE",
    "SEVERITIES",
]

# The report's language when none is given: the console's default.
DEFAULT_LANG: str = Settings.model_fields["lang"].default

SCORES_CSV = "scores.csv"
MODELS_CSV = "models.csv"
PAIRWISE_CSV = "pairwise.csv"
ISSUES_CSV = "issues.csv"
JUDGE_MISSES_CSV = "judge_misses.csv"
SUMMARY_JSON = "summary.json"
CHARTS_DIR = "charts"
WORDCLOUD_PNG = "wordcloud.png"
REPORT_HTML = "report.html"

# Execution results on candidates (docs/journal-format.md), their vocabulary from inputs.outcomes: a
# definite status is an outcome of the tests; not_run means they could not run (no runtime, unsupported
# test kind, sandbox silent).
EXEC_PASSED = "passed"
EXEC_NOT_RUN = "not_run"
EXEC_DEFINITE = (EXEC_PASSED, *FAILING_STATUSES)
PASSED_SOURCES = (PASSED_FROM_INPUT, PASSED_FROM_EXECUTION)  # where a candidate's `passed` came from
NOT_RUN_REASON_CHARS = 160  # a not_run reason is bucketed by its first this many characters

CONFIDENCE = 0.95
LATENCY_PERCENTILES = (50, 90, 95, 99)

# Bradley-Terry: pseudo-wins credited to each side of every model pair, so an undefeated model stays
# finite and models that never met are still comparable. Two models, a beats b w of n: ratio (w+a)/(n-w+a).
BT_PRIOR_WINS = 0.5
BT_MAX_ITERATIONS = 10_000
BT_TOLERANCE = 1e-10
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
LC_MAX_ITERATIONS = 100  # Newton steps of the length-controlled fit (it converges in under 10)
LC_LENGTH_RIDGE = 0.1  # precision of the length coefficient's Gaussian prior (sd ~3 log-odds)

# "Can this ranking be trusted?" (docs/report.md#can-this-ranking-be-trusted): a figure past its
# threshold becomes a warning in summary.json["judge"]["warnings"] and in the page's banner.
TRUST_MIN_VERDICTS = 5  # fewer verdicts than this: the position/score figures are shown, never warned on
TRUST_POSITION_ORDER_EXCESS = 0.25  # ranking == presentation order this much more often than chance
TRUST_POSITION_RANK_CORR = 0.5  # |corr(position, rank)| at least this
TRUST_CONSTANT_SCORES = 0.25  # share of verdicts giving every candidate the same overall score
TRUST_SWAP_TAU = 0.5  # mean Kendall tau between the two passes of --swap below this
TRUST_LENGTH_CORR = 0.3  # |within-task corr(overall score, code length)| at least this
TRUST_LENGTH_CUTS = 0.05  # share of attempts cut at max_tokens
TRUST_RETRIES = 0.2  # share of requests that needed another attempt
TRUST_REPAIRS = 0.2  # share of verdicts whose ranking had to be repaired
TRUST_CHANCE_ACCURACY = 0.5  # pairwise accuracy whose 95% interval reaches this is no better than chance

# Fonts with CJK glyphs, tried in order after FONT_PATH; then `fc-list :lang=zh`.
FONT_ENV = "FONT_PATH"
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

WORDCLOUD_WIDTH = 1200
WORDCLOUD_HEIGHT = 600
WORDCLOUD_MAX_WORDS = 150
WORDCLOUD_MIN_WORD_LENGTH = 2  # Latin words shorter than this are dropped
WORDCLOUD_MIN_CJK_LENGTH = 2  # one-character Chinese tokens are nearly all particles (的, 了, 不, 在)
# Longer tokens are no words (hashes, URLs, names glued together) and one of 10 000 characters fits no cloud.
WORDCLOUD_MAX_WORD_LENGTH = 40
WORDCLOUD_MAX_TEXTS = 50_000  # issue texts read for the cloud (the first ones), so 1M issues stay fast
# Besides the maintained lists (wordcloud.STOPWORDS, jieba.analyse's), words every code review uses, which
# name no flaw (docs/report.md#the-word-cloud). Lower-case; jieba tokens.
_DOMAIN_STOPWORDS_TEXT = """
code function functions method candidate candidates solution solutions implementation value values
use uses used using may might must will well without also does make makes made need needs one two
的 了 和 是 在 有 没有 未 对 与 或 及 会 可能 应该 需要 一个 这个 进行 使用 时 中 等 但 也 都 就 不
代码 函数 方法 候选 实现 问题 情况 存在 导致 可以 如果 比如 例如 非常 较 很
"""
WORDCLOUD_DOMAIN_STOPWORDS = frozenset(_DOMAIN_STOPWORDS_TEXT.split())

CHART_DPI = 110
# What the input names (models, ids, categories, backends) is shown shortened, with an ellipsis; the CSVs and
# summary.json keep it whole. A chart's size then cannot grow with a name's length (docs/report.md).
CHART_LABEL_MAX_CHARS = 40
CHART_TITLE_MAX_CHARS = 120
CHART_MAX_INCHES = 30.0  # the largest side of a chart, however many models; at CHART_DPI about 3300 px
HTML_CELL_MAX_CHARS = 160  # the not_run reasons are keyed by their first 160 characters
HTML_WARNING_MAX_CHARS = 400
HTML_MAX_SCORE_ROWS = 500
HTML_MAX_MISS_ROWS = 50  # judge misses shown on the page; judge_misses.csv has them all
HTML_MAX_NOT_RUN_REASONS = 10  # not_run reasons listed on the page; summary.json has them all
