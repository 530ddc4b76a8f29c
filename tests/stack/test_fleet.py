"""compose/fleet.py: fleet shapes as overlays, checked by `docker compose config` where Compose exists."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.prereq import requires

from .stack_helpers import REPO, load_script

fleet = load_script("compose/fleet.py")
COMMAND = ["${MODEL}", "--served-model-name=x", "--tensor-parallel-size=2", "--max-num-seqs=8"]


def compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


needs_compose = requires(
    compose_available(), "the `docker compose` CLI", "scripts/docker-env.sh up installs it"
)


def resolved(shape, tmp_path, *backend_files: str) -> dict:
    """The merged model of docker-compose.yml + backend overlays + the generated overlay."""
    overlay = tmp_path / "fleet.yml"
    overlay.write_text(fleet.render(shape, fleet.build_overlay(shape)))
    files = ["docker-compose.yml", *backend_files, str(overlay)]
    args = [a for f in files for a in ("-f", f)]
    out = subprocess.run(
        ["docker", "compose", *args, "--profile", "job", "config", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "COMPOSE_PROJECT_NAME": "fleet-test"},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["services"]


def test_gpu_ids_are_consecutive_blocks() -> None:
    shape = fleet.FleetShape(instances=2, gpus_per_instance=4, backend="gpu")
    assert shape.gpu_ids(1) == ["0", "1", "2", "3"]
    assert shape.gpu_ids(2) == ["4", "5", "6", "7"]
    assert fleet.FleetShape(3, 2, "gpu", first_gpu=2).gpu_ids(3) == ["6", "7"]


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (fleet.FleetShape(0, 1, "gpu"), "--instances"),
        (fleet.FleetShape(2, 0, "gpu"), "--gpus-per-instance"),
        (fleet.FleetShape(2, 1, "tpu"), "--backend"),
        (fleet.FleetShape(8, 2, "gpu"), "needs 16 GPUs, more than --node-gpus 8"),
    ],
)
def test_impossible_shapes_are_refused_by_name(shape, message: str) -> None:
    with pytest.raises(fleet.FleetError, match=message):
        fleet.build_overlay(shape, COMMAND)


def test_tensor_parallel_flag_is_replaced_in_either_form() -> None:
    assert fleet.with_tensor_parallel(COMMAND, 4)[2] == "--tensor-parallel-size=4"
    assert fleet.with_tensor_parallel(["m", "--tensor-parallel-size", "2"], 1) == [
        "m",
        "--tensor-parallel-size",
        "1",
    ]
    assert fleet.with_tensor_parallel(["m"], 8) == ["m", "--tensor-parallel-size=8"]


def test_sim_shapes_need_no_gpu_and_park_unused_instances() -> None:
    overlay = fleet.build_overlay(fleet.FleetShape(2, 4, "sim"))
    services = overlay["services"]
    assert services["vllm-3"] == {"profiles": ["unused"]}
    assert services["nginx"]["environment"]["UPSTREAM_SERVERS"] == "vllm-1:8000 vllm-2:8000"
    assert "deploy" not in services["vllm-1"]


def test_cli_writes_the_overlay_and_prints_its_path(tmp_path, capsys) -> None:
    out = tmp_path / "f.yml"
    assert (
        fleet.main(["--instances", "8", "--gpus-per-instance", "1", "--backend", "sim", "-o", str(out)]) == 0
    )
    assert capsys.readouterr().out.strip() == str(out)
    assert "vllm-8:8000" in out.read_text()
    assert fleet.main(["--instances", "8", "--gpus-per-instance", "2", "-o", str(out)]) == 2
    assert "--node-gpus 8" in capsys.readouterr().err


@needs_compose
@pytest.mark.parametrize(("instances", "gpus"), [(8, 1), (2, 4), (4, 2)])
def test_gpu_shapes_resolve_to_disjoint_gpus_and_matching_tensor_parallel(tmp_path, instances, gpus) -> None:
    services = resolved(fleet.FleetShape(instances, gpus, "gpu"), tmp_path)
    used = sorted(s for s in services if s.startswith("vllm-"))
    assert used == [f"vllm-{i}" for i in range(1, instances + 1)]
    seen: list[str] = []
    for name in used:
        devices = services[name]["deploy"]["resources"]["reservations"]["devices"]
        assert len(devices) == 1  # replaced, not appended to the base file's
        seen += devices[0]["device_ids"]
        assert f"--tensor-parallel-size={gpus}" in services[name]["command"]
        assert services[name]["image"].startswith("vllm/vllm-openai:")
    assert sorted(seen, key=int) == [str(g) for g in range(instances * gpus)]
    expected = " ".join(f"vllm-{i}:8000" for i in range(1, instances + 1))
    assert services["nginx"]["environment"]["UPSTREAM_SERVERS"] == expected


@needs_compose
@pytest.mark.parametrize(("instances", "gpus"), [(8, 1), (2, 4)])
def test_sim_shapes_resolve_to_simulators_with_distinct_names(tmp_path, instances, gpus) -> None:
    services = resolved(fleet.FleetShape(instances, gpus, "sim"), tmp_path, "compose/sim.yml")
    used = sorted(s for s in services if s.startswith("vllm-"))
    assert len(used) == instances
    names = {services[s]["environment"]["VLLM_SIM_NAME"] for s in used}
    assert names == set(used)
    for name in used:
        assert "deploy" not in services[name]
        assert services[name]["image"] == "judge-fleet/vllm-sim:dev"


@needs_compose
def test_cpu_shape_of_three_enables_the_profiled_instance(tmp_path) -> None:
    services = resolved(fleet.FleetShape(3, 1, "cpu"), tmp_path, "compose/cpu.yml")
    assert sorted(s for s in services if s.startswith("vllm-")) == ["vllm-1", "vllm-2", "vllm-3"]


JUDGES = (fleet.Judge("judge-a", "/models/a"), fleet.Judge("judge-b", "/models/b"))


def test_a_panel_gives_instances_the_judges_in_turn_and_the_job_every_instance() -> None:
    shape = fleet.FleetShape(4, 2, "sim", judges=(fleet.Judge("judge-a"), fleet.Judge("judge-b")))
    services = fleet.build_overlay(shape)["services"]
    served = [services[f"vllm-{i}"]["environment"]["VLLM_SIM_MODEL"] for i in range(1, 5)]
    assert served == ["judge-a", "judge-b", "judge-a", "judge-b"]
    # nginx balances the first judge's instances only: a client naming judge-a never lands on judge-b
    assert services["nginx"]["environment"]["UPSTREAM_SERVERS"] == "vllm-1:8000 vllm-3:8000"
    command = services["pipeline"]["command"]
    assert command.tag == "!override"
    urls = [command.value[i + 1] for i, arg in enumerate(command.value) if arg == "--base-url"]
    assert urls == [f"http://vllm-{i}:8000/v1" for i in range(1, 5)]
    assert [command.value[i + 1] for i, arg in enumerate(command.value) if arg == "--model"] == [
        "judge-a",
        "judge-b",
    ]


def test_a_gpu_judge_is_served_from_its_weights_under_its_name() -> None:
    command = fleet.with_model(COMMAND, JUDGES[1])
    assert command[0] == "/models/b"
    assert [a for a in command if a.startswith("--served-model-name")] == ["--served-model-name=judge-b"]
    assert "--tensor-parallel-size=2" in command and "--max-num-seqs=8" in command
    services = fleet.build_overlay(fleet.FleetShape(2, 4, "gpu", judges=JUDGES), COMMAND)["services"]
    assert services["vllm-1"]["command"].value[0] == "/models/a"
    assert services["vllm-2"]["command"].value[0] == "/models/b"


def test_a_cpu_judge_names_its_model_directory() -> None:
    services = fleet.build_overlay(fleet.FleetShape(2, 1, "cpu", judges=JUDGES))["services"]
    assert services["vllm-2"]["environment"] == {"SERVED_MODEL_NAME": "judge-b", "MODEL_DIR": "/models/b"}


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (fleet.FleetShape(4, 2, "sim", judges=(fleet.Judge("a"),)), "two or more"),
        (fleet.FleetShape(4, 2, "sim", judges=(fleet.Judge("a"), fleet.Judge("a"))), "each NAME once"),
        (
            fleet.FleetShape(1, 2, "sim", judges=(fleet.Judge("a"), fleet.Judge("b"))),
            "need as many instances",
        ),
        (fleet.FleetShape(2, 2, "gpu", judges=(fleet.Judge("a"), fleet.Judge("b"))), "NAME=MODEL"),
        (fleet.FleetShape(2, 2, "sim", judges=JUDGES), "serves a name only"),
    ],
)
def test_impossible_panels_are_refused_by_name(shape, message: str) -> None:
    with pytest.raises(fleet.FleetError, match=message):
        fleet.build_overlay(shape, COMMAND)


@pytest.mark.parametrize("text", ["", "a b", "a;rm -rf /", "$(id)", "x" * 201, "a="])
def test_a_judge_name_that_is_not_a_plain_name_is_refused(text: str, capsys) -> None:
    argv = [
        "--instances",
        "2",
        "--gpus-per-instance",
        "1",
        "--backend",
        "sim",
        "--judge",
        text,
        "--judge",
        "b",
    ]
    assert fleet.main(argv) == 2
    assert "--judge" in capsys.readouterr().err


@needs_compose
def test_a_sim_panel_resolves_to_two_served_names_and_a_pipeline_on_every_instance(tmp_path) -> None:
    shape = fleet.FleetShape(4, 1, "sim", judges=(fleet.Judge("judge-a"), fleet.Judge("judge-b")))
    services = resolved(shape, tmp_path, "compose/sim.yml")
    assert [services[f"vllm-{i}"]["environment"]["VLLM_SIM_MODEL"] for i in range(1, 5)] == [
        "judge-a",
        "judge-b",
        "judge-a",
        "judge-b",
    ]
    assert services["vllm-2"]["environment"]["VLLM_SIM_NAME"] == "vllm-2"  # merged, not replaced
    command = services["pipeline"]["command"]
    assert command[:4] == ["run", "/data/tasks.jsonl", "-o", "/outputs"]
    assert command.count("--base-url") == 4 and command[-4:] == ["--model", "judge-a", "--model", "judge-b"]
