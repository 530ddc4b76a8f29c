"""`docker compose config` accepts the base file and every overlay, and they say what the issue asks."""

from __future__ import annotations

import json
import subprocess

import pytest

from .stack_helpers import REPO, load_script
from .test_fleet import needs_compose

pytestmark = needs_compose
STACKS = {
    "gpu": ["docker-compose.yml"],
    "sim": ["docker-compose.yml", "compose/sim.yml"],
    "cpu": ["docker-compose.yml", "compose/cpu.yml"],
    # LB=vllm-router: the balancer service keeps its name and port, runs the router behind its gate
    "gpu-router": ["docker-compose.yml", "compose/router.yml"],
    "sim-router": ["docker-compose.yml", "compose/sim.yml", "compose/router.yml"],
}


def config(files: list[str], *extra: str, profile: str = "job", **env: str) -> dict:
    args = [a for f in files for a in ("-f", f)]
    result = subprocess.run(
        ["docker", "compose", *args, "--profile", profile, "config", "--format", "json", *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_stack_is_valid_and_publishes_nginx_on_loopback_only(stack: str) -> None:
    model = config(STACKS[stack])
    (port,) = model["services"]["nginx"]["ports"]
    assert port["host_ip"] == "127.0.0.1"
    assert port["target"] == 8080
    for name, service in model["services"].items():
        if name != "nginx":
            assert "ports" not in service, f"{name} must not be published"


def test_gpu_fleet_has_four_tp2_instances_on_disjoint_gpus() -> None:
    services = config(STACKS["gpu"])["services"]
    gpus = []
    for i in range(1, 5):
        vllm = services[f"vllm-{i}"]
        assert vllm["image"].startswith("vllm/vllm-openai:v")
        assert "--tensor-parallel-size=2" in vllm["command"]
        # The verdict token budget holds only for compact JSON (docs/pipeline.md, "Token budget").
        assert any("disable_any_whitespace" in arg and "true" in arg for arg in vllm["command"])
        assert vllm["ipc"] == "host"
        assert vllm["healthcheck"]["start_period"]
        (device,) = vllm["deploy"]["resources"]["reservations"]["devices"]
        assert device["capabilities"] == ["gpu"]
        gpus += device["device_ids"]
    assert gpus == [str(g) for g in range(8)]


def test_pipeline_is_a_job_run_as_the_host_user_with_read_only_data() -> None:
    model = config(STACKS["gpu"], HOST_UID="1234", HOST_GID="99", VLLM_API_KEY="k")
    pipeline = model["services"]["pipeline"]
    assert pipeline["profiles"] == ["job"]
    assert pipeline["user"] == "1234:99"
    assert pipeline["environment"]["ANALYZE_API_KEY"] == "k"
    assert pipeline["environment"]["ANALYZE_BASE_URL"] == "http://nginx:8080/v1"
    data = next(v for v in pipeline["volumes"] if v["target"] == "/data")
    assert data["read_only"] is True


def test_stand_in_overlays_drop_gpu_reservations() -> None:
    for stack in ("sim", "cpu"):
        services = config(STACKS[stack])["services"]
        for name in (s for s in services if s.startswith("vllm-")):
            assert "deploy" not in services[name], f"{stack}: {name} still reserves GPUs"
            assert services[name].get("entrypoint") is None, f"{stack}: {name} keeps vllm serve"


def test_settings_come_from_the_environment() -> None:
    model = config(STACKS["sim"], LB_POLICY="least_conn", NGINX_BIND="0.0.0.0", NGINX_PORT="9999")
    nginx = model["services"]["nginx"]
    assert nginx["environment"]["LB_POLICY"] == "least_conn"
    assert nginx["ports"][0]["host_ip"] == "0.0.0.0"
    assert nginx["ports"][0]["published"] == "9999"


def test_cpu_instances_get_the_shared_memory_vllm_needs_to_start() -> None:
    # vLLM 0.32's engine refuses to start with Docker's default 64 MiB /dev/shm (it needs 160 MiB).
    services = config(STACKS["cpu"])["services"]
    instances = [s for s in services if s.startswith("vllm-")]
    assert instances
    for name in instances:
        service = services[name]
        assert service.get("ipc") == "host" or int(service.get("shm_size", 0)) >= 160 * 2**20, name


def test_cpu_fleet_serves_smollm2_under_the_name_the_job_asks_for() -> None:
    # A GPU .env's SERVED_MODEL_NAME must not rename the CPU fleet's model away from the job's.
    services = config(STACKS["cpu"], SERVED_MODEL_NAME="Qwen3-30B-A3B-Instruct-2507")["services"]
    instances = [services[s]["environment"] for s in services if s.startswith("vllm-")]
    assert instances
    assert {env["SERVED_MODEL_NAME"] for env in instances} == {"smollm2-135m-instruct"}
    assert {env["MODEL_DIR"] for env in instances} == {"/models/smollm2-135m-instruct"}
    assert services["pipeline"]["environment"]["ANALYZE_MODEL"] == "smollm2-135m-instruct"


# Services built here (images whose user and writes are known) get a read-only root as well.
READ_ONLY_ROOT = ("nginx", "pipeline")
LOGS = {"LOG_MAX_SIZE": "7m", "LOG_MAX_FILE": "3"}
fleet = load_script("compose/fleet.py")


# The one service that needs capabilities back: the sandbox's server starts each slot as its own uid.
CAPABILITIES_BACK = {"sandbox": ["SETUID", "SETGID"]}


def assert_hardened(services: dict) -> None:
    """Every service: rotated logs (LOGS), no capabilities, no privilege gain, a pids limit."""
    assert services
    for name, service in services.items():
        rotated = {"driver": "json-file", "options": {"max-size": "7m", "max-file": "3"}}
        assert service.get("logging") == rotated, name
        assert service.get("cap_drop") == ["ALL"], name
        assert service.get("cap_add", []) == CAPABILITIES_BACK.get(name, []), (
            f"{name}: capabilities added back"
        )
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert 0 < int(service.get("pids_limit", 0)) <= 8192, name
    if "sandbox" in services:  # candidate code: no network at all, not even the stack's
        assert services["sandbox"]["network_mode"] == "none"
        assert services["sandbox"]["read_only"] is True
    for name in READ_ONLY_ROOT:
        assert services[name]["read_only"] is True, name
        assert any(t.split(":")[0] == "/tmp" for t in services[name]["tmpfs"]), name


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_service_of_every_stack_is_hardened(stack: str) -> None:
    assert_hardened(config(STACKS[stack], profile="*", **LOGS)["services"])


@pytest.mark.parametrize(("backend", "instances"), [("gpu", 8), ("sim", 6), ("cpu", 5)])
def test_every_instance_of_a_fleet_shape_is_hardened(tmp_path, backend: str, instances: int) -> None:
    # instances beyond the fourth extend the backend's vllm-1; for sim and cpu that is the overlay's alone
    shape = fleet.FleetShape(instances, 1, backend)
    overlay = tmp_path / "fleet.yml"
    overlay.write_text(fleet.render(shape, fleet.build_overlay(shape)))
    files = [*dict.fromkeys([*STACKS[backend], str(overlay)])]
    services = config(files, COMPOSE_PROJECT_NAME="fleet-test", **LOGS)["services"]
    assert {f"vllm-{i}" for i in range(1, instances + 1)} <= set(services)
    assert_hardened(services)


def test_hardening_limits_come_from_the_environment() -> None:
    services = config(STACKS["sim"], PIDS_LIMIT="77", VLLM_PIDS_LIMIT="99", TMPFS_SIZE="5m")["services"]
    assert services["nginx"]["pids_limit"] == services["pipeline"]["pids_limit"] == 77
    assert services["vllm-1"]["pids_limit"] == 99
    assert services["nginx"]["tmpfs"] == services["pipeline"]["tmpfs"] == ["/tmp:size=5m,mode=1777"]


def test_the_router_overlay_swaps_the_balancers_image_and_keeps_the_fleets_instances(tmp_path) -> None:
    shape = fleet.FleetShape(2, 1, "sim")
    overlay = tmp_path / "fleet.yml"
    overlay.write_text(fleet.render(shape, fleet.build_overlay(shape)))
    files = ["docker-compose.yml", "compose/sim.yml", str(overlay), "compose/router.yml"]
    balancer = config(files, ROUTER_POLICY="cache_aware", IMAGE_TAG="t1")["services"]["nginx"]
    assert balancer["image"] == "judge-fleet/vllm-router:t1"
    env = balancer["environment"]
    assert env["UPSTREAM_SERVERS"] == "vllm-1:8000 vllm-2:8000" and env["ROUTER_POLICY"] == "cache_aware"
    assert env["NGINX_PORT"] == "8080"  # the same gate settings as nginx's
    assert config(STACKS["sim"])["services"]["nginx"]["image"] == "judge-fleet/nginx:dev"


def make_dry(*args: str, state: str = "", dry: bool = True) -> subprocess.CompletedProcess[str]:
    """`make -n ARGS`, never reading the clone's build/stack.mk (STACK_STATE points elsewhere)."""
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": "/tmp"}
    flags = ["-n"] if dry else []
    return subprocess.run(
        ["make", *flags, "--no-print-directory", f"STACK_STATE={state or '/nonexistent/stack.mk'}", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )


def test_make_picks_the_router_overlay_from_lb_and_remembers_it(tmp_path) -> None:
    up = make_dry("up", "STACK=sim", "LB=vllm-router")
    assert up.returncode == 0, up.stderr
    assert "docker compose -f docker-compose.yml -f compose/sim.yml  -f compose/router.yml up -d" in up.stdout
    assert "LAST_LB := %s" in up.stdout and "'vllm-router'" in up.stdout
    state = tmp_path / "stack.mk"
    state.write_text("LAST_STACK := sim\nLAST_FLEET := \nLAST_LB := vllm-router\n")
    later = make_dry("analyze", state=str(state))
    assert "-f compose/sim.yml  -f compose/router.yml --profile job run --rm pipeline" in later.stdout
    plain = make_dry("up", "STACK=sim", "LB=nginx")
    assert "compose/router.yml" not in plain.stdout
    wrong = make_dry("up", "STACK=sim", "LB=haproxy", dry=False)  # stops at stack-check, before compose
    assert (
        wrong.returncode != 0 and "LB=haproxy: expected nginx or vllm-router" in wrong.stdout + wrong.stderr
    )
