"""Backend URLs as users type them; credentials in one are refused with the URL masked."""

from __future__ import annotations

import pytest
from analyze.cli import app
from analyze.fleet.multi_vllm import MultiVLLMClient
from analyze.fleet.urls import CredentialsInURL, normalize_base_url, redact_url
from analyze.settings import Settings
from pydantic import ValidationError
from typer.testing import CliRunner

SECRET = "s3cr3t-pw"


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("host:8000", "http://host:8000/v1"),
        ("http://h:1/v1/", "http://h:1/v1"),
        ("https://h/x", "https://h/x/v1"),
    ],
)
def test_what_users_type_becomes_a_base_url(typed: str, url: str) -> None:
    assert normalize_base_url(typed) == url


@pytest.mark.parametrize(
    "typed",
    [
        f"http://user:{SECRET}@h:1/v1",
        f"user:{SECRET}@h:1",
        f"http://{SECRET}@h/v1",
        f"https://u:{SECRET}@[::1]:9/",
    ],
)
def test_a_url_with_credentials_is_refused_and_never_shown(typed: str) -> None:
    with pytest.raises(CredentialsInURL) as caught:
        normalize_base_url(typed)
    assert SECRET not in str(caught.value) and "***@" in str(caught.value)
    with pytest.raises(CredentialsInURL):
        MultiVLLMClient([typed])
    with pytest.raises(ValidationError) as invalid:
        Settings(base_urls=[typed])
    assert SECRET not in str(invalid.value)


def test_redacting_keeps_everything_but_the_user_info() -> None:
    assert redact_url(f"http://u:{SECRET}@host:8000/v1?x=1") == "http://***@host:8000/v1?x=1"
    assert redact_url("http://host:8000/v1") == "http://host:8000/v1"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--base-url", f"http://user:{SECRET}@127.0.0.1:1/v1"], {}),
        ([], {"ANALYZE_BASE_URL": f"http://user:{SECRET}@127.0.0.1:1/v1"}),
        ([], {"VLLM_HOST": f"user:{SECRET}@127.0.0.1"}),
    ],
)
def test_the_cli_refuses_them_as_a_usage_error_without_the_password(
    tmp_path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    tasks = tmp_path / "t.jsonl"
    tasks.write_text("")
    result = CliRunner().invoke(app, ["run", str(tasks), "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 2
    assert SECRET not in result.output and "holds credentials" in result.output
    assert not (tmp_path / "out").exists()
