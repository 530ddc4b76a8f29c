"""Which process runs a request: the language's harness under prlimit, or the reason it cannot run."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from sandbox.limits import MIB, Limits
from sandbox.protocol import Assertions, HumanEval, Script, Stdio, Tests

HERE = Path(__file__).resolve().parent
PYTHON_HARNESS = HERE / "harness_py.py"
NODE_HARNESS = HERE / "harness.js"
# Which shapes each language's harness runs: HumanEval and MBPP tests are Python code.
SHAPES = {"python": ("humaneval", "assertions", "stdio", "script"), "javascript": ("stdio", "script")}
KIND_NAMES = {HumanEval: "humaneval", Assertions: "assertions", Stdio: "stdio", Script: "script"}


@dataclass(frozen=True)
class Runtimes:
    python: str | None
    node: str | None

    @classmethod
    def found(cls) -> Runtimes:
        return cls(shutil.which("python3"), shutil.which("node"))

    def languages(self) -> list[str]:
        return [lang for lang, exe in (("python", self.python), ("javascript", self.node)) if exe]


@dataclass(frozen=True)
class NotRun:
    reason: str


def cpu_seconds(timeout_s: float) -> int:
    """RLIMIT_CPU is whole seconds: the wall clock, rounded up (a busy loop hits one or the other)."""
    return max(1, math.ceil(timeout_s))


def prlimit(limits: Limits, timeout_s: float, address_space_mb: int) -> list[str]:
    """Soft = hard for every limit, so the candidate cannot raise one back (only root could)."""
    cpu = cpu_seconds(timeout_s)
    return [
        "prlimit",
        f"--cpu={cpu}:{cpu + 1}",  # SIGXCPU at the soft limit, SIGKILL a second later if it is caught
        f"--as={address_space_mb * MIB}",
        f"--fsize={limits.file_size_mb * MIB}",
        f"--nproc={limits.nproc}",
        f"--nofile={limits.nofile}",
        "--core=0",
        "--",
    ]


def harness_argv(
    language: str, tests: Tests, limits: Limits, runtimes: Runtimes, timeout_s: float
) -> list[str] | NotRun:
    kind = KIND_NAMES[type(tests)]
    if language not in SHAPES:
        return NotRun(f"no runtime for language {language[:40]!r} (this sandbox runs {', '.join(SHAPES)})")
    if kind not in SHAPES[language]:
        return NotRun(f"tests of kind {kind} are not supported for {language}")
    if language == "python":
        if runtimes.python is None:
            return NotRun("no python runtime in this sandbox")
        return [*prlimit(limits, timeout_s, limits.memory_mb), runtimes.python, "-I", str(PYTHON_HARNESS)]
    if runtimes.node is None:
        return NotRun("no javascript runtime (node) in this sandbox")
    node_flags = [f"--max-old-space-size={limits.node_heap_mb}", "--max-semi-space-size=16"]
    return [*prlimit(limits, timeout_s, limits.node_memory_mb), runtimes.node, *node_flags, str(NODE_HARNESS)]


def harness_spec(code: str, tests: Tests) -> dict[str, object]:
    """What the harness reads on its spec pipe (stdio cases go to stdin, one process each)."""
    match tests:
        case HumanEval(test=test, entry_point=entry):
            return {"kind": "humaneval", "code": code, "test": test, "entry_point": entry}
        case Assertions(setup=setup, imports=imports, asserts=asserts):
            return {
                "kind": "assertions",
                "code": code,
                "setup": setup,
                "imports": imports,
                "asserts": asserts,
            }
        case Script(script=script):
            return {"kind": "script", "code": code, "script": script}
        case _:
            return {"kind": "stdio", "code": code}
