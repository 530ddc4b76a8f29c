"""The report on a journal an attacker wrote: long names, mathtext, formulas, line breaks, planted links,
a read-only directory (docs/report.md, "Hostile input")."""

import csv
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from analyze.report import ReportWriteError, build_report
from analyze.report import constants as c
from analyze.report.analysis import BootstrapSettings, analyse
from analyze.report.charts import _dimensions, _ranking, chart_style
from analyze.report.csv_files import FORMULA_STARTS, neutralise, write_csv
from analyze.report.i18n import Texts
from analyze.report.journal import read_journal
from analyze.report.plain_text import plain
from PIL import Image

from tests.analyze.mounts import read_only_command

from .journal_factory import JournalDir, execution, issue

CSVS = (c.SCORES_CSV, c.MODELS_CSV, c.PAIRWISE_CSV, c.ISSUES_CSV, c.JUDGE_MISSES_CSV)
LONG_NAME = "m" * 10_000
# A generous bound: the report of a tiny journal peaks near 250 MB here (imports included); a 10 000
# character name drew a 24 GB canvas before labels were shortened.
PEAK_RSS_MB = 800
# A child that regresses fails with MemoryError instead of taking the shared machine down with it.
CHILD_ADDRESS_SPACE = 6 * 1024**3


def hostile_journal(journal: JournalDir, a: str, b: str = "B", task: str = "t1") -> JournalDir:
    """Two tasks of models a and b, with executions (so judge_misses.csv has a row) and issues."""
    journal.result(
        task,
        [(a, 8), (b, 6)],
        issues=[issue("c1", a, f"{a} misses a check", category="robustness")],
        executions=[execution("failed", detail=a), execution("passed")],
        judge_model=a,
    )
    journal.result("t2", [(b, 8), (a, 6)], executions=[execution("passed"), execution("failed")])
    return journal


