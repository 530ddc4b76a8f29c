"""Compose stacks for the end-to-end tests: images, isolated projects, health waits, the job."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from testcontainers.compose import DockerCompose
from vllm_sim.testing import free_port

from tests.prereq import missing

from .stack_helpers import REPO, request, wait_for

HEALTH_DEADLINE_S = 180
# Run inside a simulator container (it has python3, not necessarily curl): argv URL BODY KEY, prints the
# status line then the body. GET when BODY is empty, else POST.
_ADMIN_CALL = """
import sys, urllib.error, urllib.request
url, body, key = sys.argv[1:4]
headers = {"Authorization": "Bearer " + key} if key else {}
req = urllib.request.Request(url, data=body.encode() or None, headers=headers)
try:
    with urllib.request.urlopen(req, timeout=5) as reply:
        print(reply.status); print(reply.read().decode())
except urllib.error.HTTPError as reply:
    print(reply.code); print(reply.read().decode())
"""


def require_docker_engine() -> None:
    """Skip (fail under CI=true) only when no Docker engine answers."""
    try:
        info = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        missing("a Docker engine", f"{exc}; scripts/docker-env.sh up starts one")
    if info.returncode != 0:
        missing(
            "a Docker engine", f"{info.stderr.decode().strip()[:300]}; scripts/docker-env.sh up starts one"
        )


@dataclass
class Stack:
    """One isolated compose project (own name, env file, free port) over the repo's compose files."""

    compose: DockerCompose
    env_file: Path
    port: int
    project: str
    workdir: Path

    def cmd(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        full = [*self.compose.compose_command_property, *args]
        result = subprocess.run(full, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        if check:
            assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stderr[-3000:]}\n{self.logs()}"
        return result

    def down(self) -> None:
        """Remove the whole project, services started after the first `up` included."""
        self.cmd("--profile", "job", "down", "--volumes", "--remove-orphans", "-t", "2", check=False)

    def reconfigure(self, service: str, **settings: str) -> None:
        """Change settings in the stack's env file and recreate `service` with them.

        The env file itself changes, not a copy: `compose run pipeline` recreates a depended-on
        service whose configuration differs from the env file it is given, so a one-off override
        would be undone (nginx back to round robin) by the next job.
        """
        kept = [
            line for line in self.env_file.read_text().splitlines() if line.partition("=")[0] not in settings
        ]
        lines = [*kept, *(f"{k}={v}" for k, v in settings.items())]
        self.env_file.write_text("".join(f"{line}\n" for line in lines))
        self.cmd("up", "-d", service)

    def port_bindings(self, service: str) -> dict:
        """`docker inspect`'s HostConfig.PortBindings of SERVICE's container: what is published where."""
        container = self.cmd("ps", "-q", service).stdout.strip()
        out = subprocess.run(
            ["docker", "inspect", "--format", "{{json .HostConfig.PortBindings}}", container],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return json.loads(out)

    def logs(self, *services: str) -> str:
        out = subprocess.run(
            [*self.compose.compose_command_property, "logs", "--no-color", "--tail=60", *services],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        return out.stdout[-6000:] + out.stderr[-2000:]

    def wait_healthy(self, *services: str, deadline_s: float = HEALTH_DEADLINE_S) -> None:
        def healthy() -> bool:
            rows = self.cmd("ps", "--all", "--format", "json", *services).stdout
            states = [json.loads(line) for line in rows.splitlines() if line.strip()]
            return len(states) == len(services) and all(s.get("Health") == "healthy" for s in states)

        wait_for(healthy, deadline_s, f"{', '.join(services)} to be healthy", lambda: self.logs(*services))

    def served_by(self, n: int, *, answer_header: str = "x-served-by", **headers: str) -> list[str]:
        """`answer_header` (x-served-by: the instance's name) of n requests through the published port."""
        names = []
        for _ in range(n):
            reply = request(self.port, "POST", "/v1/chat/completions", body=chat_body(), **headers)
            assert reply.status == 200, (reply.status, reply.body[:300])
            names.append(reply.headers.get(answer_header, "?"))
        return names

    def sim_admin(
        self, caller: str, host: str, changes: dict | None = None, key: str = ""
    ) -> tuple[int, dict]:
        """GET (or POST `changes` to) http://HOST:8000/admin/config from inside the simulator container
        CALLER (HOST 127.0.0.1: CALLER's own, over loopback); the status and the JSON body."""
        body = json.dumps(changes) if changes else ""
        url = f"http://{host}:8000/admin/config"
        out = self.cmd("exec", "-T", caller, "python3", "-c", _ADMIN_CALL, url, body, key).stdout
        status, _, text = out.partition("\n")
        return int(status), json.loads(text)

    def run_job(self, input_name: str, output: Path, *extra: str) -> subprocess.Popen[str]:
        output.mkdir(parents=True, exist_ok=True)
        args = ["--profile", "job", "run", "--rm", "-T", "pipeline"]
        return subprocess.Popen(
            [*self.compose.compose_command_property, *args, *extra],
            cwd=REPO,
            # as make analyze does: the job prints the host's paths, not its mount's
            env={
                **os.environ,
                "INPUT_FILE": input_name,
                "OUTPUT_DIR": str(output),
                "HOST_OUTPUT_DIR": str(output),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def chat_body() -> bytes:
    return json.dumps(
        {
            "model": "Qwen3-30B-A3B-Instruct-2507",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 8,
        }
    ).encode()


def make_stack(tmp: Path, files: list[str], settings: dict[str, str], services: list[str] | None) -> Stack:
    """Write the env file (the only configuration source: no repo .env, no shell env needed)."""
    project = f"jf-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    data, outputs = tmp / "data", tmp / "outputs"
    data.mkdir(exist_ok=True)
    outputs.mkdir(exist_ok=True)
    env = {
        "COMPOSE_PROJECT_NAME": project,
        "NGINX_PORT": str(port),
        "DATA_DIR": str(data),
        "OUTPUT_DIR": str(outputs),
        "HOST_UID": str(os.getuid()),
        "HOST_GID": str(os.getgid()),
        **settings,
    }
    env_file = tmp / "stack.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    compose = DockerCompose(
        context=REPO, compose_file_name=files, env_file=str(env_file), services=services, wait=False
    )
    return Stack(compose, env_file, port, project, tmp)


SIM_FILES = ["docker-compose.yml", "compose/sim.yml"]
# Two simulator instances behind nginx: the small stack of the auth and startup tests.
SIM_PAIR = {
    "SIM_HEALTH_INTERVAL": "1s",
    "UPSTREAM_SERVERS": "vllm-1:8000,vllm-2:8000",
    "ANALYZE_CONCURRENCY": "8",
}


def sim_pair_stack(tmp: Path, settings: dict[str, str]) -> Stack:
    """nginx + vllm-1 + vllm-2 on the simulator, not started yet."""
    return make_stack(tmp, SIM_FILES, {**SIM_PAIR, **settings}, services=["nginx", "vllm-1", "vllm-2"])


def write_tasks(path: Path, count: int, candidates: int = 3) -> list[str]:
    ids = [f"t-{i:04d}" for i in range(count)]
    with path.open("w") as out:
        for task_id in ids:
            cands = [
                {"model": f"model-{c}", "code": f"def solve(x):\n    return x * {c}  # {task_id}\n"}
                for c in range(candidates)
            ]
            out.write(
                json.dumps({"task_id": task_id, "problem": f"Multiply {task_id}", "candidates": cands}) + "\n"
            )
    return ids


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
