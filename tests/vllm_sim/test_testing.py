"""The simulator as a real subprocess (the launcher other packages use), driven by the real openai client."""

import json
import time
import urllib.error
import urllib.request

import openai
import pytest
from vllm_sim.settings import CRASH_EXIT_CODE
from vllm_sim.testing import ServerStartError, run_simulator, simulator_command, start_simulator

MESSAGES = [{"role": "user", "content": "Rank candidates A and B."}]


def _post(base_url: str, body: dict) -> dict:
    req = urllib.request.Request(
        base_url + "/v1/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def _health(base_url: str) -> int:
    try:
        with urllib.request.urlopen(base_url + "/health", timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_run_simulator_serves_until_the_block_ends() -> None:
    with start_simulator(time_scale=0, name="vllm-9") as sim:
        assert _health(sim.base_url) == 200
        pid_process = sim.process
    assert pid_process.poll() is not None


def test_openai_client_non_streaming_and_streaming_with_usage() -> None:
    with run_simulator(time_scale=0, output_len="fixed:25", api_key="k", name="o") as base_url:
        client = openai.OpenAI(base_url=base_url + "/v1", api_key="k", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(model="sim-model", messages=MESSAGES)
        assert raw.headers["x-served-by"] == "o"
        done = raw.parse()
        assert done.usage.completion_tokens == 25 and done.choices[0].finish_reason == "stop"

        stream = client.chat.completions.create(
            model="sim-model",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=10,
        )
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert len(text) == 10 * 4
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
        assert chunks[-1].usage.completion_tokens == 10
        assert chunks[-1].usage.prompt_tokens == done.usage.prompt_tokens

        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=base_url + "/v1", api_key="bad", max_retries=0).chat.completions.create(
                model="sim-model", messages=MESSAGES
            )


def test_openai_client_sees_injected_errors_by_status() -> None:
    with run_simulator(time_scale=0, fail_429=1.0) as base_url:
        client = openai.OpenAI(base_url=base_url + "/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="sim-model", messages=MESSAGES)


def test_crash_after_exits_the_process() -> None:
    with start_simulator(time_scale=0, crash_after=2) as sim:
        for _ in range(2):
            assert _post(sim.base_url, {"messages": MESSAGES})["choices"]
        assert sim.process.wait(5) == CRASH_EXIT_CODE
        with pytest.raises(OSError):
            _post(sim.base_url, {"messages": MESSAGES})
        assert "crash-after 2" in sim.stderr_text()


def test_startup_delay_503_then_200() -> None:
    with start_simulator(time_scale=0, startup_delay=1.0, wait_ready=False) as sim:
        assert _health(sim.base_url) == 503
        statuses = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and 200 not in statuses:
            statuses.append(_health(sim.base_url))
            time.sleep(0.05)
        assert statuses[-1] == 200
        assert statuses[0] == 503


def test_same_seed_same_answers_across_processes() -> None:
    answers = []
    for _ in range(2):
        with run_simulator(time_scale=0, seed=11) as base_url:
            answers.append(_post(base_url, {"messages": MESSAGES})["choices"][0]["message"]["content"])
    assert answers[0] == answers[1]


def test_bad_flags_fail_fast_with_the_reason() -> None:
    with pytest.raises(ValueError, match="colour: not a simulator option"):
        simulator_command(1, {"colour": "red"})
    with pytest.raises(ServerStartError, match="max_num_seqs: must be > 0"), run_simulator(max_num_seqs=0):
        pass
