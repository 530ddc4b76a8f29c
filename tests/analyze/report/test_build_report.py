import json
from pathlib import Path

import pandas as pd
import pytest
from analyze.report import STEPS, build_report, issue_cloud

from .cjk_font import WQY, needs_cjk_font
from .journal_factory import JournalDir, issue, request


def test_steps_and_returned_paths(journal: JournalDir) -> None:
    journal.result("t1", [("A", 8), ("B", 6)], issues=[issue("c2", "B", "missing input check")])
    journal.result("t2", [("B", 8), ("A", 6)], requests=[request("b1", 1.0)])
    steps: list[tuple[int, str]] = []
    paths = build_report(
        journal.path, on_step=lambda i, title: steps.append((i, title)), bootstrap_resamples=10
    )
    assert steps == list(enumerate(STEPS, start=1))
    expected = {"scores_csv", "models_csv", "pairwise_csv", "issues_csv", "summary_json", "charts"}
    expected |= {"wordcloud", "report_html"}
    assert expected <= set(paths)
    for name, path in paths.items():
        assert path.exists(), name
        assert path.parent in (journal.path, journal.path / "charts") or name == "charts"


def test_empty_directory(journal: JournalDir) -> None:
    paths = build_report(journal.path)
    assert "wordcloud" not in paths and not any(name.startswith("chart_") for name in paths)
    assert pd.read_csv(paths["scores_csv"]).empty
    assert json.loads(paths["summary_json"].read_text())["tasks"]["total"] == 0


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        build_report(tmp_path / "nowhere")


def test_torn_last_line_is_reported_not_fatal(journal: JournalDir) -> None:
    journal.result("t1", [("A", 8), ("B", 6)])
    journal.append_raw("results.jsonl", '{"schema": 1, "task_id": "t2", "candi')
    summary = json.loads(build_report(journal.path, bootstrap_resamples=5)["summary_json"].read_text())
    assert summary["tasks"]["succeeded"] == 1
    assert "results.jsonl line 2: torn last line (no newline) ignored" in summary["warnings"]


@needs_cjk_font
def test_font_path_env_reaches_the_word_cloud(
    journal: JournalDir, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own_font = tmp_path / "own-font.ttc"
    own_font.write_bytes(Path(WQY).read_bytes())
    monkeypatch.setenv("FONT_PATH", str(own_font))
    used: list[str | None] = []
    real = issue_cloud.WordCloud

    def spy(*args, **kwargs):
        used.append(kwargs.get("font_path"))
        return real(*args, **kwargs)

    monkeypatch.setattr(issue_cloud, "WordCloud", spy)
    journal.result("t1", [("A", 8), ("B", 6)], issues=[issue("c1", "A", "没有检查空输入")])
    paths = build_report(journal.path, bootstrap_resamples=5)
    assert used == [str(own_font)]
    assert paths["wordcloud"].exists()


def test_large_journal(journal: JournalDir) -> None:
    """3000 tasks, each ranking A, B, C, D rotated by task number (written directly: faster)."""
    models = ["A", "B", "C", "D"]
    with (journal.path / "results.jsonl").open("w", encoding="utf-8") as handle:
        for t in range(3000):
            order = models[t % 4 :] + models[: t % 4]
            candidates = [
                {
                    "candidate_id": f"c{r}",
                    "model": m,
                    "position": r - 1,
                    "scores": {"overall": 10 - r},
                    "rank": r,
                }
                for r, m in enumerate(order, start=1)
            ]
            handle.write(json.dumps({"schema": 1, "task_id": f"t{t}", "candidates": candidates}) + "\n")
    paths = build_report(journal.path, bootstrap_resamples=20)
    models_table = pd.read_csv(paths["models_csv"]).set_index("model")
    assert models_table["count"].tolist() == [3000] * 4
    # Every model holds every rank equally often: win rate 1/2 and, by the cyclic symmetry, equal strength.
    assert models_table["win_rate"].tolist() == pytest.approx([0.5] * 4)
    assert models_table["bt_strength"].tolist() == pytest.approx([1.0] * 4)
    # A precedes B in three of the four rotations (ABCD, CDAB, DABC).
    assert pd.read_csv(paths["pairwise_csv"], index_col="model").loc["A", "B"] == 0.75
    assert len(pd.read_csv(paths["scores_csv"])) == 12000
