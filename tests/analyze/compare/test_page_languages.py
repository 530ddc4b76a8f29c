"""compare.html in one language only: no label of the other language's i18n entries (the report's rule,
tests/analyze/report/test_page.py), on a page with every section: banner, varied settings, pairs, a
pair's Spearman table, moved models, the disagreement queue and a jury weighted by ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from analyze.compare import compare_runs
from analyze.judging.fingerprint import run_fingerprint
from analyze.judging.request import JudgeTarget

from tests.analyze.judge_fakes import fast_settings
from tests.analyze.report.test_page import cells_of, labels_of, leaked

from .test_figures import ORDER, result, write

TASKS = 8
PASSED = {"c1": True, "c2": False, "c3": False}


def changed(value: Any) -> Any:
    """Another value of the same kind, so that every setting differs between the two runs."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, dict):
        return {key: changed(v) for key, v in value.items()}
    return f"{value}-b"


def model_names(lines: list[dict]) -> dict[str, str]:
    """Chinese model names, so the en page carries Chinese data that is not a label to translate."""
    names = {"c1": "通义千问", "c2": "深度求索", "c3": "gpt-4o"}
    for line in lines:
        for candidate in line["candidates"]:
            candidate["model"] = names[candidate["candidate_id"]]
    return names


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], set[str]]:
    """Run a ranks right (c1, the one that passes, first), run b reversed; b differs in every setting
    the run fingerprint records (with execution), so each one's name is on the page."""
    root = tmp_path_factory.mktemp("languages")
    settings = fast_settings(root, ["http://127.0.0.1:1/v1"])
    fingerprint = run_fingerprint(settings, JudgeTarget("judge-a", 4096), executing=True)
    dirs, data = [], {"a", "b"}
    for name, ranking, configuration in (("a", ORDER, fingerprint), ("b", ORDER[::-1], changed(fingerprint))):
        lines = [result(f"t{i}", ranking, passed=PASSED) for i in range(TASKS)]
        data |= set(model_names(lines).values()) | {line["task_id"] for line in lines}
        run = {"schema": 1, "run_id": name, "started_at": 0.0, "finished_at": 1.0}
        dirs.append(write(root / name, lines, [run | {"configuration": configuration}]))
    data |= {str(v) for v in (*fingerprint.values(), *changed(fingerprint).values()) if isinstance(v, str)}
    return dirs, data


def page_texts(page: str, data: set[str]) -> list[str]:
    """Labels and table cells, minus the data's own names (runs, tasks, models, recorded values)."""
    return [text for text in labels_of(page) + cells_of(page) if text and text not in data]


@pytest.mark.usefixtures("levels_on_few_tasks")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compare_page_holds_no_label_of_the_other_language(
    two_runs: tuple[list[Path], set[str]], tmp_path: Path, lang: str
) -> None:
    dirs, data = two_runs
    summary, paths = compare_runs(dirs, tmp_path / lang, lang=lang, bootstrap_resamples=50, jury=True)
    # every section is on the page, so a leak in any one of them would show
    pair = summary["pairs"][0]
    assert pair["agreement"] == "opposed" and pair["models_moved"] and pair["disagreements"]
    assert summary["jury"]["truth"]["weighted"] is not None
    assert "seed" in summary["settings"]["varied"] and "execution.feedback" in summary["settings"]["varied"]
    page = paths["compare_html"].read_text(encoding="utf-8")
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
    texts = page_texts(page, data)
    assert leaked(texts, lang) == []
    # every fingerprint setting is named by the table, none shown by its journal key
    assert not set(summary["settings"]["varied"]) & set(texts)
    if lang == "zh":
        # the settings' names and yes/no values are the table's, not the journal's keys
        assert "随机种子（--seed）" in texts and "向评审展示测试执行结果" in texts
        assert "true" not in texts and "false" not in texts
        assert "两种顺序各评一次（--swap）" in texts and {"是", "否"} <= set(texts)
    else:
        assert "seed (--seed)" in texts and "execution results shown to the judge" in texts
        assert {"yes", "no"} <= set(texts)
        assert "通义千问" in page  # the data's Chinese names stay as they are


def test_a_setting_the_table_does_not_name_is_shown_by_its_key(tmp_path: Path) -> None:
    lines = [result(f"t{i}", ORDER) for i in range(3)]
    runs = []
    for name, value in (("a", 1), ("b", 2)):
        run = {"schema": 1, "run_id": name, "started_at": 0.0, "finished_at": 1.0}
        runs.append(write(tmp_path / name, lines, [run | {"configuration": {"future_knob": value}}]))
    paths = compare_runs(runs, tmp_path / "cmp", lang="zh", bootstrap_resamples=10)[1]
    assert "future_knob" in cells_of(paths["compare_html"].read_text(encoding="utf-8"))
