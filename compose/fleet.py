#!/usr/bin/env python3
"""Write a compose overlay for another fleet shape: N vLLM instances × G GPUs each (stdlib only).

    compose/fleet.py --instances 8 --gpus-per-instance 1                  # 8 × TP1 on GPUs 0..7
    compose/fleet.py --instances 2 --gpus-per-instance 4 --backend sim    # 2 instances, simulator
    compose/fleet.py --instances 4 --gpus-per-instance 2 \
        --judge Qwen3-30B=/var/shared/models/Qwen3-30B --judge gemma-3-27b=/var/shared/models/gemma-3-27b
                                                                           # two judge models, a panel
    docker compose -f docker-compose.yml [-f compose/sim.yml] -f compose/generated/fleet-8x1-gpu.yml up -d

The overlay goes last on the command line, after the backend's overlay (none for gpu, compose/sim.yml,
compose/cpu.yml). Instances beyond the four of docker-compose.yml extend that backend's vllm-1;
instances the shape does not use are parked in profile `unused`; nginx gets the matching upstream list.
GPU placement and tensor parallelism are replaced with `!override` (compose would otherwise append to
the device list). Environment settings (.env) stay live: nothing is interpolated here. The vLLM command
is read once from `docker compose config --no-interpolate` to change its --tensor-parallel-size, and so
is vllm-1's hardening (HARDENING_KEYS) for the instances beyond the fourth of the sim and cpu backends:
`extends` reads the one overlay file, which has the service without docker-compose.yml's settings.

--judge NAME[=MODEL] (twice or more): a panel of judge models on one fleet. Instance i serves judge
((i-1) mod judges): NAME is its served model name, MODEL the weights (a path; required on gpu, the model
directory on cpu, nothing on sim). The job (`make analyze`) then runs `analyze run --model NAME ...` for
every judge, straight to the instances (each judge's run on the instances serving it: analyze.judge_panel),
and writes their jury; nginx balances the first judge's instances only, for other clients.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COMPOSE_DIR = Path(__file__).resolve().parent
BASE_FILE = COMPOSE_DIR.parent / "docker-compose.yml"
BACKEND_FILES: dict[str, Path] = {
    "gpu": BASE_FILE,
    "sim": COMPOSE_DIR / "sim.yml",
    "cpu": COMPOSE_DIR / "cpu.yml",
}
BASE_INSTANCES = 4  # vllm-1 … vllm-4 in docker-compose.yml
DEFAULT_NODE_GPUS = 8
INSTANCE_PORT = 8000
UNUSED_PROFILE = "unused"
TP_FLAG = "--tensor-parallel-size"
SERVED_NAME_FLAG = "--served-model-name"
# Services that compose/cpu.yml parks in a profile (only two CPU instances run by default).
CPU_PROFILED = frozenset({"vllm-3", "vllm-4"})
# docker-compose.yml's hardening of every instance (its x-hardened anchor, docs/stack.md#hardening).
HARDENING_KEYS = ("logging", "cap_drop", "cap_add", "security_opt", "pids_limit")


class FleetError(ValueError):
    """A fleet shape that cannot be built; the message names the option."""


@dataclass(frozen=True)
class Judge:
    """One judge model of a panel: its served name and, where the backend loads weights, their path."""

    name: str
    model: str | None = None

    @classmethod
    def parse(cls, text: str) -> Judge:
        name, _, model = text.partition("=")
        name, model = name.strip(), model.strip()
        # the name reaches a YAML list, a command line and a directory name: plain characters only
        if not name or not all(c.isalnum() or c in "._-/:" for c in name) or len(name) > 200:
            raise FleetError(f"--judge {text!r}: NAME is 1-200 letters, digits or . _ - / :")
        if "=" in text and not model:
            raise FleetError(f"--judge {text!r}: MODEL after '=' is empty")
        return cls(name, model or None)


@dataclass(frozen=True)
class Tagged:
    """A YAML value with a compose merge tag (`!override`, `!reset`)."""

    tag: str
    value: Any


@dataclass(frozen=True)
class FleetShape:
    instances: int
    gpus_per_instance: int
    backend: str
    first_gpu: int = 0
    node_gpus: int = DEFAULT_NODE_GPUS
    judges: tuple[Judge, ...] = ()

    def judge_of(self, index: int) -> Judge | None:
        """The judge instance `index` (1-based) serves in a panel, round robin; None without one."""
        return self.judges[(index - 1) % len(self.judges)] if self.judges else None

    def check(self) -> None:
        if self.instances < 1:
            raise FleetError(f"--instances: must be >= 1, got {self.instances}")
        if self.gpus_per_instance < 1:
            raise FleetError(f"--gpus-per-instance: must be >= 1, got {self.gpus_per_instance}")
        if self.backend not in BACKEND_FILES:
            raise FleetError(f"--backend: expected one of {', '.join(BACKEND_FILES)}, got {self.backend!r}")
        self._check_judges()
        needed = self.first_gpu + self.instances * self.gpus_per_instance
        if self.backend == "gpu" and needed > self.node_gpus:
            raise FleetError(
                f"--instances {self.instances} × --gpus-per-instance {self.gpus_per_instance} from GPU "
                f"{self.first_gpu} needs {needed} GPUs, more than --node-gpus {self.node_gpus}"
            )

    def _check_judges(self) -> None:
        if not self.judges:
            return
        names = [judge.name for judge in self.judges]
        if len(self.judges) < 2:
            raise FleetError("--judge: give two or more (one judge is the fleet's own MODEL)")
        if len(set(names)) != len(names):
            raise FleetError(f"--judge: each NAME once, got {', '.join(names)}")
        if len(self.judges) > self.instances:
            raise FleetError(
                f"--judge: {len(self.judges)} judges need as many instances, not {self.instances}"
            )
        if self.backend == "gpu" and any(judge.model is None for judge in self.judges):
            raise FleetError("--judge: the gpu backend loads weights: give each as NAME=MODEL (path or id)")
        if self.backend == "sim" and any(judge.model is not None for judge in self.judges):
            raise FleetError("--judge: the simulator serves a name only: give NAME without =MODEL")

    def gpu_ids(self, index: int) -> list[str]:
        """GPU ids of instance `index` (1-based): consecutive blocks of gpus_per_instance."""
        start = self.first_gpu + (index - 1) * self.gpus_per_instance
        return [str(gpu) for gpu in range(start, start + self.gpus_per_instance)]


def instance_name(index: int) -> str:
    return f"vllm-{index}"


def base_vllm_service() -> dict[str, Any]:
    """vllm-1 of docker-compose.yml, ${VARS} kept, so its settings are not restated here."""
    try:
        out = subprocess.run(
            ["docker", "compose", "-f", str(BASE_FILE), "config", "--no-interpolate", "--format", "json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        raise FleetError(f"cannot read {BASE_FILE} with `docker compose config`: {detail}") from exc
    return json.loads(out)["services"]["vllm-1"]


def base_vllm_command() -> list[str]:
    return base_vllm_service()["command"]


def base_hardening() -> dict[str, Any]:
    """The HARDENING_KEYS that docker-compose.yml's vllm-1 sets."""
    service = base_vllm_service()
    return {key: service[key] for key in HARDENING_KEYS if key in service}


