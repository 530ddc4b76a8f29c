"""The launcher's pieces that need no vLLM: arguments, environment, the version lookup fix."""

from __future__ import annotations

import importlib.metadata

import pytest
from vllm_cpu_serve import settings
from vllm_cpu_serve.launcher import ServeOptions, apply_runtime_env, patch_vllm_version_lookup, vllm_argv


def _flag_value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_argv_serves_the_model_with_small_defaults() -> None:
    argv = vllm_argv(ServeOptions(model="/m", host="0.0.0.0", port=9001, served_model_name="judge"))
    assert argv[:3] == ["vllm", "serve", "/m"]
    assert _flag_value(argv, "--host") == "0.0.0.0"
    assert _flag_value(argv, "--port") == "9001"
    assert _flag_value(argv, "--served-model-name") == "judge"
    assert _flag_value(argv, "--max-model-len") == str(settings.MAX_MODEL_LEN)
    assert _flag_value(argv, "--max-num-seqs") == str(settings.MAX_NUM_SEQS)
    assert '"xgrammar"' in _flag_value(argv, "--structured-outputs-config")
    assert "--enforce-eager" in argv  # the image has no C++ compiler for torch.compile
    assert "--api-key" not in argv


def test_argv_passes_the_api_key_and_puts_extra_args_last() -> None:
    extra = ("--max-num-seqs", "8", "--enable-prefix-caching")
    argv = vllm_argv(ServeOptions(model="/m", api_key="secret", extra_args=extra))
    assert _flag_value(argv, "--api-key") == "secret"
    # argparse keeps the last value, so extra args override the defaults.
    assert tuple(argv[-3:]) == extra


def test_runtime_env_fills_defaults_and_keeps_what_the_caller_set() -> None:
    environ = {"VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_CPU_OMP_THREADS_BIND": "1"}
    apply_runtime_env(environ)
    assert environ["VLLM_CPU_KVCACHE_SPACE"] == "2"
    assert environ["VLLM_CPU_OMP_THREADS_BIND"] == "1"
    assert environ["VLLM_TARGET_DEVICE"] == "cpu"
    assert environ["HF_HUB_OFFLINE"] == "1"


def test_runtime_env_defaults_to_one_unpinned_thread() -> None:
    environ: dict[str, str] = {}
    apply_runtime_env(environ)
    assert environ["VLLM_CPU_OMP_THREADS_BIND"] == "nobind"
    assert environ["OMP_NUM_THREADS"] == "1"
    assert environ["VLLM_CPU_KVCACHE_SPACE"].isdigit()


@pytest.fixture
def fake_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand in for an environment where only the vllm-cpu distribution is installed."""

    def version(name: str) -> str:
        if name == settings.VLLM_DISTRIBUTION:
            return "0.32.0"
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", version)


def test_version_lookup_of_vllm_answers_with_vllm_cpu_plus_cpu(fake_metadata: None) -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version("vllm")
    patch_vllm_version_lookup()
    assert importlib.metadata.version("vllm") == "0.32.0+cpu"
    assert importlib.metadata.version("vllm-cpu") == "0.32.0"
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version("not-installed")


def test_version_patch_applies_once(fake_metadata: None) -> None:
    patch_vllm_version_lookup()
    patched = importlib.metadata.version
    patch_vllm_version_lookup()
    assert importlib.metadata.version is patched
