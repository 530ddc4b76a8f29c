"""Every limit of an execution and its default; SANDBOX_* environment variables override them."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    default_timeout_s: float = 10.0  # wall clock per test process when the request names none
    max_timeout_s: float = 60.0  # a request's timeout_s is capped here
    max_execution_s: float = 120.0  # all of one request's processes together (stdio: one per case)
    memory_mb: int = 512  # RLIMIT_AS of a python process
    # node reserves address space it never touches (1 GiB was the least `node -e 1` started with):
    # its heap is bounded by V8's flag, its address space only loosely, the container's memory by compose
    node_memory_mb: int = 4096
    node_heap_mb: int = 256  # --max-old-space-size
    file_size_mb: int = 16  # RLIMIT_FSIZE: one file; the slot's tmpfs caps them all together
    nproc: int = 64  # RLIMIT_NPROC of the slot's uid: processes and threads (node starts ~11 threads)
    nofile: int = 256  # RLIMIT_NOFILE
    stdout_bytes: int = 1 * MIB  # more is an error (the process is killed), never buffered
    stderr_bytes: int = 64 * 1024
    max_body_bytes: int = 2 * MIB  # a larger request is answered 413

    def timeout_for(self, requested: float | None) -> float:
        return min(self.max_timeout_s, requested if requested is not None else self.default_timeout_s)

    def public(self) -> dict[str, float | int]:
        """What /health shows: the maxima a client may rely on."""
        return asdict(self)


ENV_PREFIX = "SANDBOX_"


def limits_from_env(env: dict[str, str] | None = None) -> Limits:
    """SANDBOX_<FIELD> (upper case) for any field, e.g. SANDBOX_MEMORY_MB=256."""
    env = dict(os.environ) if env is None else env
    values: dict[str, float | int] = {}
    for f in fields(Limits):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is None or raw == "":
            continue
        kind = float if f.type in ("float", float) else int
        try:
            value = kind(raw)
        except ValueError as exc:
            raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r}: expected a {kind.__name__}") from exc
        if value <= 0:
            raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r}: must be > 0")
        values[f.name] = value
    return Limits(**values)