def with_tensor_parallel(command: Sequence[str], size: int) -> list[str]:
    """The command with --tensor-parallel-size set to `size` (both `--flag=N` and `--flag N` forms)."""
    result = list(command)
    for i, arg in enumerate(result):
        if arg.startswith(TP_FLAG + "="):
            result[i] = f"{TP_FLAG}={size}"
            return result
        if arg == TP_FLAG and i + 1 < len(result):
            result[i + 1] = str(size)
            return result
    return [*result, f"{TP_FLAG}={size}"]


def with_model(command: Sequence[str], judge: Judge) -> list[str]:
    """The vLLM command serving `judge`: its weights as the positional model, its name as served."""
    result = [arg for arg in command if not arg.startswith(SERVED_NAME_FLAG)]
    first_flag = next((i for i, arg in enumerate(result) if arg.startswith("--")), len(result))
    result[:first_flag] = [judge.model or judge.name]
    return [*result, f"{SERVED_NAME_FLAG}={judge.name}"]


def judge_environment(shape: FleetShape, judge: Judge) -> dict[str, str]:
    """The variables that make a sim or cpu instance serve `judge`."""
    if shape.backend == "sim":
        return {"VLLM_SIM_MODEL": judge.name}
    env = {"SERVED_MODEL_NAME": judge.name}
    if judge.model is not None:
        env["MODEL_DIR"] = judge.model
    return env


