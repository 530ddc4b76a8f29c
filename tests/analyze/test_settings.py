"""Settings: the seed's environment variables, ANALYZE_* names, URL normalization and clear errors."""

from __future__ import annotations

import os

import pytest
from analyze.settings import Settings, SettingsError, load_settings, normalize_base_url
from pydantic import ValidationError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("ANALYZE_", "VLLM_", "USE_MULTI_VLLM", "INPUT_JSONL", "OUTPUT_DIR", "OPENAI_")):
            monkeypatch.delenv(name)


def test_seed_defaults_are_four_local_instances() -> None:
    assert Settings().resolved_base_urls() == [f"http://localhost:{p}/v1" for p in (8001, 8002, 8003, 8004)]
    # nothing said about the fleet: vLLM's default --max-num-seqs (256) per instance, twice that in flight
    assert Settings().default_concurrency(4) == 4 * 256 * 2


def test_seed_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLLM_HOST", "gpu-box")
    monkeypatch.setenv("VLLM_PORTS", "9001, 9002")
    monkeypatch.setenv("INPUT_JSONL", "in.jsonl")
    monkeypatch.setenv("OUTPUT_DIR", "out")
    settings = Settings()
    assert settings.resolved_base_urls() == ["http://gpu-box:9001/v1", "http://gpu-box:9002/v1"]
    assert (str(settings.input_jsonl), str(settings.output_dir)) == ("in.jsonl", "out")
    monkeypatch.setenv("USE_MULTI_VLLM", "false")
    assert Settings().resolved_base_urls() == ["http://gpu-box:9001/v1"]


def test_base_url_wins_over_multi_and_api_key_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZE_BASE_URL", "http://nginx:8080/v1")
    monkeypatch.setenv("VLLM_API_KEY", "secret")
    monkeypatch.setenv("ANALYZE_CONCURRENCY", "auto")
    settings = Settings()
    assert settings.resolved_base_urls() == ["http://nginx:8080/v1"]
    assert settings.api_key == "secret" and settings.concurrency == "auto"
    assert settings.default_concurrency(1) == 256 * 2 * settings.fleet_size_behind_single_url


def test_in_flight_limit_follows_the_fleet_compose_describes(monkeypatch: pytest.MonkeyPatch) -> None:
    # what docker-compose.yml passes the job: the instances' MAX_NUM_SEQS, the fleet size, no concurrency
    monkeypatch.setenv("ANALYZE_MAX_NUM_SEQS", "1024")
    monkeypatch.setenv("ANALYZE_FLEET_SIZE", "8")
    monkeypatch.setenv("ANALYZE_CONCURRENCY", "")
    settings = Settings()
    assert settings.concurrency is None
    assert settings.default_concurrency(1) == 8 * 1024 * 2
    assert settings.default_concurrency(3) == 3 * 1024 * 2  # several URLs: one instance each
    monkeypatch.setenv("ANALYZE_MAX_NUM_SEQS", "")  # MAX_NUM_SEQS left empty: vLLM's own default
    assert Settings().default_concurrency(1) == 8 * 256 * 2
    monkeypatch.setenv("ANALYZE_MAX_NUM_SEQS", "0")
    with pytest.raises(ValueError, match="ANALYZE_MAX_NUM_SEQS"):
        Settings()


@pytest.mark.parametrize(
    ("raw", "url"),
    [("h:1", "http://h:1/v1"), ("http://h:1", "http://h:1/v1"), ("http://h:1/v1/", "http://h:1/v1")],
)
def test_normalize_base_url(raw: str, url: str) -> None:
    assert normalize_base_url(raw) == url


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VLLM_PORTS", "80,eighty", "VLLM_PORTS must be comma-separated integers"),
        ("ANALYZE_CONCURRENCY", "0", "concurrency must be a positive integer or 'auto'"),
        ("ANALYZE_LANG", "fr", "lang must be 'zh' or 'en'"),
    ],
)
def test_bad_values_are_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_empty_api_key_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYZE_API_KEY", "")
    assert Settings().api_key == "EMPTY"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ANALYZE_LIMIT", "-1", "Input should be greater than or equal to 0 (got '-1')"),
        ("ANALYZE_TIMEOUT", "0", "Input should be greater than 0 (got '0')"),
        ("ANALYZE_TIMEOUT", "-1", "Input should be greater than 0 (got '-1')"),
        ("ANALYZE_TEMPERATURE", "nan", "Input should be a finite number (got 'nan')"),
        ("ANALYZE_TEMPERATURE", "-3", "Input should be greater than or equal to 0 (got '-3')"),
        ("ANALYZE_MAX_RETRIES", "-5", "Input should be greater than or equal to 0 (got '-5')"),
        ("ANALYZE_MAX_OUTPUT_TOKENS", "0", "Input should be greater than or equal to 1 (got '0')"),
        ("ANALYZE_BACKOFF_MAX_S", "inf", "Input should be a finite number (got 'inf')"),
        ("ANALYZE_CONCURRENCY", "-3", "concurrency must be a positive integer or 'auto', got '-3'"),
        ("ANALYZE_CONCURRENCY", "abc", "concurrency must be a positive integer or 'auto', got 'abc'"),
        ("ANALYZE_FLEET_SIZE", "0", "Input should be greater than or equal to 1 (got '0')"),
        ("ANALYZE_LANG", "fr", "lang must be 'zh' or 'en', got 'fr'"),
    ],
)
def test_a_refused_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == f"{name}: {message}"


def test_an_explicit_value_is_named_by_the_caller_and_wins_over_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANALYZE_TIMEOUT", "0")
    assert load_settings({"timeout_s": 3.0}).timeout_s == 3.0
    with pytest.raises(SettingsError, match=r"^--limit: Input should be greater than or equal to 0"):
        load_settings({"timeout_s": 3.0, "limit": -1}, name_of=lambda field: "--" + field)


def test_every_numeric_setting_has_bounds() -> None:
    """A new number without a range check would take -1 or 0 silently; the seed is any integer."""
    unbounded = [
        name
        for name, info in Settings.model_fields.items()
        if info.annotation in (int, float, int | None, float | None) and not info.metadata
    ]
    assert unbounded == ["seed"]
