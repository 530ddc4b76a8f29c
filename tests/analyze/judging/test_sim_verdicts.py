"""On the simulator (stand-in for vLLM: JSON drawn from the request's schema, random scores and rankings),
tasks of 10 candidates are judged like tasks of 3: every one at the first attempt, within the server's
context, with a ranking that agrees with its scores; --swap moves every candidate."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from analyze.constants import OVERALL
from analyze.judging.ranking import agrees_with_scores
from analyze.pipeline import execute_pipeline
from analyze.progress import Console
from vllm_sim.testing import run_simulator

from tests.analyze.judge_fakes import fast_settings, make_task, read_jsonl, write_jsonl

SIZES = (2, 3, 5, 6, 10)
TASKS_PER_SIZE = 8
SIM_CONTEXT = 8192


def test_ten_candidates_are_judged_like_three(tmp_path: Path) -> None:
    tasks = [make_task(f"n{n}-{i}", n=n) for n in SIZES for i in range(TASKS_PER_SIZE)]
    write_jsonl(tmp_path / "tasks.jsonl", tasks)
    with run_simulator(name="sim", time_scale=0, max_model_len=SIM_CONTEXT, output_len="fixed:50") as url:
        settings = fast_settings(tmp_path, [url + "/v1"], swap=True)
        outcome = execute_pipeline(settings, console=Console("en", stream=io.StringIO()), report=False)
    assert outcome.stats.failed == 0, read_jsonl(tmp_path / "out" / "failures.jsonl")
    results = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert len(results) == len(tasks)

    attempts_by_size: dict[int, list[int]] = defaultdict(list)
    repaired_by_size: dict[int, int] = defaultdict(int)
    for record in results:
        n = len(record["candidates"])
        by_rank = sorted(record["candidates"], key=lambda c: c["rank"])
        assert [c["rank"] for c in by_rank] == list(range(1, n + 1))
        overall = {c["candidate_id"]: c["scores"][OVERALL] for c in record["candidates"]}
        assert agrees_with_scores([c["candidate_id"] for c in by_rank], overall)
        swap = record["swap"]
        assert all(first != second for first, second in swap["positions"].values())
        assert -1.0 <= swap["kendall_tau"] <= 1.0
        for request in record["requests"]:
            attempts_by_size[n].append(request["attempts"])
            assert request["prompt_tokens"] + request["max_tokens"] <= SIM_CONTEXT
            assert request["finish_reason"] == "stop"
            # The simulator's random ranking rarely matches its random scores: repaired, and said so.
            repaired_by_size[n] += request["ranking_repair"] is not None
    assert set(attempts_by_size) == set(SIZES)
    assert all(a == [1] * (2 * TASKS_PER_SIZE) for a in attempts_by_size.values()), attempts_by_size
    assert repaired_by_size[10] > 0