def panel_command(shape: FleetShape) -> list[str]:
    """The pipeline's command for a panel: every judge, each instance reached directly (nginx balances one
    judge's instances only). `${INPUT_FILE}` stays for compose to fill, as in docker-compose.yml."""
    command = ["run", "/data/${INPUT_FILE:-tasks.jsonl}", "-o", "/outputs"]
    for index in range(1, shape.instances + 1):
        command += ["--base-url", f"http://{instance_name(index)}:{INSTANCE_PORT}/v1"]
    for judge in shape.judges:
        command += ["--model", judge.name]
    return command


def gpu_devices(ids: list[str]) -> dict[str, Any]:
    device = {"driver": "nvidia", "device_ids": ids, "capabilities": ["gpu"]}
    return {"resources": {"reservations": {"devices": [device]}}}


def instance_service(
    shape: FleetShape, index: int, extends_file: str, command: list[str] | None, hardening: dict[str, Any]
) -> dict:
    """The overlay entry of one used instance."""
    service: dict[str, Any] = {}
    if index > BASE_INSTANCES:
        service["extends"] = {"file": extends_file, "service": instance_name(1)}
        if shape.backend != "gpu":  # the gpu backend extends docker-compose.yml itself
            service.update(hardening)
    judge = shape.judge_of(index)
    if shape.backend == "gpu":
        service["deploy"] = Tagged("!override", gpu_devices(shape.gpu_ids(index)))
        service["command"] = Tagged("!override", with_model(command or [], judge) if judge else command)
    else:
        environment = judge_environment(shape, judge) if judge else {}
        if shape.backend == "sim" and index > BASE_INSTANCES:
            environment["VLLM_SIM_NAME"] = instance_name(index)
        if environment:
            service["environment"] = environment
        if shape.backend == "cpu" and instance_name(index) in CPU_PROFILED:
            service["profiles"] = Tagged("!reset", [])
    return service


