import json

import jsonschema
from vllm_sim.chat_request import parse_chat_request
from vllm_sim.completion import make_completion
from vllm_sim.settings import SimConfig
from vllm_sim.tokens import count_tokens

SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "minLength": 40}, "score": {"type": "integer"}},
    "required": ["verdict", "score"],
    "additionalProperties": False,
}


def _request(**extra: object):
    return parse_chat_request(
        {"messages": [{"role": "user", "content": "prompt text"}], **extra}, "sim-model"
    )


def test_text_length_is_drawn_and_stops() -> None:
    done = make_completion(SimConfig().updated({"output_len": "fixed:12"}), _request())
    assert (done.tokens, done.finish_reason, count_tokens(done.content)) == (12, "stop", 12)


def test_max_tokens_caps_the_length() -> None:
    done = make_completion(SimConfig().updated({"output_len": "fixed:50"}), _request(max_tokens=7))
    assert (done.tokens, done.finish_reason, count_tokens(done.content)) == (7, "length", 7)


def test_without_max_tokens_the_context_left_caps_it() -> None:
    config = SimConfig().updated({"output_len": "fixed:500", "max_model_len": 100})
    done = make_completion(config, _request())
    assert done.tokens == 100 - _request().prompt_tokens
    assert done.finish_reason == "length"


def test_schema_output_is_valid_json_and_counted() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "v", "schema": SCHEMA}}
    done = make_completion(SimConfig(), _request(response_format=fmt))
    jsonschema.validate(json.loads(done.content), SCHEMA)
    assert (done.tokens, done.finish_reason) == (count_tokens(done.content), "stop")


def test_schema_output_takes_the_drawn_length_when_longer_and_stays_valid() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "v", "schema": SCHEMA}}
    long = make_completion(SimConfig().updated({"output_len": "fixed:400"}), _request(response_format=fmt))
    jsonschema.validate(json.loads(long.content), SCHEMA)
    assert (long.tokens, long.finish_reason, count_tokens(long.content)) == (400, "stop", 400)
    short = make_completion(SimConfig().updated({"output_len": "fixed:1"}), _request(response_format=fmt))
    assert short.tokens == count_tokens(short.content) < 400  # never shorter than the JSON itself
    assert json.loads(short.content) == json.loads(long.content)  # same answer, only the length differs
    capped = make_completion(
        SimConfig().updated({"output_len": "fixed:400"}), _request(response_format=fmt, max_tokens=60)
    )
    assert capped.tokens == 60 and capped.finish_reason == "stop"
    jsonschema.validate(json.loads(capped.content), SCHEMA)


def test_schema_output_below_max_tokens_is_cut_with_length() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "v", "schema": SCHEMA}}
    done = make_completion(SimConfig(), _request(response_format=fmt, max_tokens=3))
    assert (done.tokens, done.finish_reason, len(done.content)) == (3, "length", 12)


def test_same_seed_and_prompt_same_answer_different_seed_different_answer() -> None:
    config = SimConfig()
    assert make_completion(config, _request()) == make_completion(config, _request())
    assert make_completion(config, _request()) != make_completion(config.updated({"seed": 1}), _request())
    assert make_completion(config, _request()) != make_completion(config, _request(seed=5))


def test_prompt_dependent_length_follows_the_prompt_for_schema_answers() -> None:
    # a verdict grows with its task: prompt:BASE:PER:SIGMA draws around BASE + PER x prompt tokens
    fmt = {"type": "json_schema", "json_schema": {"name": "v", "schema": SCHEMA}}
    config = SimConfig().updated({"output_len": "prompt:100:1.0:0"})  # sigma 0: exactly the median

    def answer(words: int):
        messages = [{"role": "user", "content": "code " * words}]
        return make_completion(
            config, parse_chat_request({"messages": messages, "response_format": fmt}, "m")
        )

    short, long = answer(50), answer(1000)
    assert short.tokens == 100 + _prompt_tokens(50) and long.tokens == 100 + _prompt_tokens(1000)
    jsonschema.validate(json.loads(long.content), SCHEMA)


def _prompt_tokens(words: int) -> int:
    return parse_chat_request({"messages": [{"role": "user", "content": "code " * words}]}, "m").prompt_tokens
