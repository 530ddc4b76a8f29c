"""services/vllm-router/entrypoint.sh's checks, run with bash on the host (`args`: validate and print the
router's command line, start nothing): every bad setting stops it with a message naming the setting."""

from __future__ import annotations

import subprocess

import pytest

from .stack_helpers import REPO

ENTRYPOINT = REPO / "services" / "vllm-router" / "entrypoint.sh"


def run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ENTRYPOINT), "args"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=30,
    )


def test_the_router_gets_the_instances_as_urls_the_policy_and_loopback_only() -> None:
    result = run(UPSTREAM_SERVERS="vllm-1:8000, 10.0.0.7:8001", ROUTER_POLICY="consistent_hash")
    assert result.returncode == 0, result.stderr
    argv = result.stdout.splitlines()
    workers = argv[argv.index("--worker-urls") + 1 : argv.index("--policy")]
    assert workers == ["http://vllm-1:8000", "http://10.0.0.7:8001"]
    assert argv[argv.index("--policy") + 1] == "consistent_hash"
    assert argv[argv.index("--host") + 1] == argv[argv.index("--prometheus-host") + 1] == "127.0.0.1"


def test_the_defaults_are_the_four_instances_and_round_robin() -> None:
    argv = run().stdout.splitlines()
    assert argv[argv.index("--policy") + 1] == "round_robin"
    assert [a for a in argv if a.startswith("http://")] == [f"http://vllm-{i}:8000" for i in range(1, 5)]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ROUTER_POLICY": "least_conn"},
            "ROUTER_POLICY='least_conn': expected one of round_robin, power_of_two",
        ),
        ({"ROUTER_POLICY": "cache_aware consistent_hash"}, "ROUTER_POLICY='cache_aware consistent_hash'"),
        ({"UPSTREAM_SERVERS": "http://a:1"}, "UPSTREAM_SERVERS entry 'http://a:1': expected host:port"),
        ({"UPSTREAM_SERVERS": "user@a:1"}, "UPSTREAM_SERVERS entry 'user@a:1': expected host:port"),
        ({"UPSTREAM_SERVERS": "a:1/admin"}, "UPSTREAM_SERVERS entry 'a:1/admin'"),
        ({"UPSTREAM_SERVERS": "-a:1"}, "UPSTREAM_SERVERS entry '-a:1'"),
        ({"UPSTREAM_SERVERS": " , "}, "UPSTREAM_SERVERS is empty"),
        ({"ROUTER_PORT": "80a"}, "ROUTER_PORT='80a': expected a whole number"),
        ({"ROUTER_REQUEST_TIMEOUT_SECS": "1e9"}, "ROUTER_REQUEST_TIMEOUT_SECS='1e9'"),
        ({"ROUTER_LOG_LEVEL": "warning"}, "ROUTER_LOG_LEVEL='warning': expected debug, info or error"),
    ],
)
def test_bad_settings_stop_it_naming_the_setting(env: dict[str, str], message: str) -> None:
    result = run(**env)
    assert result.returncode == 64 and result.stdout == ""
    assert message in result.stderr, result.stderr
