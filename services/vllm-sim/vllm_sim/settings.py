"""Every default of the simulator, and the one option table that the CLI, env and /admin/config share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vllm_sim.output_len import OutputLen, OutputLenError, parse_output_len

ENV_PREFIX = "VLLM_SIM_"

# Protocol-level constants (not options).
CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4  # role markers a chat template adds around each message
STREAM_MIN_CHUNK_INTERVAL_S = 0.005  # group tokens so SSE writes are at least this far apart
STREAM_MAX_TOKENS_PER_CHUNK = 16
RETRY_AFTER_SECONDS = 1
CRASH_EXIT_CODE = 3
CRASH_FLUSH_DELAY_S = 0.05  # let the last response leave the socket before exiting
SCHEMA_CACHE_SIZE = 256
SCHEMA_SOFT_DEPTH = 5  # beyond it: only required properties, minimum array lengths
SCHEMA_HARD_DEPTH = 40  # beyond it: the schema is treated as unsatisfiable recursion
JSON_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 200}, "score": {"type": "integer"}},
    "required": ["answer", "score"],
}


class ConfigError(ValueError):
    """An option value that cannot be used; the message names the option."""


def _non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ConfigError(f"{name}: must be >= 0, got {value}")


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{name}: must be > 0, got {value}")


def _probability(name: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise ConfigError(f"{name}: must be a probability in [0, 1], got {value}")


@dataclass(frozen=True, slots=True)
class Option:
    """One simulator option: `--kebab-name`, env `VLLM_SIM_UPPER_NAME`, JSON key `snake_name`."""

    name: str
    kind: type
    default: Any
    help: str
    check: Callable[[str, Any], None] | None = None
    runtime: bool = True  # settable through POST /admin/config

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option("host", str, "127.0.0.1", "address to bind", runtime=False),
    Option("port", int, 8000, "port to bind", runtime=False),
    Option("name", str, "vllm-sim", "instance name, sent in every x-served-by header"),
    Option("model", str, "sim-model", "served model name"),
    Option("max_num_seqs", int, 64, "slots: requests running at once", _positive),
    Option("max_waiting", int, 1024, "bounded waiting queue; full -> 429", _non_negative),
    Option("max_model_len", int, 8192, "context length in tokens (prompt + max_tokens)", _positive),
    Option("ttft_overhead_ms", float, 30.0, "fixed part of time to first token", _non_negative),
    Option("prefill_ms_per_token", float, 0.2, "prefill time per prompt token", _non_negative),
    Option("itl_ms", float, 15.0, "inter-token latency", _non_negative),
    Option(
        "output_len",
        OutputLen,
        parse_output_len("lognormal:200:0.6"),
        "output length distribution: fixed:N, uniform:A:B, lognormal:MEDIAN:SIGMA, or prompt:BASE:PER:SIGMA "
        "(median BASE + PER x prompt tokens); capped by max_tokens",
    ),
    Option("load_factor", float, 0.5, "latency x (1 + load_factor x running / max_num_seqs)", _non_negative),
    Option("jitter", float, 0.1, "relative jitter: each delay x uniform(1 - j, 1 + j)", _probability),
    Option("time_scale", float, 1.0, "multiplies every delay; 0 = no latency at all", _non_negative),
    Option("seed", int, 0, "seed for content, lengths, jitter and faults"),
    Option("api_key", str, "", "if set, /v1/* needs 'Authorization: Bearer KEY' (else 401)"),
    Option("fail_429", float, 0.0, "probability of an injected 429", _probability),
    Option("fail_500", float, 0.0, "probability of an injected 500", _probability),
    Option("fail_503", float, 0.0, "probability of an injected 503", _probability),
    Option("fail_400_context", float, 0.0, "probability of an injected context-length 400", _probability),
    Option("hang_rate", float, 0.0, "probability a request never answers", _probability),
    Option("startup_delay", float, 0.0, "seconds of 503 on /health and /v1/* before ready", _non_negative),
    Option("crash_after", int, 0, "exit the process after N chat requests (0 = never)", _non_negative),
)
OPTIONS_BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}
FAULT_FIELDS = ("fail_429", "fail_500", "fail_503", "fail_400_context", "hang_rate")


@dataclass(frozen=True, slots=True)
class SimConfig:
    """The whole simulator configuration; replaced as a unit on every change."""

    host: str = OPTIONS_BY_NAME["host"].default
    port: int = OPTIONS_BY_NAME["port"].default
    name: str = OPTIONS_BY_NAME["name"].default
    model: str = OPTIONS_BY_NAME["model"].default
    max_num_seqs: int = OPTIONS_BY_NAME["max_num_seqs"].default
    max_waiting: int = OPTIONS_BY_NAME["max_waiting"].default
    max_model_len: int = OPTIONS_BY_NAME["max_model_len"].default
    ttft_overhead_ms: float = OPTIONS_BY_NAME["ttft_overhead_ms"].default
    prefill_ms_per_token: float = OPTIONS_BY_NAME["prefill_ms_per_token"].default
    itl_ms: float = OPTIONS_BY_NAME["itl_ms"].default
    output_len: OutputLen = field(default=OPTIONS_BY_NAME["output_len"].default)
    load_factor: float = OPTIONS_BY_NAME["load_factor"].default
    jitter: float = OPTIONS_BY_NAME["jitter"].default
    time_scale: float = OPTIONS_BY_NAME["time_scale"].default
    seed: int = OPTIONS_BY_NAME["seed"].default
    api_key: str = OPTIONS_BY_NAME["api_key"].default
    fail_429: float = OPTIONS_BY_NAME["fail_429"].default
    fail_500: float = OPTIONS_BY_NAME["fail_500"].default
    fail_503: float = OPTIONS_BY_NAME["fail_503"].default
    fail_400_context: float = OPTIONS_BY_NAME["fail_400_context"].default
    hang_rate: float = OPTIONS_BY_NAME["hang_rate"].default
    startup_delay: float = OPTIONS_BY_NAME["startup_delay"].default
    crash_after: int = OPTIONS_BY_NAME["crash_after"].default

    def fault_total(self) -> float:
        return self.fail_429 + self.fail_500 + self.fail_503 + self.fail_400_context + self.hang_rate

    def to_json(self) -> dict[str, Any]:
        """JSON-ready view (output_len as its spec string)."""
        out = {}
        for opt in OPTIONS:
            value = getattr(self, opt.name)
            out[opt.name] = str(value) if opt.kind is OutputLen else value
        return out

    def updated(self, changes: Mapping[str, Any], *, runtime_only: bool = False) -> SimConfig:
        """A new config with `changes` (raw strings or JSON values) converted and checked."""
        converted = {}
        for key, raw in changes.items():
            opt = OPTIONS_BY_NAME.get(key)
            if opt is None:
                raise ConfigError(f"{key}: unknown option (known: {', '.join(OPTIONS_BY_NAME)})")
            if runtime_only and not opt.runtime:
                raise ConfigError(f"{key}: cannot be changed at run time")
            converted[key] = convert_value(opt, raw)
        new = dataclasses.replace(self, **converted)
        if new.fault_total() > 1:
            raise ConfigError(f"{'+'.join(FAULT_FIELDS)}: probabilities sum to {new.fault_total():g} > 1")
        return new


def convert_value(opt: Option, raw: Any) -> Any:
    """Turn a CLI/env string or a JSON value into the option's type, then check its range."""
    try:
        if opt.kind is OutputLen:
            if isinstance(raw, OutputLen):
                value = raw
            elif isinstance(raw, str):
                value = parse_output_len(raw)
            else:
                raise ConfigError(f"{opt.name}: expected a spec string, got {raw!r}")
        elif opt.kind is str:
            if not isinstance(raw, str):
                raise ConfigError(f"{opt.name}: expected a string, got {raw!r}")
            value = raw
        elif isinstance(raw, bool):
            raise ConfigError(f"{opt.name}: expected a number, got {raw!r}")
        elif opt.kind is int:
            value = int(raw) if isinstance(raw, str) else raw
            if not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ConfigError(f"{opt.name}: expected an integer, got {raw!r}")
        else:
            value = float(raw)
    except OutputLenError as exc:
        raise ConfigError(f"{opt.name}: {exc}") from exc
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{opt.name}: cannot read {raw!r} as {opt.kind.__name__}") from exc
    if opt.check is not None:
        opt.check(opt.name, value)
    return value