def build_overlay(
    shape: FleetShape, command: list[str] | None = None, hardening: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The overlay as data; `command` (the vLLM command) is needed for the gpu backend only, `hardening`
    (HARDENING_KEYS of docker-compose.yml's vllm-1) for instances beyond the fourth of sim and cpu.
    Either is read from docker-compose.yml when needed and not given."""
    shape.check()
    if shape.backend == "gpu" and command is None:
        command = with_tensor_parallel(base_vllm_command(), shape.gpus_per_instance)
    if shape.backend != "gpu" and shape.instances > BASE_INSTANCES and hardening is None:
        hardening = base_hardening()
    # compose resolves `extends.file` against the project directory (docker-compose.yml's), not this file.
    extends_file = os.path.relpath(BACKEND_FILES[shape.backend], BASE_FILE.parent)
    services: dict[str, Any] = {}
    for index in range(1, max(shape.instances, BASE_INSTANCES) + 1):
        if index <= shape.instances:
            entry = instance_service(shape, index, extends_file, command, hardening or {})
            services[instance_name(index)] = entry
        else:
            services[instance_name(index)] = {"profiles": [UNUSED_PROFILE]}
    balanced = [i for i in range(1, shape.instances + 1) if shape.judge_of(i) in (None, shape.judge_of(1))]
    upstreams = " ".join(f"{instance_name(i)}:{INSTANCE_PORT}" for i in balanced)
    services["nginx"] = {"environment": {"UPSTREAM_SERVERS": upstreams}}
    # the job's default in-flight limit is instances x MAX_NUM_SEQS x headroom: tell it the instances
    pipeline: dict[str, Any] = {"environment": {"ANALYZE_FLEET_SIZE": str(shape.instances)}}
    if shape.judges:
        pipeline["command"] = Tagged("!override", panel_command(shape))
    services["pipeline"] = pipeline
    return {"services": services}


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block YAML for dicts/lists of scalars; scalars as JSON strings, which YAML reads the same."""
    pad = "  " * indent
    if isinstance(value, Tagged):
        return f" {value.tag}" + to_yaml(value.value, indent)
    if isinstance(value, dict) and value:
        return "".join(f"\n{pad}{json.dumps(key)}:{to_yaml(item, indent + 1)}" for key, item in value.items())
    if isinstance(value, list) and value:
        return "".join(f"\n{pad}-{to_yaml(item, indent + 1)}" for item in value)
    return " " + json.dumps(value)


def render(shape: FleetShape, overlay: dict[str, Any]) -> str:
    backend_file = "" if shape.backend == "gpu" else f" -f compose/{BACKEND_FILES[shape.backend].name}"
    judges = "".join(
        f" --judge {judge.name}" + (f"={judge.model}" if judge.model else "") for judge in shape.judges
    )
    header = (
        f"# Generated by compose/fleet.py --instances {shape.instances} --gpus-per-instance "
        f"{shape.gpus_per_instance} --backend {shape.backend}{judges}; regenerate rather than edit.\n"
        f"# Use: docker compose -f docker-compose.yml{backend_file} -f THIS_FILE up -d\n"
    )
    return header + to_yaml(overlay).lstrip("\n") + "\n"


def default_output(shape: FleetShape) -> Path:
    panel = f"-panel{len(shape.judges)}" if shape.judges else ""
    name = f"fleet-{shape.instances}x{shape.gpus_per_instance}-{shape.backend}{panel}.yml"
    return COMPOSE_DIR / "generated" / name


def parse_args(argv: Sequence[str] | None) -> tuple[FleetShape, Path]:
    parser = argparse.ArgumentParser(prog="compose/fleet.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, required=True, help="number of vLLM instances")
    parser.add_argument("--gpus-per-instance", type=int, required=True, help="GPUs (tensor parallel) each")
    parser.add_argument("--backend", default="gpu", choices=sorted(BACKEND_FILES), help="default: gpu")
    parser.add_argument("--first-gpu", type=int, default=0, help="first GPU id to hand out (default 0)")
    parser.add_argument("--node-gpus", type=int, default=DEFAULT_NODE_GPUS, help="GPUs on the node (8)")
    parser.add_argument(
        "--judge",
        action="append",
        default=[],
        metavar="NAME[=MODEL]",
        help="a judge model of a panel (twice or more): instances serve them in turn; MODEL: weights",
    )
    parser.add_argument("-o", "--output", type=Path, help="default: compose/generated/fleet-NxG-BACKEND.yml")
    args = parser.parse_args(argv)
    judges = tuple(Judge.parse(text) for text in args.judge)
    shape = FleetShape(
        args.instances, args.gpus_per_instance, args.backend, args.first_gpu, args.node_gpus, judges
    )
    return shape, args.output or default_output(shape)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        shape, output = parse_args(argv)
        overlay = build_overlay(shape)
    except FleetError as exc:
        print(f"compose/fleet.py: error: {exc}", file=sys.stderr)
        return 2
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(shape, overlay), encoding="utf-8")
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
