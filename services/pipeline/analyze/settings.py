"""Every tunable default of the pipeline, read from the environment (seed names and ANALYZE_*).

Each option is defined once here: its default, its bounds, and its `description`, which is also the
CLI's help (`analyze.cli_options` makes a typer option of a field). `load_settings` takes the flags the user
passed over the environment, and a refused value names the flag or the variable that set it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from analyze.execution.address import parse_address
from analyze.fleet.urls import normalize_base_url, refuse_credentials

DEFAULT_VLLM_PORTS = (8001, 8002, 8003, 8004)
NO_API_KEY = "EMPTY"  # what vLLM expects when it runs without --api-key
DEFAULT_TIMEOUT_S = 300.0  # per request: long verdicts on a busy fleet
DEFAULT_BACKEND_COOLDOWN_S = 10.0  # how long a failed instance is skipped
# vLLM's own --max-num-seqs when none is given, for its OpenAI server on GPUs under 70 GB and on A100s
# (vllm/engine/arg_utils.py; H100/H200 and >= 160 GB GPUs get 1024, CPUs 128 per socket).
VLLM_DEFAULT_MAX_NUM_SEQS = 256
ENV_PREFIX = "ANALYZE_"
# A served model name longer than this is not a name (it also names a directory of a panel's run).
MAX_MODEL_NAME_CHARS = 200


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    # Every float is finite: a nan or inf timeout, temperature or backoff is a typo, never a setting.
    # hide_input_in_errors: a refused value (a URL with a password, an API key) never reaches a message.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        populate_by_name=True,
        allow_inf_nan=False,
        hide_input_in_errors=True,
    )

    # --- where the tasks come from and where results go (seed names first) ---
    input_jsonl: Path = Field(
        Path("data/tasks.jsonl"),
        validation_alias=_env("INPUT_JSONL", "ANALYZE_INPUT"),
        description="tasks JSONL (one task per line)",
    )
    output_dir: Path = Field(
        Path("outputs"),
        validation_alias=_env("OUTPUT_DIR", "ANALYZE_OUTPUT_DIR"),
        description="journal and report directory",
    )
    host_output_dir: Path | None = Field(
        None,
        validation_alias=_env("HOST_OUTPUT_DIR"),
        description="where output_dir is on the host when the job runs in a container (make analyze sets "
        "it): what the job prints names the paths the user can open",
    )
    font_path: Path | None = Field(
        None, validation_alias=_env("FONT_PATH", "ANALYZE_FONT_PATH"), description="a CJK font for the report"
    )

    # --- backends: explicit base URLs win over the seed's multi-instance variables ---
    base_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=_env("ANALYZE_BASE_URL", "ANALYZE_BASE_URLS"),
        description="OpenAI-compatible base URL; repeat for several (the variable: comma-separated)",
    )
    use_multi_vllm: bool = Field(True, validation_alias=_env("USE_MULTI_VLLM"))
    vllm_host: str = Field("localhost", validation_alias=_env("VLLM_HOST"))
    vllm_ports: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_VLLM_PORTS), validation_alias=_env("VLLM_PORTS")
    )
    api_key: str = Field(
        NO_API_KEY, validation_alias=_env("ANALYZE_API_KEY", "OPENAI_API_KEY", "VLLM_API_KEY")
    )
    model: str | None = Field(
        None,
        validation_alias=_env("ANALYZE_MODEL"),
        description="judge model",
    )
    # Two judges or more: the job judges every task with each, one run per judge (analyze.judge_panel).
    judges: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=_env("ANALYZE_JUDGES"),
        description="judge model (default: the first one the server lists); repeat for a panel: every task "
        "judged by each, one run per judge in OUTPUT_DIR/<model> on the backends that serve it, then "
        "`analyze compare --jury` of them in OUTPUT_DIR/jury (the variable: comma-separated; ANALYZE_MODEL "
        "names a single judge too)",
    )
    # A 30B model loads for minutes after `make up`; the same wait covers a fleet that restarts mid-run.
    wait_ready_s: float = Field(
        1800.0,
        ge=0,
        validation_alias=_env("ANALYZE_WAIT_READY"),
        description="wait up to this many seconds for a backend to list the judge model on /v1/models, "
        "before judging and whenever the fleet restarts mid-run; 0: no wait",
    )
    ready_poll_s: float = Field(2.0, gt=0, description="between two probes of a backend that is not up")
    ready_probe_timeout_s: float = Field(5.0, gt=0)

    # --- concurrency: "auto" plugs in analyze.fleet.adaptive_limit.AdaptiveLimiter ---
    concurrency: str | None = Field(
        None,
        validation_alias=_env("ANALYZE_CONCURRENCY"),
        description="requests in flight: a positive integer or 'auto' (default: the fleet's slots x the "
        "headroom)",
    )
    max_num_seqs: int | None = Field(
        None,
        ge=1,
        validation_alias=_env("ANALYZE_MAX_NUM_SEQS"),
        description="each instance's --max-num-seqs as the fleet runs it (compose passes MAX_NUM_SEQS); "
        "unset: vLLM's default",
    )
    fleet_size_behind_single_url: int = Field(
        4,
        ge=1,
        validation_alias=_env("ANALYZE_FLEET_SIZE", "ANALYZE_FLEET_SIZE_BEHIND_SINGLE_URL"),
        description="instances behind a single URL (usually nginx in front of the compose fleet)",
    )
    # Requests queued at each instance besides the running ones, so a slot that frees never waits for
    # the client's next request. Not re-tuned since dispatch became longest-first (docs/bench.md).
    concurrency_headroom: float = Field(2.0, ge=1.0, description="in flight per slot of the fleet")
    # The metrics (or outcomes) move `auto` to the fleet's capacity from here, whatever the fleet.
    auto_initial_concurrency: int = Field(32, ge=1)
    # Longest-first: the batch does not end on a few long verdicts alone (docs/bench.md, scenario 1 (f)).
    dispatch_order: Literal["longest-first", "input"] = Field(
        "longest-first",
        validation_alias=_env("ANALYZE_DISPATCH_ORDER"),
        description="which tasks go first: the largest (a first pass notes each task's size) or the "
        "input's order; it changes when a task is judged, never its verdict",
    )
    queue_size: int = Field(256, ge=1, description="tasks read ahead of the dispatcher")
    # Tasks started at once = max(floor, per_permit x the current limit): the rest wait out a backoff.
    task_slots_per_permit: int = Field(2, ge=1)
    task_slots_floor: int = Field(4, ge=1)
    task_slots_recheck_s: float = Field(0.05, gt=0)

    # --- requests ---
    timeout_s: float = Field(
        DEFAULT_TIMEOUT_S,
        gt=0,
        validation_alias=_env("ANALYZE_TIMEOUT"),
        description="per-request timeout in seconds",
    )
    max_retries: int = Field(5, ge=0, description="retries on 429/5xx/timeouts/connection errors")
    fail_fast_after: int = Field(
        5,
        ge=0,
        description="stop the run (exit 2) once this many tasks in a row failed with the same refusal "
        "(401, 403, 404, a 400 other than context length: a wrong key, model or URL); 0: never stop",
    )
    backoff_base_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    retry_after_max_s: float = Field(120.0, ge=0)
    backend_cooldown_s: float = Field(
        DEFAULT_BACKEND_COOLDOWN_S, ge=0, description="how long a failed instance is skipped"
    )

    # --- judging: everything here but limit/force_resume changes verdicts (judging.fingerprint) ---
    seed: int = Field(0, description="seed of the candidate shuffle and of the requests' sampling")
    swap: bool = Field(False, description="judge again with every candidate moved (rotated order)")
    temperature: float = Field(0.0, ge=0, description="sampling temperature of the judge")
    max_input_tokens: int = Field(6144, ge=1, description="prompt budget; longer candidates are truncated")
    # The request's max_tokens is the size of the largest verdict the schema admits for the task's N
    # (judging.budget), within the server's context minus the prompt, and at most this.
    max_output_tokens: int = Field(
        8192, ge=1, description="cap on max_tokens (each request asks for its verdict's largest size)"
    )
    max_model_len: int | None = Field(
        None,
        ge=1,
        description="the server's context (its max_model_len) when /v1/models does not report it; "
        "max_tokens is budgeted in it (unset: input + output budget)",
    )
    structured_output: bool = True
    prompts_dir: Path | None = Field(
        None, description="directory with system.md / user.md / repair.md overrides"
    )
    # Replies that are cut or invalid are asked again, each time with something changed (judging.attempts).
    max_verdict_retries: int = Field(3, ge=0)
    retry_temperature: float = Field(0.3, ge=0)  # used from the second retry when sampling greedily
    # Against a reply that repeats itself to the length limit (OpenAI's range).
    retry_frequency_penalty: float = Field(0.5, ge=-2, le=2)
    limit: int | None = Field(None, ge=0, description="only the first N valid tasks of the input")
    force_resume: bool = Field(
        False,
        description="resume an output directory whose journal was judged with other settings, or holds "
        "verdicts of tasks that are not in the input",
    )
    rejudge_changed: bool = Field(
        False,
        description="judge again the tasks whose content changed since the journal judged them (same id, "
        "other problem, candidates or tests); without it such a rerun stops (exit 2) naming them",
    )

    # --- execution: the tests tasks carry, run in the sandbox (docs/sandbox.md) ---
    execute: Literal["auto", "on", "off"] = Field(
        "auto",
        validation_alias=_env("ANALYZE_EXECUTE"),
        description="run the tests tasks carry: auto when a sandbox is set and answers; on: a sandbox must "
        "answer, else the run stops before judging (exit 2); off: never",
    )
    sandbox: str | None = Field(
        None,
        validation_alias=_env("ANALYZE_SANDBOX"),
        description="the sandbox's address: unix:///path/to/sandbox.sock, a socket path, or http://host:port",
    )
    # Part of the fingerprint when tests run.
    exec_timeout_s: float = Field(
        10.0,
        gt=0,
        le=600,
        allow_inf_nan=False,
        validation_alias=_env("ANALYZE_EXEC_TIMEOUT"),
        description="wall-clock seconds of one test process (the sandbox caps it with its own maximum)",
    )
    exec_feedback: bool = Field(
        True,
        validation_alias=_env("ANALYZE_EXEC_FEEDBACK"),
        description="show the judge each candidate's test result, inside the data fences (the report "
        "ranks on the results either way)",
    )

    # --- console ---
    lang: str = Field("zh", description="language of the console and the report: zh or en")
    progress_interval_s: float = Field(10.0, gt=0)

    @field_validator("sandbox")
    @classmethod
    def _sandbox_address(cls, value: str | None) -> str | None:
        if value is not None:
            parse_address(value)  # raises ValueError saying what it expects
        return value

    @field_validator("judges")
    @classmethod
    def _distinct_judges(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.strip() or len(name) > MAX_MODEL_NAME_CHARS:
                raise ValueError(f"a judge model's name is 1 to {MAX_MODEL_NAME_CHARS} characters")
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValueError(f"each judge model once: {', '.join(map(repr, repeated))} given twice")
        return value

    @model_validator(mode="after")
    def _one_judge_is_the_model(self) -> Settings:
        # `--model A` alone is the single judge: the one setting the rest of the job reads.
        if len(self.judges) == 1:
            self.model, self.judges = self.judges[0], []
        return self

    @field_validator("base_urls", "judges", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        # a variable holds the list comma-separated; a flag repeated gives it as a list already
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("base_urls")
    @classmethod
    def _no_credentials_in_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            normalize_base_url(url)  # refuses user info, with the URL masked in the message
        return value

    @field_validator("vllm_host")
    @classmethod
    def _no_credentials_in_host(cls, value: str) -> str:
        refuse_credentials(value, "VLLM_HOST")
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


def env_names(name: str) -> tuple[str, ...]:
    """The environment variables that set the field `name`, in the order they are looked up."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (alias,) if isinstance(alias, str) else (ENV_PREFIX + name.upper(),)


