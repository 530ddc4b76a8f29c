"""Every compare figure recomputed by hand on small journals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from analyze.compare import compare_runs
from analyze.compare import constants as cc
from analyze.compare.jury import accuracy_weight, kendall_w
from analyze.judging.ranking import exact_kendall_tau


def run_line(seed: int, judge: str = "judge") -> dict:
    return {
        "schema": 1,
        "run_id": f"r{seed}",
        "started_at": 0.0,
        "finished_at": 1.0,
        "configuration": {"judge_model": judge, "prompts": "p1", "seed": seed, "swap": False},
        "tasks_valid": 6,
        "tasks_skipped": 0,
    }


def write(path: Path, lines: list[dict], runs: list[dict]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "results.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    (path / "runs.jsonl").write_text("".join(json.dumps(x) + "\n" for x in runs), encoding="utf-8")
    return path


def result(task: str, ranking: list[str], *, content: str | None = "d", passed: dict | None = None) -> dict:
    """A results line whose candidates c1.. (model m-<id>) are ranked as `ranking` (best first)."""
    candidates = []
    ids = sorted(ranking)
    for cid in ids:
        rank = ranking.index(cid) + 1
        overall = 10.0 - 2 * rank
        candidate = {
            "candidate_id": cid,
            "model": f"m-{cid}",
            "label": cid,
            "position": ids.index(cid),
            "scores": {"correctness": overall, "overall": overall},
            "rank": rank,
        }
        if passed is not None:
            candidate["passed"] = passed[cid]
        candidates.append(candidate)
    line = {"schema": 1, "task_id": task, "line": int(task[1:]) + 1, "candidates": candidates}
    return line | ({"content": f"{content}-{task}"} if content else {})


ORDER = ["c1", "c2", "c3"]


def run_dir(tmp_path: Path, name: str, rankings: list[list[str]], seed: int = 0, **kw) -> Path:
    lines = [result(f"t{i}", ranking, **kw) for i, ranking in enumerate(rankings)]
    return write(tmp_path / name, lines, [run_line(seed)])


def compare(tmp_path: Path, *dirs: Path, **kw):
    return compare_runs(list(dirs), tmp_path / "cmp", lang="en", bootstrap_resamples=50, **kw)


@pytest.mark.usefixtures("levels_on_few_tasks")
def test_identical_runs_agree_fully(tmp_path: Path) -> None:
    a = run_dir(tmp_path, "a", [ORDER] * 6)
    b = run_dir(tmp_path, "b", [ORDER] * 6, seed=1)
    summary, paths = compare(tmp_path, a, b)
    pair = summary["pairs"][0]
    assert (pair["a"], pair["b"], pair["tasks_common"]) == ("a", "b", 6)
    assert pair["leaderboard_kendall_tau"] == 1.0
    assert pair["leaderboard_kendall_tau_ci_low"] == pair["leaderboard_kendall_tau_ci_high"] == 1.0
    assert pair["top1_agreement"] == 1.0 and pair["mean_task_kendall_tau"] == 1.0
    assert pair["top1_chance"] == pytest.approx(1 / 3)
    assert pair["score_spearman"] == {"correctness": pytest.approx(1.0), "overall": pytest.approx(1.0)}
    assert pair["agreement"] == "strong" and pair["disagreements"] == [] and pair["models_moved"] == []
    assert summary["settings"]["varied"] == ["seed"]
    assert summary["settings"]["runs"] == {"a": {"seed": 0}, "b": {"seed": 1}}
    assert set(paths) == {"compare_json", "compare_csv", "compare_html"}
    assert json.loads(paths["compare_json"].read_text(encoding="utf-8")) == summary
    csv = paths["compare_csv"].read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("a,b,tasks_common,") and csv[1].startswith("a,b,6,3,1.0,")


def test_a_run_compared_with_itself(tmp_path: Path) -> None:
    a = run_dir(tmp_path, "a", [ORDER, ["c2", "c1", "c3"], ["c3", "c2", "c1"]])
    summary, _ = compare(tmp_path, a, a)
    pair = summary["pairs"][0]
    assert (pair["a"], pair["b"]) == ("a", "a (2)")
    assert pair["top1_agreement"] == pair["mean_task_kendall_tau"] == pair["leaderboard_kendall_tau"] == 1.0
    assert summary["settings"]["varied"] == []


@pytest.mark.usefixtures("levels_on_few_tasks")
def test_reversed_rankings_give_minus_one(tmp_path: Path) -> None:
    a = run_dir(tmp_path, "a", [ORDER] * 8)
    b = run_dir(tmp_path, "b", [ORDER[::-1]] * 8)
    pair = compare(tmp_path, a, b)[0]["pairs"][0]
    assert pair["leaderboard_kendall_tau"] == -1.0 and pair["mean_task_kendall_tau"] == -1.0
    assert pair["top1_agreement"] == 0.0 and pair["agreement"] == "opposed"
    assert pair["score_spearman"]["overall"] == pytest.approx(-1.0)
    # m-c1 first in a, last in b; both strengths far outside the other run's interval
    assert [row["model"] for row in pair["models_moved"]] == ["m-c1", "m-c3"]
    assert len(pair["disagreements"]) == 8 and pair["disagreements"][0]["kendall_tau"] == -1.0


@pytest.mark.usefixtures("levels_on_few_tasks")
def test_mixed_rankings_by_hand(tmp_path: Path) -> None:
    """Task taus 1, 1/3, -1/3, -1 (one swap, two swaps, reversed): mean 0; best kept in 2 of 4 tasks."""
    a = run_dir(tmp_path, "a", [ORDER] * 4)
    b = run_dir(tmp_path, "b", [ORDER, ["c1", "c3", "c2"], ["c2", "c3", "c1"], ["c3", "c2", "c1"]])
    pair = compare(tmp_path, a, b)[0]["pairs"][0]
    taus = [exact_kendall_tau(ORDER, r) for r in (ORDER, ["c1", "c3", "c2"], ["c2", "c3", "c1"], ORDER[::-1])]
    assert taus == pytest.approx([1, 1 / 3, -1 / 3, -1])
    assert pair["mean_task_kendall_tau"] == pytest.approx(0.0)
    assert pair["top1_agreement"] == 0.5
    assert pair["agreement"] == "chance"
    queue = [row["task_id"] for row in pair["disagreements"]]
    assert queue == ["t3", "t2", "t1"]  # most disagreeing first, identical t0 not listed


def test_too_few_tasks_get_no_level_and_the_page_says_so(tmp_path: Path) -> None:
    few = cc.MIN_AGREEMENT_TASKS - 1
    a = run_dir(tmp_path, "a", [ORDER] * few)
    b = run_dir(tmp_path, "b", [ORDER[::-1]] * few)
    summary, paths = compare(tmp_path, a, b)
    pair = summary["pairs"][0]
    assert pair["mean_task_kendall_tau"] == -1.0 and pair["agreement"] == "too_few"  # not "opposed"
    page = paths["compare_html"].read_text(encoding="utf-8")
    assert f"only {few} common tasks, too few to say whether they agree" in page
    assert f"Compare at least {cc.MIN_AGREEMENT_TASKS} tasks" in page
    zh = compare_runs([a, b], tmp_path / "zh", lang="zh", bootstrap_resamples=50)[1]["compare_html"]
    assert f"只有 {few} 个共同任务，太少，无法判断是否一致" in zh.read_text(encoding="utf-8")
    n = cc.MIN_AGREEMENT_TASKS
    enough = [run_dir(tmp_path, name, [r] * n) for name, r in (("c", ORDER), ("d", ORDER[::-1]))]
    assert compare(tmp_path, *enough)[0]["pairs"][0]["agreement"] == "opposed"


def test_disjoint_and_changed_tasks_are_counted_not_compared(tmp_path: Path) -> None:
    a = write(tmp_path / "a", [result("t0", ORDER), result("t1", ORDER), result("t2", ORDER)], [run_line(0)])
    changed = result("t1", ORDER[::-1]) | {"content": "other"}
    b = write(tmp_path / "b", [result("t0", ORDER), changed, result("t5", ORDER)], [run_line(0)])
    summary, _ = compare(tmp_path, a, b)
    assert summary["tasks"] == {"compared": 1, "compared_by_id": 0, "changed": 1, "not_in_every_run": 2}
    assert summary["pairs"][0]["tasks_common"] == 1


def test_lines_without_content_are_compared_by_id_and_said_so(tmp_path: Path) -> None:
    a = run_dir(tmp_path, "a", [ORDER] * 3, content=None)
    b = run_dir(tmp_path, "b", [ORDER] * 3)
    summary, paths = compare(tmp_path, a, b)
    assert summary["tasks"]["compared"] == 3 and summary["tasks"]["compared_by_id"] == 3
    assert "compared by task id alone" in paths["compare_html"].read_text(encoding="utf-8")


def test_disjoint_runs_compare_nothing(tmp_path: Path) -> None:
    a = write(tmp_path / "a", [result("t0", ORDER)], [run_line(0)])
    b = write(tmp_path / "b", [result("t1", ORDER)], [run_line(0)])
    summary, _ = compare(tmp_path, a, b, jury=True)
    assert summary["tasks"]["not_in_every_run"] == 2 and summary["pairs"][0]["tasks_common"] == 0
    assert summary["pairs"][0]["agreement"] == "unknown" and summary["jury"] is None


def test_kendall_w_by_hand() -> None:
    """Rank sums 4, 6, 8 around 6: S = 8, W = 12 * 8 / (9 * 24) = 4/9."""
    rankings = [["x", "y", "z"], ["x", "z", "y"], ["y", "x", "z"]]
    assert kendall_w(rankings) == pytest.approx(4 / 9)
    assert kendall_w([["x", "y"], ["x", "y"]]) == 1.0
    assert kendall_w([["x", "y"], ["y", "x"]]) == 0.0


def test_jury_pools_the_runs(tmp_path: Path) -> None:
    rankings = [ORDER, ["c1", "c3", "c2"], ["c2", "c1", "c3"]]
    dirs = [run_dir(tmp_path, f"j{i}", [r] * 4, seed=i) for i, r in enumerate(rankings)]
    jury = compare(tmp_path, *dirs, jury=True)[0]["jury"]
    assert jury["kendall_w"] == pytest.approx(4 / 9) and jury["kendall_w_tasks"] == 4
    # z-scores of 8, 6, 4 are equal per judge, so the pooled score is the mean of -z-ranks: c1 best
    assert jury["models"][0]["model"] == "m-c1"
    first = jury["per_judge"][0]
    assert first["mean_task_kendall_tau_with_pool"] == 1.0 and first["top1_with_pool"] == 1.0
    assert jury["truth"] is None


def test_weighted_jury_follows_the_judge_that_knows(tmp_path: Path) -> None:
    """c1 passes, c2 and c3 fail. The right judge ranks c1 c2 c3, two wrong ones c2 c3 c1. Each judge's
    z-scores are +z, 0, -z, so the pooled scores are c2 2z/3, c1 and c3 -z/3 (tied, and tied in mean rank
    7/3: by id, c1 before c3): c2 c1 c3, one of the two pairs right. Weighted, the wrong judges weigh 0."""
    passed = {"c1": True, "c2": False, "c3": False}
    right = run_dir(tmp_path, "right", [ORDER] * 4, passed=passed)
    wrong = [run_dir(tmp_path, f"wrong{i}", [["c2", "c3", "c1"]] * 4, passed=passed) for i in range(2)]
    jury = compare(tmp_path, right, *wrong, jury=True)[0]["jury"]
    accuracy = [row["truth_pairwise_accuracy"] for row in jury["per_judge"]]
    assert accuracy == [1.0, 0.0, 0.0]
    # 8 pairs right: smoothed (8 + 0.5) / (8 + 1); the wrong ones are below chance, weight 0
    assert jury["truth"]["weights"] == pytest.approx([math.log(8.5 / 0.5), 0.0, 0.0])
    assert jury["truth"]["unweighted"]["pairwise_accuracy"] == 0.5
    assert jury["truth"]["weighted"]["pairwise_accuracy"] == 1.0
    assert accuracy_weight({"truth_pairs": 0, "truth_pairwise_accuracy": None}) == 0.0
