"""TaskJudge on the fake server: retries, invalid verdicts, context-length errors, swap, truncation."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from analyze.concurrency import FixedLimiter, OutcomeKind, RequestOutcome
from analyze.judge import JudgeConfig, TaskJudge, combined_ranks
from analyze.multi_vllm import BackendPool
from analyze.retry import Backoff
from analyze.tasks import Task, parse_record

from .judge_fakes import FakeJudgeServer, completion, error, fake_verdict, make_task

FAST = Backoff(0.001, 0.01, 0.01)


class RecordingLimiter(FixedLimiter):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.outcomes: list[RequestOutcome] = []

    def release(self, outcome: RequestOutcome) -> None:
        self.outcomes.append(outcome)
        super().release(outcome)


def judge_for(server: FakeJudgeServer, **config: Any) -> tuple[TaskJudge, RecordingLimiter]:
    limiter = RecordingLimiter(4)
    cfg = JudgeConfig(model="fake-judge", backoff=FAST, max_retries=3, max_verdict_retries=2, **config)
    return TaskJudge(BackendPool([server.base_url], cooldown_s=0.0), limiter, cfg, "run-1"), limiter


def task(n: int = 3, task_id: str = "t1") -> Task:
    return parse_record(make_task(task_id, n=n), line=5)


async def test_invalid_verdict_retried_then_recorded(fake_judge: FakeJudgeServer) -> None:
    def bad_ranking(body: dict[str, Any], _n: int) -> web.Response:
        verdict = fake_verdict(body)
        verdict["ranking"] = verdict["ranking"][:-1]
        return web.json_response(completion(json.dumps(verdict)))

    fake_judge.behaviour = bad_ranking
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert not result.ok
    assert result.record["kind"] == "invalid_verdict"
    assert "'ranking' is missing candidate(s)" in result.record["reason"]
    assert result.record["line"] == 5 and result.record["attempts"] == 3
    assert len(fake_judge.requests) == 3


async def test_invalid_verdict_then_valid_succeeds(fake_judge: FakeJudgeServer) -> None:
    fake_judge.behaviour = lambda _b, n: web.json_response(completion("not json")) if n == 1 else None
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert result.ok and result.record["requests"][0]["attempts"] == 2


async def test_context_length_error_not_retried(fake_judge: FakeJudgeServer) -> None:
    message = "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens."
    fake_judge.behaviour = lambda _b, _n: error(400, message)
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert not result.ok and result.record["kind"] == "context_length"
    assert "maximum context length" in result.record["reason"]
    assert len(fake_judge.requests) == 1


async def test_other_client_errors_not_retried(fake_judge: FakeJudgeServer) -> None:
    fake_judge.behaviour = lambda _b, _n: error(404, "model not found")
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert result.record["kind"] == "error" and len(fake_judge.requests) == 1


async def test_overload_retried_and_reported_to_limiter(fake_judge: FakeJudgeServer) -> None:
    fake_judge.behaviour = lambda _b, n: error(429, "busy", {"Retry-After": "0"}) if n <= 2 else None
    judge, limiter = judge_for(fake_judge)
    result = await judge.judge(task())
    assert result.ok and result.record["requests"][0]["attempts"] == 3
    assert [o.kind for o in limiter.outcomes] == [
        OutcomeKind.OVERLOADED,
        OutcomeKind.OVERLOADED,
        OutcomeKind.OK,
    ]


async def test_retries_exhausted_is_recorded(fake_judge: FakeJudgeServer) -> None:
    fake_judge.behaviour = lambda _b, _n: error(503, "down")
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert result.record["kind"] == "retries_exhausted"
    assert result.record["reason"].startswith("HTTP 503") and result.record["attempts"] == 4
    assert len(fake_judge.requests) == 4


async def test_swap_consistent_when_judge_ignores_position(fake_judge: FakeJudgeServer) -> None:
    judge, _ = judge_for(fake_judge, swap=True)
    result = await judge.judge(task(4))
    swap = result.record["swap"]
    assert result.ok and swap["position_consistent"] is True
    assert swap["forward_ranking"] == swap["reversed_ranking"]
    assert [r["order"] for r in result.record["requests"]] == ["forward", "reversed"]
    best = min(result.record["candidates"], key=lambda c: c["rank"])
    assert best["candidate_id"] == swap["forward_ranking"][0]


async def test_swap_inconsistent_when_judge_prefers_first_shown(fake_judge: FakeJudgeServer) -> None:
    fake_judge.by_position = True
    judge, _ = judge_for(fake_judge, swap=True)
    result = await judge.judge(task(3))
    swap = result.record["swap"]
    assert swap["position_consistent"] is False
    assert swap["reversed_ranking"] == list(reversed(swap["forward_ranking"]))
    # Averaged over both orders every candidate has the same mean position: ties go to the forward order.
    ranks = {c["candidate_id"]: c["rank"] for c in result.record["candidates"]}
    assert [cid for cid, _ in sorted(ranks.items(), key=lambda kv: kv[1])] == swap["forward_ranking"]


async def test_swap_averages_scores(fake_judge: FakeJudgeServer) -> None:
    def first_shown_scores_ten(body: dict[str, Any], _n: int) -> web.Response:
        verdict = fake_verdict(body)
        for i, card in enumerate(verdict["scores"].values()):
            card.update({k: (10 if i == 0 else 2) for k in card})
        return web.json_response(completion(json.dumps(verdict)))

    fake_judge.behaviour = first_shown_scores_ten
    judge, _ = judge_for(fake_judge, swap=True)
    result = await judge.judge(task(2))
    assert sorted(c["scores"]["overall"] for c in result.record["candidates"]) == [6.0, 6.0]


async def test_truncated_candidate_flagged_in_result(fake_judge: FakeJudgeServer) -> None:
    record = make_task("long", n=2)
    record["candidates"][1]["code"] = "value = compute()\n" * 4000
    judge, _ = judge_for(fake_judge, max_input_tokens=1500)
    result = await judge.judge(parse_record(record, line=1))
    flags = {c["candidate_id"]: c["truncated"] for c in result.record["candidates"]}
    assert flags == {"c0": False, "c1": True}


def test_combined_ranks_by_mean_position() -> None:
    assert combined_ranks([["a", "b", "c"], ["b", "a", "c"]]) == {"a": 1, "b": 2, "c": 3}
    assert combined_ranks([["a", "b", "c"], ["c", "b", "a"]]) == {"a": 1, "b": 2, "c": 3}
    assert combined_ranks([["a", "b", "c"], ["b", "c", "a"]]) == {"b": 1, "a": 2, "c": 3}


def test_backend_label_prefers_served_by_then_nginx_upstream_then_url() -> None:
    from analyze.judge import served_by

    assert served_by({"x-served-by": "vllm-2", "x-upstream-addr": "10.0.0.2:8000"}, "http://n/v1") == "vllm-2"
    assert served_by({"x-upstream-addr": "10.0.0.2:8000"}, "http://n/v1") == "10.0.0.2:8000"
    assert served_by({}, "http://n/v1") == "http://n/v1"


async def test_without_structured_output_the_extractor_reads_prose(fake_judge: FakeJudgeServer) -> None:
    def prose(body: dict[str, Any], _n: int) -> web.Response:
        assert "response_format" not in body
        return web.json_response(completion("Verdict:\n```json\n" + json.dumps(fake_verdict(body)) + "\n```"))

    fake_judge.behaviour = prose
    judge, _ = judge_for(fake_judge, structured_output=False)
    result = await judge.judge(task())
    assert result.ok, result.record


async def test_invalid_verdict_reason_says_when_the_reply_was_cut_at_max_tokens(
    fake_judge: FakeJudgeServer,
) -> None:
    def cut(body: dict[str, Any], _n: int) -> web.Response:
        reply = completion(json.dumps(fake_verdict(body))[:40])
        reply["choices"][0]["finish_reason"] = "length"
        return web.json_response(reply)

    fake_judge.behaviour = cut
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    await judge.aclose()
    assert result.record["kind"] == "invalid_verdict"
    assert "cut at max_tokens" in result.record["reason"]
