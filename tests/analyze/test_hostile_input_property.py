"""Arbitrary names, ids and texts (unicode, control characters, "$", formulas, RTL marks, NUL, up to 10 000
characters) through the input reader, the prompt builder and the report: nothing crashes, the report writes
only inside its output directory, its CSVs read back whole and its charts stay bounded (docs/report.md,
"Hostile input"). The 10 000-character name's peak memory is measured in a child process by
tests/analyze/report/test_hostile_input.py."""

import csv
import resource
import tempfile
from pathlib import Path

import pandas as pd
from analyze.inputs.errors import TaskError
from analyze.inputs.json_values import check_json_value
from analyze.inputs.tasks import Task, parse_record
from analyze.judging.prompt import build_prompt, fence
from analyze.report import build_report
from analyze.report import constants as c
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.analyze.report.journal_factory import JournalDir, execution, issue

# Valid JSON text all of them ("\u0000" is a legal escape; only a raw control byte is not).
HOSTILE = [
    "$\\frac{$",
    "$x^2$",
    "=1+1",
    '=HYPERLINK("http://x")',
    "+SUM(A1)",
    "-2",
    "@cmd",
    "\tx",
    "\rx",
    "a\rb",
    "a\nb",
    "a\r\nb",
    "\u202eexe.txt",
    "\u200fمرحبا\u200e",
    "\x00",
    "nul\x00inside",
    "\x1b[31mred",
    "<script>alert(1)</script>",
    "&amp;",
    '"quoted", comma',
    "日本語のモデル",
    " ",
    "",
]
LONG = st.builds(
    lambda piece, n: piece * n,
    st.sampled_from(["m", "$", "=", "\r", "日", "\u202e", "a b"]),
    st.integers(1, 10_000),
)
TEXT = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE), LONG)
# What a JSON escape can also give ("\ud800"); the line reader refuses it (check_json_value) before
# parse_record, as this test does.
RECORD_TEXT = st.one_of(TEXT, st.just("\ud800lone"))
PNG_MAX_SIDE = c.CHART_MAX_INCHES * c.CHART_DPI
PEAK_RSS_MB = 2048  # the whole pytest process, this test's reports included: generous, a bound not a target


@settings(max_examples=50, deadline=None)
@given(
    task_id=RECORD_TEXT,
    problem=RECORD_TEXT,
    language=RECORD_TEXT,
    models=st.lists(RECORD_TEXT, min_size=1, max_size=3),
    ids=st.lists(RECORD_TEXT, min_size=3, max_size=3),
    code=RECORD_TEXT,
)
def test_reader_and_prompt_take_any_text(
    task_id: str, problem: str, language: str, models: list[str], ids: list[str], code: str
) -> None:
    record = {
        "task_id": task_id,
        "problem": problem,
        "language": language,
        "candidates": [{"id": i, "model": m, "code": code} for i, m in zip(ids, models, strict=False)],
    }
    try:
        check_json_value(record)  # what the line reader runs before parse_record
        task = parse_record(record, line=1)
    except TaskError:
        return  # a reason naming the field, as for any bad line
    assert isinstance(task, Task)
    prompt = build_prompt(task, seed=0, max_input_tokens=4000)
    user = prompt.messages[1]["content"]
    assert fence("PROBLEM", prompt.tag, task.problem) in user
    assert all(prompt.tag not in text for text in (task.problem, task.language, code))


def tree(root: Path, skip: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and skip not in p.parents
    }


def read_back(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows and all(len(row) == len(rows[0]) for row in rows), path.name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert frame.shape == (len(rows) - 1, len(rows[0])), path.name


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    task_ids=st.lists(TEXT, min_size=1, max_size=3),
    models=st.lists(TEXT, min_size=2, max_size=3),
    texts=st.lists(TEXT, min_size=3, max_size=3),
)
def test_report_takes_any_text(task_ids: list[str], models: list[str], texts: list[str]) -> None:
    issue_text, detail, judge = texts
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "neighbour.txt").write_text("untouched\n")
        journal = JournalDir(root / "out")
        for n, task_id in enumerate(task_ids):
            ranked = [(model, 8.0 - i) for i, model in enumerate(models[n % 2 :] + models[: n % 2])]
            journal.result(
                task_id,
                ranked,
                issues=[issue("c1", ranked[0][0], issue_text, category="robustness")],
                executions=[execution("failed", detail=detail)] + [execution("passed")] * (len(ranked) - 1),
                judge_model=judge,
            )
        before = tree(root, journal.path)
        paths = build_report(journal.path, bootstrap_resamples=5)
        assert tree(root, journal.path) == before
        for path in paths.values():
            assert journal.path in path.parents or path == journal.path / c.CHARTS_DIR
        for name in (c.SCORES_CSV, c.MODELS_CSV, c.PAIRWISE_CSV, c.ISSUES_CSV, c.JUDGE_MISSES_CSV):
            read_back(journal.path / name)
        for png in (journal.path / c.CHARTS_DIR).glob("*.png"):
            with Image.open(png) as picture:
                assert max(picture.size) <= PNG_MAX_SIDE, (png.name, picture.size)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < PEAK_RSS_MB
