"""Every tunable default of the pipeline, read from the environment (seed names and ANALYZE_*).

CLI flags override these: `cli.py` builds a `Settings` and passes explicit flags through `model_copy`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from analyze.fleet.urls import normalize_base_url

DEFAULT_VLLM_PORTS = (8001, 8002, 8003, 8004)
NO_API_KEY = "EMPTY"  # what vLLM expects when it runs without --api-key
DEFAULT_TIMEOUT_S = 300.0  # per request: long verdicts on a busy fleet
DEFAULT_BACKEND_COOLDOWN_S = 10.0  # how long a failed instance is skipped
# vLLM's own --max-num-seqs when none is given, for its OpenAI server on GPUs under 70 GB and on A100s
# (vllm/engine/arg_utils.py; H100/H200 and >= 160 GB GPUs get 1024, CPUs 128 per socket).
VLLM_DEFAULT_MAX_NUM_SEQS = 256


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYZE_", extra="ignore", populate_by_name=True)

    # --- where the tasks come from and where results go (seed names first) ---
    input_jsonl: Path = Field(Path("data/tasks.jsonl"), validation_alias=_env("INPUT_JSONL", "ANALYZE_INPUT"))
    output_dir: Path = Field(Path("outputs"), validation_alias=_env("OUTPUT_DIR", "ANALYZE_OUTPUT_DIR"))
    # Where output_dir is on the host when the job runs in a container (make analyze sets it): what the
    # job prints names the host's paths, the ones the user can open.
    host_output_dir: Path | None = Field(None, validation_alias=_env("HOST_OUTPUT_DIR"))
    font_path: Path | None = Field(None, validation_alias=_env("FONT_PATH", "ANALYZE_FONT_PATH"))

    # --- backends: explicit base URLs win over the seed's multi-instance variables ---
    base_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("ANALYZE_BASE_URL", "ANALYZE_BASE_URLS")
    )
    use_multi_vllm: bool = Field(True, validation_alias=_env("USE_MULTI_VLLM"))
    vllm_host: str = Field("localhost", validation_alias=_env("VLLM_HOST"))
    vllm_ports: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_VLLM_PORTS), validation_alias=_env("VLLM_PORTS")
    )
    api_key: str = Field(
        NO_API_KEY, validation_alias=_env("ANALYZE_API_KEY", "OPENAI_API_KEY", "VLLM_API_KEY")
    )
    model: str | None = Field(None, validation_alias=_env("ANALYZE_MODEL"))
    # Before judging, wait this long for a backend to list the judge model on /v1/models (a 30B model
    # loads for minutes after `make up`); the same wait covers a fleet that restarts mid-run. 0: no wait.
    wait_ready_s: float = Field(1800.0, ge=0, validation_alias=_env("ANALYZE_WAIT_READY"))
    ready_poll_s: float = 2.0  # between two probes of a backend that is not up
    ready_probe_timeout_s: float = 5.0

    # --- concurrency: "auto" plugs in analyze.fleet.adaptive_limit.AdaptiveLimiter ---
    concurrency: str | None = Field(None, validation_alias=_env("ANALYZE_CONCURRENCY"))
    # Without --concurrency the limit follows the fleet: instances x their --max-num-seqs x headroom.
    # Each instance's --max-num-seqs as the fleet runs it (compose passes MAX_NUM_SEQS); unset: vLLM's.
    max_num_seqs: int | None = Field(None, ge=1, validation_alias=_env("ANALYZE_MAX_NUM_SEQS"))
    # A single URL is usually nginx in front of the compose fleet of this many instances.
    fleet_size_behind_single_url: int = Field(
        4, ge=1, validation_alias=_env("ANALYZE_FLEET_SIZE", "ANALYZE_FLEET_SIZE_BEHIND_SINGLE_URL")
    )
    # Requests queued at each instance besides the running ones, so a slot that frees never waits for
    # the client's next request. Bench 1b: 2 x the slots was the best fixed limit on the lognormal lengths
    # of 2026-11-25, but 1.103 x the best (1 x) on the SmolLM2-fitted ones of 2026-12-02, in input order;
    # not re-tuned for the longest-first default yet (docs/bench.md, Known gaps).
    concurrency_headroom: float = Field(2.0, ge=1.0)
    # `auto` starts here whatever the fleet: the metrics (or outcomes) move it to the fleet's capacity.
    auto_initial_concurrency: int = 32
    # "longest-first": a first pass notes each task's size and the job sends the largest first, so the
    # batch does not end on a few long verdicts alone (bench scenario 1 (f): a 24.9 % shorter makespan);
    # "input": the file's order. It changes when a task is judged, never its verdict.
    dispatch_order: Literal["longest-first", "input"] = Field(
        "longest-first", validation_alias=_env("ANALYZE_DISPATCH_ORDER")
    )
    queue_size: int = 256
    # Tasks started at once = max(floor, per_permit x the current limit): the rest wait out a backoff.
    task_slots_per_permit: int = 2
    task_slots_floor: int = 4
    task_slots_recheck_s: float = 0.05

    # --- requests ---
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, validation_alias=_env("ANALYZE_TIMEOUT"))
    max_retries: int = 5
    # Stop the run (exit 2) once this many tasks in a row failed with the same refusal (401, 403, 404,
    # a 400 other than context length): a wrong key, model or URL. 0: never stop.
    fail_fast_after: int = Field(5, ge=0)
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0
    backend_cooldown_s: float = DEFAULT_BACKEND_COOLDOWN_S

    # --- judging: everything here but limit/force_resume changes verdicts (judging.fingerprint) ---
    seed: int = 0  # the candidate shuffle and the requests' sampling seed
    swap: bool = False
    temperature: float = 0.0
    max_input_tokens: int = 6144  # prompt budget; longer candidates are truncated
    # A cap on max_tokens. The request's max_tokens is the size of the largest verdict the schema admits
    # for the task's N (judging.budget), within the server's context minus the prompt, and at most this.
    max_output_tokens: int = 8192
    # The server's context when /v1/models does not report max_model_len (None: input + output budget).
    max_model_len: int | None = None
    structured_output: bool = True
    prompts_dir: Path | None = None
    # Replies that are cut or invalid are asked again, each time with something changed (judging.attempts).
    max_verdict_retries: int = 3
    retry_temperature: float = 0.3  # used from the second retry when sampling greedily
    retry_frequency_penalty: float = 0.5  # against a reply that repeats itself to the length limit
    limit: int | None = None
    # Resume an output directory whose journal was written with other judging settings.
    force_resume: bool = False

    # --- execution: the tests tasks carry, run in the sandbox (docs/sandbox.md) ---
    # auto: run them when a sandbox is configured; on: a sandbox must answer, else the run stops at once.
    execute: Literal["auto", "on", "off"] = Field("auto", validation_alias=_env("ANALYZE_EXECUTE"))
    sandbox: str | None = Field(None, validation_alias=_env("ANALYZE_SANDBOX"))  # unix:///... or http://...
    # Per test process (the sandbox caps it with its own maximum); part of the fingerprint when executing.
    exec_timeout_s: float = Field(
        10.0, gt=0, le=600, allow_inf_nan=False, validation_alias=_env("ANALYZE_EXEC_TIMEOUT")
    )
    # Show the judge each candidate's test result (inside the data fences); the report ranks on it either way.
    exec_feedback: bool = Field(True, validation_alias=_env("ANALYZE_EXEC_FEEDBACK"))

    # --- console ---
    lang: str = "zh"
    progress_interval_s: float = 10.0

    @field_validator("base_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("vllm_ports", mode="before")
    @classmethod
    def _split_ports(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return [int(part) for part in value.split(",") if part.strip()]
            except ValueError as exc:
                raise ValueError(f"VLLM_PORTS must be comma-separated integers, got {value!r}") from exc
        return value

    @field_validator("concurrency", mode="before")
    @classmethod
    def _check_concurrency(cls, value: object) -> object:
        # Compose passes an unset ANALYZE_CONCURRENCY through as "": the default, not an error.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_concurrency(str(value))

    @field_validator("max_num_seqs", mode="before")
    @classmethod
    def _unset_max_num_seqs(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key(cls, value: object) -> object:
        # Compose passes an unset VLLM_API_KEY through as "", which the openai client refuses.
        return NO_API_KEY if value is None or (isinstance(value, str) and not value.strip()) else value

    @field_validator("host_output_dir", mode="before")
    @classmethod
    def _empty_host_dir(cls, value: object) -> object:
        # Compose passes an unset HOST_OUTPUT_DIR as "": no host directory, not the current one.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("lang")
    @classmethod
    def _check_lang(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError(f"lang must be 'zh' or 'en', got {value!r}")
        return value

    def resolved_base_urls(self) -> list[str]:
        """The backends to use: explicit URLs, else the seed's host and ports."""
        if self.base_urls:
            return [normalize_base_url(url) for url in self.base_urls]
        if self.use_multi_vllm:
            return [f"http://{self.vllm_host}:{port}/v1" for port in self.vllm_ports]
        return [f"http://{self.vllm_host}:{self.vllm_ports[0]}/v1"]

    def shown_path(self, path: Path) -> Path:
        """`path` as the user sees it: under host_output_dir when it lies in output_dir and that is set."""
        if self.host_output_dir is None:
            return path
        try:
            return self.host_output_dir / Path(path).relative_to(self.output_dir)
        except ValueError:
            return path

    def default_concurrency(self, n_backends: int) -> int:
        """Every slot of the fleet busy plus the headroom queue: instances x max-num-seqs x headroom."""
        instances = self.fleet_size_behind_single_url if n_backends == 1 else n_backends
        slots = self.max_num_seqs or VLLM_DEFAULT_MAX_NUM_SEQS
        return math.ceil(instances * slots * self.concurrency_headroom)


def parse_concurrency(value: str) -> str:
    """Accept a positive integer or `auto`; keep it as text so `auto` survives until the limiter is built."""
    text = value.strip().lower()
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"concurrency must be a positive integer or 'auto', got {value!r}")
    return text
