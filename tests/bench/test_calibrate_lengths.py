"""bench.calibrate_lengths: the fit recovers a known prompt:BASE:PER:SIGMA (drawn by the simulator's own
OutputLen), and the journals are joined per task and order, every attempt a point. No server: data only."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from analyze.journal.store import JsonlAppender
from vllm_sim.output_len import parse_output_len

from bench.calibrate_lengths import fit_lengths, main, points


def test_the_fit_recovers_the_distribution_the_points_were_drawn_from() -> None:
    truth = parse_output_len("prompt:-300:0.5:0.4")
    rng = random.Random(7)
    xs = [rng.uniform(800, 3000) for _ in range(400)]
    ys = [truth.draw(rng, round(x)) for x in xs]
    fit = fit_lengths(xs, ys)
    assert fit.per == pytest.approx(0.5, abs=0.06)
    assert fit.median(2000) == pytest.approx(truth.median(2000), rel=0.08)
    assert fit.sigma == pytest.approx(0.4, abs=0.05)


def test_too_few_points_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        fit_lengths([1000.0, 2000.0], [100.0, 200.0])


def _journal(path: Path, rows: list[tuple[str, int, list[tuple[str, int, list[int]]]]]) -> Path:
    with JsonlAppender(path, truncate=True) as out:  # written as analyze writes a journal
        for task_id, n, requests in rows:
            record = {
                "task_id": task_id,
                "candidates": [{} for _ in range(n)],
                "requests": [
                    {
                        "order": order,
                        "prompt_tokens": prompt,
                        "attempt_log": [{"completion_tokens": c} for c in completions],
                    }
                    for order, prompt, completions in requests
                ],
            }
            out.append(record)
    return path


def test_points_join_the_journals_per_task_and_order_and_scale_to_simulator_tokens(tmp_path: Path) -> None:
    real = _journal(tmp_path / "real.jsonl", [
        ("t1", 2, [("forward", 1000, [100, 300]), ("rotated", 1000, [200])]),
        ("t2", 3, [("forward", 500, [50])]),
        ("only-real", 2, [("forward", 900, [90])]),
    ])  # fmt: skip
    sim = _journal(tmp_path / "sim.jsonl", [
        ("t1", 2, [("forward", 1500, [1]), ("rotated", 1600, [1])]),
        ("t2", 3, [("forward", 250, [1])]),
    ])  # fmt: skip
    found = points(real, sim)
    got = sorted((p.task_id, p.candidates, p.prompt_tokens, p.completion_tokens) for p in found)
    assert got == [
        ("t1", 2, 1500.0, 150.0),
        ("t1", 2, 1500.0, 450.0),
        ("t1", 2, 1600.0, 320.0),
        ("t2", 3, 250.0, 25.0),
    ]


def test_main_prints_the_spec_and_refuses_journals_that_do_not_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = _journal(
        tmp_path / "real.jsonl", [(f"t{i}", 2, [("forward", 1000 + i, [100 + i])]) for i in range(5)]
    )
    sim = _journal(tmp_path / "sim.jsonl", [(f"t{i}", 2, [("forward", 1000 + i, [1])]) for i in range(5)])
    assert main([str(real), str(sim)]) == 0
    assert "--output-len prompt:" in capsys.readouterr().out
    other = _journal(tmp_path / "other.jsonl", [("x", 2, [("forward", 1000, [1])])])
    assert main([str(real), str(other)]) == 2
    assert "0 attempt(s) match" in capsys.readouterr().err
