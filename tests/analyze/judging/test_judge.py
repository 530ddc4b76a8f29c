"""TaskJudge on the scripted fake server (stand-in: tests/analyze/judge_fakes.py, no model).

Every branch of a request's life: transport retries, a cut reply retried with more room or tighter bounds,
an invalid reply retried with a repair turn, a ranking that contradicts its scores, --swap's rotation,
and the token budget derived from the server's context.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiohttp import web
from analyze.constants import OVERALL
from analyze.fleet.concurrency import FixedLimiter, OutcomeKind, RequestOutcome
from analyze.fleet.multi_vllm import BackendPool
from analyze.inputs.tasks import Task, parse_record
from analyze.judging.judge import TaskJudge
from analyze.judging.ranking import agrees_with_scores
from analyze.judging.request import JudgeTarget
from analyze.settings import Settings

from tests.analyze.judge_fakes import (
    FakeJudgeServer,
    completion,
    error,
    fake_verdict,
    make_task,
    shown_candidates,
)


class RecordingLimiter(FixedLimiter):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.outcomes: list[RequestOutcome] = []

    def release(self, outcome: RequestOutcome) -> None:
        self.outcomes.append(outcome)
        super().release(outcome)


def judge_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "backoff_base_s": 0.001,
        "backoff_max_s": 0.01,
        "retry_after_max_s": 0.01,
        "max_retries": 3,
        "max_verdict_retries": 2,
        **overrides,
    }
    return Settings.model_validate(values)


def judge_for(
    server: FakeJudgeServer, *, max_model_len: int | None = None, **overrides: Any
) -> tuple[TaskJudge, RecordingLimiter]:
    limiter = RecordingLimiter(4)
    target = JudgeTarget("fake-judge", max_model_len)
    pool = BackendPool([server.base_url], cooldown_s=0.0)
    return TaskJudge(pool, limiter, judge_settings(**overrides), target, "run-1", fingerprint="fp-1"), limiter


def task(n: int = 3, task_id: str = "t1") -> Task:
    return parse_record(make_task(task_id, n=n), line=5)


def reply(body: dict[str, Any], verdict: dict[str, Any], **usage: Any) -> web.Response:
    return web.json_response(completion(json.dumps(verdict), **usage))


def attempt_log(record: dict[str, Any], request: int = 0) -> list[dict[str, Any]]:
    return record["requests"][request]["attempt_log"]


def assert_never_resent_after_a_reply(server: FakeJudgeServer) -> None:
    bodies = [json.dumps(body, sort_keys=True) for body in server.requests]
    assert len(set(bodies)) == len(bodies), "a request was sent again byte for byte after its reply"


def assert_ranks_follow_overall(record: dict[str, Any]) -> None:
    ranks = sorted(c["rank"] for c in record["candidates"])
    assert ranks == list(range(1, len(record["candidates"]) + 1))
    by_rank = sorted(record["candidates"], key=lambda c: c["rank"])
    overall = {c["candidate_id"]: c["scores"][OVERALL] for c in record["candidates"]}
    assert agrees_with_scores([c["candidate_id"] for c in by_rank], overall)


# --- invalid replies: a repair turn, never the same bytes -------------------------------------------


async def test_invalid_verdict_retried_with_repair_turns_then_recorded(fake_judge: FakeJudgeServer) -> None:
    fake_judge.behaviour = lambda _b, _n: web.json_response(completion("not json"))
    judge, _ = judge_for(fake_judge)
    before = time.time()
    result = await judge.judge(task())
    assert not result.ok
    assert result.record["kind"] == "invalid_verdict"
    assert "holds no JSON object" in result.record["reason"]
    # timed like a verdict: a run's span (a benchmark's makespan) counts its failed tasks too
    assert before <= result.record["started_at"] <= result.record["finished_at"] <= time.time()
    assert result.record["line"] == 5 and result.record["attempts"] == 3
    assert len(fake_judge.requests) == 3
    assert_never_resent_after_a_reply(fake_judge)
    # The retry quotes the reply and the error in a follow-up turn.
    second = fake_judge.requests[1]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"] == "not json" and "holds no JSON object" in second[3]["content"]
    log = attempt_log(result.record)
    assert [e["outcome"] for e in log] == ["invalid", "invalid", "invalid"]
    assert log[0]["changed"] == {} and log[0]["why"] is None
    assert log[1]["changed"]["repair_turn"] == [False, True] and "repair turn" in log[1]["why"]
    assert log[1]["changed"]["seed"] == [0, 1]
    # Greedy at first; the third attempt samples at the retry temperature.
    assert [b["temperature"] for b in fake_judge.requests] == [0.0, 0.0, 0.3]
    assert log[2]["changed"]["temperature"] == [0.0, 0.3]


async def test_invalid_verdict_then_valid_succeeds(fake_judge: FakeJudgeServer) -> None:
    fake_judge.behaviour = lambda _b, n: web.json_response(completion("not json")) if n == 1 else None
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert result.ok
    request = result.record["requests"][0]
    assert request["attempts"] == 2
    assert [e["outcome"] for e in request["attempt_log"]] == ["invalid", "ok"]
    assert result.record["fingerprint"] == "fp-1"


# --- cut at max_tokens: more room or tighter bounds -------------------------------------------------


async def test_length_cut_then_a_retry_with_tighter_bounds_and_a_penalty(fake_judge: FakeJudgeServer) -> None:
    def cut_first(body: dict[str, Any], n: int) -> web.Response | None:
        if n > 1:
            return None
        text = json.dumps(fake_verdict(body))[:40]
        done = completion(text, finish_reason="length", completion_tokens=body["max_tokens"])
        return web.json_response(done)

    fake_judge.behaviour = cut_first
    judge, _ = judge_for(fake_judge, max_model_len=16384)
    result = await judge.judge(task())
    assert result.ok, result.record
    first, second = fake_judge.requests
    assert "frequency_penalty" not in first and second["frequency_penalty"] == 0.5
    assert second["max_tokens"] < first["max_tokens"] and second["seed"] != first["seed"]
    text_limit = lambda body: body["response_format"]["json_schema"]["schema"]["properties"]["rationale"]  # noqa: E731
    assert text_limit(second)["maxLength"] < text_limit(first)["maxLength"]
    log = attempt_log(result.record)
    assert log[0]["outcome"] == "length" and log[0]["finish_reason"] == "length"
    assert log[0]["reply_tail"] == json.dumps(fake_verdict(first))[:40][-120:]
    assert {"max_tokens", "bounds", "frequency_penalty", "seed"} <= set(log[1]["changed"])
    assert "cut at max_tokens" in log[1]["why"]
    assert_never_resent_after_a_reply(fake_judge)


async def test_length_cut_by_a_short_context_retries_with_the_measured_prompt(
    fake_judge: FakeJudgeServer,
) -> None:
    """The server counted the prompt larger than estimated and stopped early: budget with its count."""

    def short_context(body: dict[str, Any], n: int) -> web.Response | None:
        if n > 1:
            return None
        done = completion("{", finish_reason="length", prompt_tokens=3000, completion_tokens=10)
        return web.json_response(done)

    fake_judge.behaviour = short_context
    judge, _ = judge_for(fake_judge, max_model_len=6000)
    result = await judge.judge(task())
    assert result.ok, result.record
    log = attempt_log(result.record)
    assert log[1]["prompt_tokens_estimate"] > log[0]["prompt_tokens_estimate"]
    assert log[1]["prompt_tokens_estimate"] >= 3000
    assert log[1]["max_tokens"] <= 6000 - 3000
    assert "counted the prompt as 3000 tokens" in log[1]["why"]


async def test_a_reply_cut_every_time_fails_naming_the_cut(fake_judge: FakeJudgeServer) -> None:
    def cut(body: dict[str, Any], _n: int) -> web.Response:
        text = json.dumps(fake_verdict(body))[:40]
        return web.json_response(
            completion(text, finish_reason="length", completion_tokens=body["max_tokens"])
        )

    fake_judge.behaviour = cut
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    await judge.aclose()
    assert result.record["kind"] == "invalid_verdict"
    assert "cut at max_tokens" in result.record["reason"]
    assert_never_resent_after_a_reply(fake_judge)
    # Each retry tightened further: max_tokens strictly falls.
    sizes = [body["max_tokens"] for body in fake_judge.requests]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)


# --- transport errors: the same bytes after a backoff (there was no reply) ---------------------------


async def test_context_length_error_not_retried(fake_judge: FakeJudgeServer) -> None:
    message = "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens."
    fake_judge.behaviour = lambda _b, _n: error(400, message)
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert not result.ok and result.record["kind"] == "context_length"
    assert "maximum context length" in result.record["reason"]
    assert len(fake_judge.requests) == 1
    assert attempt_log(result.record)[0]["outcome"] == "no_reply"


async def test_other_client_errors_not_retried(fake_judge: FakeJudgeServer) -> None:
    fake_judge.behaviour = lambda _b, _n: error(404, "model not found")
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert result.record["kind"] == "error" and len(fake_judge.requests) == 1


async def test_overload_retried_with_the_same_request_and_reported_to_limiter(
    fake_judge: FakeJudgeServer,
) -> None:
    fake_judge.behaviour = lambda _b, n: error(429, "busy", {"Retry-After": "0"}) if n <= 2 else None
    judge, limiter = judge_for(fake_judge)
    result = await judge.judge(task())
    assert result.ok and result.record["requests"][0]["attempts"] == 3
    assert [o.kind for o in limiter.outcomes] == [
        OutcomeKind.OVERLOADED,
        OutcomeKind.OVERLOADED,
        OutcomeKind.OK,
    ]
    log = attempt_log(result.record)
    assert [e["outcome"] for e in log] == ["no_reply", "no_reply", "ok"]
    assert len({e["request_digest"] for e in log}) == 1
    assert log[1]["changed"] == {} and "no reply" in log[1]["why"]


async def test_retries_exhausted_is_recorded(fake_judge: FakeJudgeServer) -> None:
    fake_judge.behaviour = lambda _b, _n: error(503, "down")
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task())
    assert result.record["kind"] == "retries_exhausted"
    assert result.record["reason"].startswith("HTTP 503") and result.record["attempts"] == 4
    assert len(fake_judge.requests) == 4
    (request,) = result.record["requests"]
    assert request["backend"] == fake_judge.base_url and len(request["attempt_log"]) == 4


# --- rankings: always a permutation that agrees with the overall scores -----------------------------


async def test_a_ranking_contradicting_the_scores_is_rebuilt_and_recorded(
    fake_judge: FakeJudgeServer,
) -> None:
    def contradict(body: dict[str, Any], _n: int) -> web.Response:
        verdict = fake_verdict(body)
        labels = [label for label, _ in shown_candidates(body)]
        for i, label in enumerate(labels):  # A 4.5, B 7.5, C 2: the model still says A, B, C
            verdict["scores"][label]["overall"] = (4.5, 7.5, 2)[i]
        verdict["ranking"] = labels
        return reply(body, verdict)

    fake_judge.behaviour = contradict
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task(3))
    assert result.ok and result.record["ranking_repaired"] is True
    assert_ranks_follow_overall(result.record)
    repair = result.record["requests"][0]["ranking_repair"]
    assert "puts A (overall 4.5) above B (overall 7.5)" in repair["reason"]
    by_label = {c["label"]: c["candidate_id"] for c in result.record["candidates"]}
    assert repair["model_ranking"] == [by_label["A"], by_label["B"], by_label["C"]]
    assert len(fake_judge.requests) == 1  # repaired by construction: no extra request


async def test_equal_scores_keep_the_models_order(fake_judge: FakeJudgeServer) -> None:
    def all_ones(body: dict[str, Any], _n: int) -> web.Response:
        verdict = fake_verdict(body)
        for card in verdict["scores"].values():
            card.update(dict.fromkeys(card, 1))
        verdict["ranking"] = ["C", "A", "B"]
        return reply(body, verdict)

    fake_judge.behaviour = all_ones
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task(3))
    by_rank = sorted(result.record["candidates"], key=lambda c: c["rank"])
    assert [c["label"] for c in by_rank] == ["C", "A", "B"]
    assert result.record["ranking_repaired"] is False
    assert result.record["requests"][0]["ranking_repair"] is None


@pytest.mark.parametrize("n", [2, 5, 6, 10])
async def test_any_number_of_candidates_is_judged_with_a_bounded_schema(
    fake_judge: FakeJudgeServer, n: int
) -> None:
    judge, _ = judge_for(fake_judge, max_model_len=32768)
    result = await judge.judge(task(n))
    assert result.ok, result.record
    assert len(result.record["candidates"]) == n
    assert_ranks_follow_overall(result.record)
    (body,) = fake_judge.requests
    schema = body["response_format"]["json_schema"]["schema"]
    assert list(schema["properties"]) == ["issues", "rationale", "scores", "ranking"]
    assert list(schema["properties"]["scores"]["properties"]) == [chr(65 + i) for i in range(n)]
    assert result.record["requests"][0]["max_tokens"] == body["max_tokens"]


async def test_a_ranking_that_repeats_a_label_for_seven_candidates_is_repaired(
    fake_judge: FakeJudgeServer,
) -> None:
    def repeat(body: dict[str, Any], _n: int) -> web.Response:
        verdict = fake_verdict(body)
        verdict["ranking"] = ["A"] * len(verdict["ranking"])
        return reply(body, verdict)

    fake_judge.behaviour = repeat
    judge, _ = judge_for(fake_judge)
    result = await judge.judge(task(7))
    assert result.ok and result.record["ranking_repaired"] is True
    assert "repeats A" in result.record["requests"][0]["ranking_repair"]["reason"]
    assert_ranks_follow_overall(result.record)


# --- --swap: a rotation moves every candidate ---------------------------------------------------------


@pytest.mark.parametrize("n", [3, 5])
async def test_swap_moves_every_candidate_for_odd_n(fake_judge: FakeJudgeServer, n: int) -> None:
    judge, _ = judge_for(fake_judge, swap=True)
    result = await judge.judge(task(n))
    swap = result.record["swap"]
    assert result.ok and swap["orders"] == ["forward", "rotated"]
    assert set(swap["positions"]) == {f"c{i}" for i in range(n)}
    assert all(first != second for first, second in swap["positions"].values())
    assert sorted(second for _, second in swap["positions"].values()) == list(range(n))
    forward = {c["candidate_id"]: c["position"] for c in result.record["candidates"]}
    assert {cid: p[0] for cid, p in swap["positions"].items()} == forward
    # The fake ignores positions: both passes agree completely.
    assert swap["kendall_tau"] == 1.0 and swap["top1_agree"] is True
    assert swap["rankings"][0] == swap["rankings"][1]
    assert [r["order"] for r in result.record["requests"]] == ["forward", "rotated"]


async def test_swap_exposes_a_judge_that_prefers_the_first_shown(fake_judge: FakeJudgeServer) -> None:
    fake_judge.by_position = True
    judge, _ = judge_for(fake_judge, swap=True)
    result = await judge.judge(task(3))
    swap = result.record["swap"]
    assert swap["top1_agree"] is False and swap["kendall_tau"] < 1.0
    # Each pass ranks by shown position, so each ranking lists candidates in that pass's shown order.
    for ranking, pass_index in zip(swap["rankings"], (0, 1), strict=True):
        assert ranking == sorted(ranking, key=lambda cid: swap["positions"][cid][pass_index])
    assert_ranks_follow_overall(result.record)


async def test_swap_merges_issues_without_double_counting(fake_judge: FakeJudgeServer) -> None:
    def same_issue_for_c0(body: dict[str, Any], _n: int) -> web.Response:
        verdict = fake_verdict(body)
        label_of = {code.split("# ")[0]: label for label, code in shown_candidates(body)}
        for issues in verdict["issues"].values():
            issues.clear()
        c0 = label_of[make_task("t1", n=3)["candidates"][0]["code"].split("# ")[0]]
        verdict["issues"][c0] = [
            {"category": "robustness", "severity": "high", "text": "crashes on empty input"},
            {"category": "style", "severity": "low", "text": "long lines"},
        ]
        return reply(body, verdict)

    fake_judge.behaviour = same_issue_for_c0
    judge, _ = judge_for(fake_judge, swap=True)
    result = await judge.judge(task(3))
    assert result.ok
    issues = [(i["candidate_id"], i["category"], i["text"]) for i in result.record["issues"]]
    assert sorted(issues) == [("c0", "robustness", "crashes on empty input"), ("c0", "style", "long lines")]


async def test_swap_averages_scores(fake_judge: FakeJudgeServer) -> None:
    def first_shown_scores_ten(body: dict[str, Any], _n: int) -> web.Response:
        verdict = fake_verdict(body)
        for i, card in enumerate(verdict["scores"].values()):
            card.update({k: (10 if i == 0 else 2) for k in card})
        verdict["ranking"] = list(verdict["scores"])
        return reply(body, verdict)

    fake_judge.behaviour = first_shown_scores_ten
    judge, _ = judge_for(fake_judge, swap=True)
    result = await judge.judge(task(2))
    assert sorted(c["scores"]["overall"] for c in result.record["candidates"]) == [6.0, 6.0]
    assert_ranks_follow_overall(result.record)


# --- the token budget -------------------------------------------------------------------------------


async def test_max_tokens_comes_from_the_servers_context_minus_the_prompt(
    fake_judge: FakeJudgeServer,
) -> None:
    from analyze.judging.budget import max_tokens_for_schema

    judge, _ = judge_for(fake_judge, max_model_len=4096)
    result = await judge.judge(task(6))
    assert result.ok, result.record
    (body,) = fake_judge.requests
    schema = body["response_format"]["json_schema"]["schema"]
    assert body["max_tokens"] == max_tokens_for_schema(schema)
    log = attempt_log(result.record)[0]
    assert log["prompt_tokens_estimate"] + body["max_tokens"] <= 4096
    # Six candidates in 4096 tokens cannot have the preferred bounds: they were tightened to fit.
    assert log["bounds"]["issue_text_chars"] < 240
    text = schema["properties"]["issues"]["properties"]["A"]["items"]["properties"]["text"]
    assert text["maxLength"] == log["bounds"]["issue_text_chars"]
    assert f"at most {log['bounds']['issue_text_chars']} characters" in body["messages"][1]["content"]


async def test_too_many_candidates_for_the_context_fail_with_a_clear_reason(
    fake_judge: FakeJudgeServer,
) -> None:
    judge, _ = judge_for(fake_judge, max_model_len=2048)
    result = await judge.judge(task(10))
    assert not result.ok and result.record["kind"] == "context_length"
    assert "10 candidates need at least" in result.record["reason"]
    assert fake_judge.requests == []


# --- other behaviour ----------------------------------------------------------------------------------


async def test_truncated_candidate_flagged_in_result(fake_judge: FakeJudgeServer) -> None:
    record = make_task("long", n=2)
    record["candidates"][1]["code"] = "value = compute()\n" * 4000
    judge, _ = judge_for(fake_judge, max_input_tokens=1500)
    result = await judge.judge(parse_record(record, line=1))
    flags = {c["candidate_id"]: c["truncated"] for c in result.record["candidates"]}
    assert flags == {"c0": False, "c1": True}


def test_backend_label_prefers_served_by_then_nginx_upstream_then_url() -> None:
    from analyze.judging.judge import served_by

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


# --- X-Session-ID: one per task, so a session-keyed balancer keeps a task on one instance -------------


async def test_every_request_of_a_task_carries_its_session_id_and_tasks_differ(
    fake_judge: FakeJudgeServer,
) -> None:
    # Each task's first reply is invalid: a retry is sent too, and both passes of --swap.
    def first_invalid(_body: dict[str, Any], _n: int) -> web.Response | None:
        if fake_judge.sessions[1:]:
            return None
        return web.json_response(completion("not json"))

    fake_judge.behaviour = first_invalid
    judge, _ = judge_for(fake_judge, swap=True)
    hostile = 'id with spaces, "quotes", \r\nX-Injected: 1 and 中文' * 40
    sessions = []
    for task_id in ("t1", "t2", hostile):
        fake_judge.sessions.clear()
        result = await judge.judge(task(3, task_id=task_id))
        assert result.ok
        assert [r["order"] for r in result.record["requests"]] == ["forward", "rotated"]
        assert len(fake_judge.sessions) == 3  # the invalid reply's retry, then the rotated pass
        assert len(set(fake_judge.sessions)) == 1, fake_judge.sessions
        sessions.append(fake_judge.sessions[0])
    assert len(set(sessions)) == 3
    # A hash, never the id: 16 hex digits whatever the id holds (a header carries no input).
    assert all(s is not None and len(s) == 16 and set(s) <= set("0123456789abcdef") for s in sessions)
    assert sessions[0] not in "t1" and "X-Injected" not in sessions[2]
