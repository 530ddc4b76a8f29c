"""`analyze compare` on two real runs. Stand-in: real vLLM on CPU serving SmolLM2-135M-Instruct (the
session's server, tests/vllm_cpu/smollm2.py). It judges the same three tasks of data/tasks.jsonl (three
candidates each, no test execution, short verdicts) twice, sampling at temperature 0.7 with --seed 1 and
--seed 2; the seed also changes the order the candidates are shown in. Compare must find the tasks both
runs judged, recompute the figures the journals give, and name the seed as what was varied. A 135M judge
is far from stable: nothing here says how well the runs agree, only that the figures are the journals'
and lie in their ranges.

Its printed figures are the stability measured in docs/report.md ("Comparing runs"); see `figures_line`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from analyze.judging.ranking import exact_kendall_tau

from tests.analyze.judge_fakes import read_jsonl, write_jsonl
from tests.analyze.report.test_page import cells_of
from tests.vllm_cpu.smollm2 import shared_server
from tests.vllm_cpu.vllm_cpu_server import RunningServer

pytestmark = [pytest.mark.vllm_cpu, pytest.mark.slow, pytest.mark.timeout(1200)]

REPO_ROOT = Path(__file__).resolve().parents[3]
# Three short tasks of three candidates each.
TASK_IDS = ("py-two-sum", "py-fib", "py-dedupe")
# The tightest verdict bounds for three candidates (one issue of 40 characters each, a 90-character
# rationale; judging/budget.py): ~280 generated tokens, about a minute a verdict on two busy cores. The
# default budget let SmolLM2 write ~1,400 tokens at temperature 0.7 (3.5 min a verdict).
MAX_OUTPUT_TOKENS = 1500
# One request at a time: vLLM's CPU worker dies ("CPU Generator does not use offset") when it batches
# requests that carry a seed and sample (temperature > 0), and every later request gets a 500.
CONCURRENCY = 1
SEEDS = (1, 2)
TEMPERATURE = 0.7  # the job's default is greedy (0), where the seed would only reorder the candidates
MAX_VERDICT_RETRIES = 1
RUN_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def vllm_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    return shared_server(request.config, tmp_path_factory)


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "analyze.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def ranking(record: dict) -> list[str]:
    return [c["candidate_id"] for c in sorted(record["candidates"], key=lambda c: c["rank"])]


def figures_line(pair: dict) -> str:
    """The figures docs/report.md records, as the test prints them (`pytest -s`)."""
    rho = pair["score_spearman"].get("overall")
    return (
        f"tasks_common {pair['tasks_common']}; leaderboard tau {pair['leaderboard_kendall_tau']} "
        f"[{pair['leaderboard_kendall_tau_ci_low']}, {pair['leaderboard_kendall_tau_ci_high']}]; "
        f"top-1 agreement {pair['top1_agreement']} (chance {pair['top1_chance']:.3f}); mean task tau "
        f"{pair['mean_task_kendall_tau']} [{pair['mean_task_kendall_tau_ci_low']}, "
        f"{pair['mean_task_kendall_tau_ci_high']}]; score Spearman overall {rho}; "
        f"per dimension {json.dumps(pair['score_spearman'])}; agreement {pair['agreement']}"
    )


def test_two_seeds_of_smollm2_compared(vllm_server: RunningServer, tmp_path: Path) -> None:
    lines = (REPO_ROOT / "data" / "tasks.jsonl").read_text(encoding="utf-8").splitlines()
    tasks = [task for task in map(json.loads, lines) if task["task_id"] in TASK_IDS]
    assert [len(task["candidates"]) for task in tasks] == [3] * len(TASK_IDS)
    write_jsonl(tmp_path / "tasks.jsonl", tasks)
    env = {
        **os.environ,
        "ANALYZE_API_KEY": vllm_server.api_key,
        "ANALYZE_MAX_VERDICT_RETRIES": str(MAX_VERDICT_RETRIES),
        "ANALYZE_LANG": "en",
    }
    runs = []
    for seed in SEEDS:
        out = tmp_path / f"seed{seed}"
        cli(
            "run", str(tmp_path / "tasks.jsonl"), "-o", str(out), "--base-url", f"{vllm_server.base_url}/v1",
            "--seed", str(seed), "--temperature", str(TEMPERATURE), "--execute", "off", "--no-report",
            "--max-output-tokens", str(MAX_OUTPUT_TOKENS), "--concurrency", str(CONCURRENCY),
            env=env,
        )  # fmt: skip
        runs.append({r["task_id"]: r for r in read_jsonl(out / "results.jsonl")})
    both = sorted(set(runs[0]) & set(runs[1]))
    assert len(both) >= 2, "SmolLM2 must give a verdict on most tasks in both runs"

    printed = cli(
        "compare", str(tmp_path / "seed1"), str(tmp_path / "seed2"), "-o", str(tmp_path / "cmp"), env=env
    )
    summary = json.loads((tmp_path / "cmp" / "compare.json").read_text(encoding="utf-8"))
    (pair,) = summary["pairs"]
    print(figures_line(pair))
    assert (pair["a"], pair["b"], pair["tasks_common"]) == ("seed1", "seed2", len(both))
    assert summary["tasks"]["compared"] == len(both) and summary["tasks"]["changed"] == 0
    assert "seed1" in printed and "seed2" in printed

    # the per-task figures are the journals' own, recomputed here
    taus = [exact_kendall_tau(ranking(runs[0][t]), ranking(runs[1][t])) for t in both]
    assert pair["mean_task_kendall_tau"] == pytest.approx(sum(taus) / len(taus))
    same_best = [ranking(runs[0][t])[0] == ranking(runs[1][t])[0] for t in both]
    assert pair["top1_agreement"] == pytest.approx(sum(same_best) / len(both))
    assert pair["top1_chance"] == pytest.approx(1 / 3)
    # and every figure lies in its range
    for low, value, high in (
        ("leaderboard_kendall_tau_ci_low", "leaderboard_kendall_tau", "leaderboard_kendall_tau_ci_high"),
        ("mean_task_kendall_tau_ci_low", "mean_task_kendall_tau", "mean_task_kendall_tau_ci_high"),
    ):
        assert -1 <= pair[low] <= pair[high] <= 1 and -1 <= pair[value] <= 1
    assert pair["score_spearman"] and all(r is None or -1 <= r <= 1 for r in pair["score_spearman"].values())
    # a level only from MIN_AGREEMENT_TASKS tasks on: three tasks are too few to call
    assert pair["agreement"] == "too_few"

    # what was varied: the seed alone, and the page says so
    assert summary["settings"]["varied"] == ["seed"]
    assert summary["settings"]["runs"] == {"seed1": {"seed": 1}, "seed2": {"seed": 2}}
    assert summary["settings"]["same"]["temperature"] == TEMPERATURE
    cells = cells_of((tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8"))
    at = cells.index("seed (--seed)")  # the "What was varied" row: the setting, then each run's value
    assert cells[at : at + 3] == ["seed (--seed)", "1", "2"]