def read_back(path: Path) -> tuple[list[list[str]], pd.DataFrame]:
    """The CSV's rows through the csv module, checked to hold as many fields as the header, and pandas'."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows and all(len(row) == len(rows[0]) for row in rows), path.name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert frame.shape == (len(rows) - 1, len(rows[0])), path.name
    return rows, frame


def test_plain_labels() -> None:
    assert plain("x" * 50, 40) == "x" * 39 + "…"
    assert plain("a\rb\nc\td", 40) == "a b c d"
    assert plain("evil\u202eexe.txt\x00", 40) == "evilexe.txt\ufffd"
    assert plain("$\\frac{$") == "$\\frac{$"  # plain text, not markup: the charts do not parse math


def test_neutralise_only_text_that_starts_a_formula() -> None:
    for start in FORMULA_STARTS:
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise(-1.5) == -1.5 and neutralise(None) is None and neutralise("a=b") == "a=b"


def test_ten_thousand_character_name_in_bounded_memory(journal: JournalDir) -> None:
    hostile_journal(journal, LONG_NAME)
    script = (
        "import resource, sys\nfrom pathlib import Path\nfrom analyze.report import build_report\n"
        "build_report(Path(sys.argv[1]), bootstrap_resamples=10)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))

    done = subprocess.run(
        [sys.executable, "-c", script, str(journal.path)],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    peak_mb = int(done.stdout.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux
    assert peak_mb < PEAK_RSS_MB, peak_mb
    side = c.CHART_MAX_INCHES * c.CHART_DPI
    for png in (journal.path / c.CHARTS_DIR).glob("*.png"):
        with Image.open(png) as picture:
            assert max(picture.size) <= side, (png.name, picture.size)
    frame = pd.read_csv(journal.path / c.SCORES_CSV)
    assert LONG_NAME in set(frame["model"])  # the CSV keeps the whole name
    page = (journal.path / c.REPORT_HTML).read_text(encoding="utf-8")
    assert "m" * (c.HTML_CELL_MAX_CHARS - 1) + "…</td>" in page


def test_dollar_signs_are_shown_not_parsed(journal: JournalDir) -> None:
    name = "$\\frac{$"
    hostile_journal(journal, name)
    paths = build_report(journal.path, bootstrap_resamples=10)
    assert paths["chart_ranking"].exists() and paths["chart_scores_by_model"].exists()
    texts = Texts("en")
    analysis = analyse(read_journal(journal.path), BootstrapSettings(10, 0, 0.5), [], texts)
    with chart_style(None):
        figure = _ranking(analysis)
        assert figure is not None
        figure.canvas.draw()  # ticks are made at draw time, inside the style
        labels = [label for label in figure.axes[0].get_yticklabels() if label.get_text() == name]
    assert labels and not any(label.get_parse_math() for label in labels)


def test_underscore_name_keeps_its_legend_entry(journal: JournalDir) -> None:
    journal.result("t1", [("_hidden", 8), ("B", 6)])
    analysis = analyse(read_journal(journal.path), BootstrapSettings(10, 0, 0.5), [], Texts("en"))
    with chart_style(None):
        figure = _dimensions(analysis)
        assert figure is not None
        assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["B", "_hidden"]


def test_page_escapes_what_the_input_names(journal: JournalDir) -> None:
    name = "<script>alert(1)</script>"
    hostile_journal(journal, name, '"><img src=x onerror=alert(1)>', task="<b>t1</b>")
    page = build_report(journal.path, bootstrap_resamples=10)["report_html"].read_text(encoding="utf-8")
    assert "<script" not in page and "<img src=x" not in page and "<b>t1" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_formula_cells_are_neutralised_in_every_csv(journal: JournalDir) -> None:
    hostile_journal(journal, '=HYPERLINK("http://x")', "@SUM(A1)", task="+cmd|' /C calc'!A0")
    build_report(journal.path, bootstrap_resamples=10)
    for name in CSVS:
        rows, _ = read_back(journal.path / name)
        cells = [cell for row in rows for cell in row]
        assert any(cell.startswith("'") for cell in cells), name  # every CSV names a model or the task
        for cell in cells:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # only our own numbers may start with "-"


def test_line_breaks_in_names_round_trip(journal: JournalDir) -> None:
    names = {"cr\rname", "lf\nname", "crlf\r\nname"}
    journal.result("t1", [(name, 9 - i) for i, name in enumerate(sorted(names))])
    build_report(journal.path, bootstrap_resamples=10)
    for name in CSVS:
        read_back(journal.path / name)
    rows, frame = read_back(journal.path / c.SCORES_CSV)
    model = rows[0].index("model")
    assert {row[model] for row in rows[1:]} == names == set(frame["model"])
    assert set(pd.read_csv(journal.path / c.PAIRWISE_CSV, index_col=0).index) == names


@pytest.mark.parametrize("planted", [c.REPORT_HTML, c.SCORES_CSV, c.SUMMARY_JSON, c.WORDCLOUD_PNG])
def test_planted_symlink_is_refused(journal: JournalDir, tmp_path: Path, planted: str) -> None:
    hostile_journal(journal, "A")
    target = tmp_path / "victim"
    target.write_text("precious\n")
    (journal.path / planted).symlink_to(target)
    if planted == c.WORDCLOUD_PNG:  # an earlier report's file: removed first, the link and not its target
        assert build_report(journal.path, bootstrap_resamples=10)["wordcloud"].is_file()
        assert not (journal.path / planted).is_symlink()
    else:
        with pytest.raises(ReportWriteError, match="symbolic link"):
            build_report(journal.path, bootstrap_resamples=10)
    assert target.read_text() == "precious\n"


def test_planted_charts_directory_link_is_refused(journal: JournalDir, tmp_path: Path) -> None:
    hostile_journal(journal, "A")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (journal.path / c.CHARTS_DIR).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ReportWriteError, match="symbolic link"):
        build_report(journal.path, bootstrap_resamples=10)
    assert not list(elsewhere.iterdir())


def test_read_only_directory_is_one_clear_message(journal: JournalDir) -> None:
    hostile_journal(journal, "A")
    command = read_only_command(
        journal.path, [sys.executable, "-m", "analyze.cli", "report", str(journal.path)]
    )
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        journal.path.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: cannot write the report to "), done.stderr
    assert c.SCORES_CSV in errors[0]


def test_bare_carriage_return_is_quoted(tmp_path: Path) -> None:
    path = write_csv(
        pd.DataFrame({"model": ["a\rb", "=1"], "x": [-1.5, 2.0]}), tmp_path / "t.csv", index=False
    )
    with path.open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [["model", "x"], ["a\rb", "-1.5"], ["'=1", "2.0"]]