def _field_of(loc: str) -> str | None:
    """A validation error's location (a field's name, or the variable that set it) as the field's name."""
    if loc in Settings.model_fields:
        return loc
    return next((name for name in Settings.model_fields if loc.upper() in env_names(name)), None)


@dataclass(frozen=True)
class Problem:
    source: str  # the flag or the environment variable that gave the value
    message: str


class SettingsError(ValueError):
    """Values the settings refuse, each named by what gave it: a flag, or an environment variable."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.source}: {p.message}" for p in problems))


def load_settings(explicit: Mapping[str, Any] | None = None, name_of: Callable[[str], str] = str) -> Settings:
    """The environment with `explicit` values (by field name) over it. A refused value raises
    SettingsError naming its source: `name_of(field)` for an explicit one, else the variable."""
    explicit = dict(explicit or {})
    try:
        return Settings(**explicit)
    except ValidationError as exc:
        raise SettingsError([_problem(error, explicit, name_of) for error in exc.errors()]) from exc


def _problem(error: Any, explicit: Mapping[str, Any], name_of: Callable[[str], str]) -> Problem:
    loc = str(error["loc"][0]) if error["loc"] else "settings"
    field = _field_of(loc)
    text = error["msg"].removeprefix("Value error, ")  # a validator's own message already says the value
    if error["type"] != "value_error":
        text += f" (got {error['input']!r})"
    if field is None:
        return Problem(loc, text)
    if field in explicit:
        return Problem(name_of(field), text)
    if loc != field:  # an alias: the variable that was read
        return Problem(loc.upper(), text)
    present = {name.upper() for name in os.environ}
    return Problem(" or ".join(n for n in env_names(field) if n in present) or env_names(field)[0], text)
