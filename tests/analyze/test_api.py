"""The seed-shaped Python API: analyze_task and create_multi_vllm_client."""

from __future__ import annotations

from analyze import analyze_task, create_multi_vllm_client

from .judge_fakes import FakeJudgeServer, make_task


def test_analyze_task_returns_a_record(fake_judge: FakeJudgeServer) -> None:
    client = create_multi_vllm_client(ports=[fake_judge.port], host="127.0.0.1")
    record = analyze_task({**make_task("x"), "task_id": None, "id": "x"}, "fake-judge", client=client)
    assert record is not None and record["task_id"] == "x" and len(record["candidates"]) == 3
    assert fake_judge.models_reads == 1  # the judge target's one reading of /v1/models


def test_analyze_task_returns_none_for_an_invalid_task(fake_judge: FakeJudgeServer) -> None:
    client = create_multi_vllm_client(ports=[fake_judge.port], host="127.0.0.1")
    assert analyze_task({"id": "x", "problem": "p", "candidates": []}, "fake-judge", client=client) is None
    assert fake_judge.requests == []
