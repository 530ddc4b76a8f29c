"""nginx/entrypoint.sh and its config, run with the local nginx binary against stub backends."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from vllm_sim.testing import free_port

from bench.harness.nginx import nginx_env

from .stack_helpers import NGINX_DIR, UNGUARDED_VLLM_PATHS, StubBackend, local_nginx, request, wait_for


@pytest.fixture
def backends() -> Iterator[list[StubBackend]]:
    started = [StubBackend(f"b{i}").start() for i in range(1, 4)]
    yield started
    for backend in started:
        backend.stop()


def render(tmp_path, upstreams: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    tmp_path.chmod(0o755)
    env = nginx_env(tmp_path, upstreams, **settings)
    return subprocess.run(
        [str(NGINX_DIR / "entrypoint.sh"), "render"], env=env, capture_output=True, text=True
    )


def served_by(port: int, n: int, method: str = "POST") -> Counter[str]:
    counts: Counter[str] = Counter()
    for _ in range(n):
        reply = request(port, method, "/v1/chat/completions", body=b'{"messages": []}')
        assert reply.status == 200, reply
        counts[reply.json()["served_by"]] += 1
    return counts


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("LB_POLICY", "random", "LB_POLICY='random': expected round_robin or least_conn"),
        ("UPSTREAM_SERVERS", "vllm-1", "UPSTREAM_SERVERS entry 'vllm-1': expected host:port"),
        ("UPSTREAM_SERVERS", "vllm-1:http", "port"),
        ("UPSTREAM_SERVERS", " , ", "UPSTREAM_SERVERS is empty"),
        ("NGINX_FAIL_TIMEOUT", "ten", "NGINX_FAIL_TIMEOUT='ten'"),
        ("NGINX_PORT", "80a", "NGINX_PORT='80a'"),
        ("NGINX_CLIENT_MAX_BODY_SIZE", "lots", "NGINX_CLIENT_MAX_BODY_SIZE='lots'"),
    ],
)
def test_render_rejects_bad_settings_naming_the_variable(
    tmp_path, setting: str, value: str, message: str
) -> None:
    result = render(tmp_path, ["a:1"], **{setting: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_rendered_config_passes_nginx_t_for_any_fleet_size_and_policy(tmp_path) -> None:
    for policy in ("round_robin", "least_conn"):
        upstreams = [f"vllm-{i}:8000" for i in range(1, 9)]
        result = render(tmp_path, [",".join(upstreams)], LB_POLICY=policy, NGINX_PORT=str(free_port()))
        assert result.returncode == 0, result.stderr
        conf = tmp_path / "nginx.conf"
        text = conf.read_text()
        assert text.count("server unix:") == 8
        assert ("least_conn;" in text) == (policy == "least_conn")
        assert '"vllm-8:8000"' in text
        check = subprocess.run(
            ["nginx", "-t", "-q", "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr


def test_round_robin_spreads_evenly_and_names_the_instance(backends: list[StubBackend]) -> None:
    with local_nginx([b.addr for b in backends]) as nginx:
        counts = served_by(nginx.port, 30)
        assert counts == {"b1": 10, "b2": 10, "b3": 10}
        reply = request(nginx.port, "POST", "/v1/completions", body=b"{}")
        by_name = {b.name: b.addr for b in backends}
        assert reply.headers["x-upstream-addr"] == by_name[reply.json()["served_by"]]
        assert "served_by=" in nginx.log()


def test_least_conn_avoids_the_busy_instance(backends: list[StubBackend]) -> None:
    with local_nginx([b.addr for b in backends[:2]], LB_POLICY="least_conn") as nginx:
        # Park one request on b1 or b2; then every new request must go to the other one.
        held = threading.Thread(target=request, args=(nginx.port, "GET", "/v1/hold"), daemon=True)
        held.start()
        wait_for(lambda: sum(b.hits for b in backends[:2]) == 1, 10, "the held request to arrive")
        holder = next(b for b in backends[:2] if b.hits == 1)
        other = next(b for b in backends[:2] if b is not holder)
        counts = served_by(nginx.port, 10)
        for b in backends:
            b.hold.set()
        held.join(10)
        assert counts == {other.name: 10}


def test_round_robin_ignores_load(backends: list[StubBackend]) -> None:
    with local_nginx([b.addr for b in backends[:2]]) as nginx:
        held = threading.Thread(target=request, args=(nginx.port, "GET", "/v1/hold"), daemon=True)
        held.start()
        wait_for(lambda: sum(b.hits for b in backends[:2]) == 1, 10, "the held request to arrive")
        counts = served_by(nginx.port, 10)
        for b in backends:
            b.hold.set()
        held.join(10)
        assert sorted(counts.values()) == [5, 5]


def test_posts_fail_over_from_503_refused_and_unresolvable_instances(backends: list[StubBackend]) -> None:
    failing, healthy, _ = backends
    failing.status = 503
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    upstreams = [failing.addr, dead, "no-such-instance.invalid:8000", healthy.addr]
    with local_nginx(
        upstreams, NGINX_RESOLVER_TIMEOUT="1s", NGINX_MAX_FAILS="1", NGINX_FAIL_TIMEOUT="60s"
    ) as nginx:
        counts = served_by(nginx.port, 12)
        assert counts == {"b2": 12}
        # max_fails=1: the 503 instance was tried once, then left alone for fail_timeout.
        assert failing.hits == 1
        log = nginx.log()
        assert "attempt instance=no-such-instance.invalid:8000" in log
        assert "status=503" in log


def test_bounded_tries_and_all_down_gives_502(backends: list[StubBackend]) -> None:
    for b in backends:
        b.status = 503
    with local_nginx([b.addr for b in backends], NGINX_NEXT_UPSTREAM_TRIES="2") as nginx:
        reply = request(nginx.port, "POST", "/v1/chat/completions", body=b"{}")
        assert reply.status == 503
        assert sum(b.hits for b in backends) == 2


def test_starts_with_an_instance_down_and_takes_it_back_when_it_comes_up(backends: list[StubBackend]) -> None:
    late = StubBackend("late", port=free_port())
    live = backends[0]
    with local_nginx([late.addr, live.addr], NGINX_MAX_FAILS="1", NGINX_FAIL_TIMEOUT="1s") as nginx:
        assert served_by(nginx.port, 4) == {"b1": 4}
        late.start()
        try:
            wait_for(
                lambda: "late" in served_by(nginx.port, 2), 20, "nginx to send requests to the instance again"
            )
        finally:
            late.stop()


def test_big_prompt_is_accepted_and_retried_whole(backends: list[StubBackend]) -> None:
    failing, healthy, _ = backends
    failing.status = 503
    body = b'{"prompt": "' + b"x" * 3_000_000 + b'"}'  # over the in-memory buffer: goes to a temp file
    with local_nginx([failing.addr, healthy.addr]) as nginx:
        reply = request(nginx.port, "POST", "/v1/completions", body=body)
        assert reply.status == 200
        assert reply.json()["served_by"] == "b2"
        assert healthy.body_sizes == [len(body)]


# vLLM's own unguarded routes, and paths that only look like the allowed ones.
UNGUARDED_PATHS = [*UNGUARDED_VLLM_PATHS, "/version", "/v2/whatever", "/v1", "/healthz", "/metrics/x"]


@pytest.mark.parametrize("path", UNGUARDED_PATHS)
def test_nginx_answers_every_other_path_itself_with_404(backends: list[StubBackend], path: str) -> None:
    with local_nginx([b.addr for b in backends]) as nginx:
        for method in ("GET", "POST"):
            reply = request(nginx.port, method, path, body=b"{}" if method == "POST" else None)
            assert reply.status == 404, (method, path, reply)
            assert "x-upstream-addr" not in reply.headers  # no instance was asked
            assert reply.json()["error"]["type"] == "NotFoundError"
        assert sum(b.hits for b in backends) == 0


@pytest.mark.parametrize(
    "path", ["/v1/../tokenize", "/v1/%2e%2e/tokenize", "/v1/..%2Ftokenize", "//tokenize"]
)
def test_dot_segments_cannot_smuggle_a_path_past_the_v1_rule(backends: list[StubBackend], path: str) -> None:
    with local_nginx([b.addr for b in backends]) as nginx:
        reply = request(nginx.port, "POST", path, body=b"{}")
        # nginx matches the normalized URI: either its own 404, or the request stays under /v1/
        if reply.status == 200:
            assert reply.json()["path"].startswith("/v1/"), reply
        else:
            assert reply.status == 404 and "x-upstream-addr" not in reply.headers, reply


def test_api_health_and_metrics_reach_the_instances(backends: list[StubBackend]) -> None:
    with local_nginx([b.addr for b in backends]) as nginx:
        for path in ("/v1/models", "/v1/chat/completions", "/health", "/metrics", "/health?x=1"):
            reply = request(nginx.port, "GET", path)
            assert reply.status == 200 and "x-upstream-addr" in reply.headers, (path, reply)
            assert reply.json()["path"] == path
        assert request(nginx.port, "GET", "/nginx-health").body == b"ok\n"


def _timeouts(text: str) -> dict[str, list[int]]:
    """`proxy_*_timeout` values per directive, in the order they appear (tier 1 first), in ms."""
    import re

    units = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "": 1000}
    found: dict[str, list[int]] = {}
    for name, number, unit in re.findall(r"(proxy_(?:connect|send|read)_timeout) (\d+)(ms|s|m|h|d|);", text):
        found.setdefault(name, []).append(int(number) * units[unit])
    return found


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {
            "NGINX_PROXY_READ_TIMEOUT": "1h",
            "NGINX_PROXY_SEND_TIMEOUT": "10m",
            "NGINX_PROXY_CONNECT_TIMEOUT": "500ms",
        },
        {
            "NGINX_PROXY_READ_TIMEOUT": "90",
            "NGINX_PROXY_SEND_TIMEOUT": "08s",
            "NGINX_PROXY_CONNECT_TIMEOUT": "1d",
        },
    ],
)
def test_tier_one_timeouts_are_strictly_above_tier_two(tmp_path, settings: dict[str, str]) -> None:
    result = render(tmp_path, ["a:1", "b:2"], **settings)
    assert result.returncode == 0, result.stderr
    timeouts = _timeouts((tmp_path / "nginx.conf").read_text())
    for name, (tier1, *tier2) in timeouts.items():
        assert len(tier2) == 2, name  # one per instance
        assert all(tier1 > value for value in tier2), (name, tier1, tier2)
    assert "timeout" not in next(
        line for line in (tmp_path / "nginx.conf").read_text().splitlines() if "proxy_next_upstream " in line
    )


def test_a_request_that_times_out_while_generating_is_not_sent_again(backends: list[StubBackend]) -> None:
    with local_nginx([b.addr for b in backends[:2]], NGINX_PROXY_READ_TIMEOUT="1s") as nginx:
        reply = request(nginx.port, "POST", "/v1/hold", body=b"{}")  # never answers within 1 s
        assert reply.status == 504
        assert sum(b.hits for b in backends) == 1
