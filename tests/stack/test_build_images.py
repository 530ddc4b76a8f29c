"""scripts/build-images.sh in two fresh copies of the repo (as CI's clean clones are): the second finds the
first's wheelhouse in the machine's cache under the same inputs' hash, so its image is up to date and not
built again. Real Docker, the real vllm-sim image under a throwaway tag."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.image_builds import BUILD_TIMEOUT_S

from .compose_stack import require_docker_engine
from .stack_helpers import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow]
LEFT_OUT = shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "*.pyc")


def fresh_copy(dest: Path) -> Path:
    """What build-images.sh reads for the vllm-sim image, copied as a new clone would hold it."""
    for part in ("scripts", "services/vllm-sim"):
        shutil.copytree(REPO / part, dest / part, ignore=LEFT_OUT)
    return dest


def build(root: Path, env: dict[str, str]) -> str:
    done = subprocess.run([str(root / "scripts" / "build-images.sh"), "vllm-sim"], env=env,
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_a_second_clone_takes_the_cached_wheelhouse_and_finds_its_image_up_to_date(tmp_path: Path) -> None:
    require_docker_engine()
    tag = f"cachetest-{uuid.uuid4().hex[:8]}"
    cache = tmp_path / "cache"
    env = {**os.environ, "WHEELHOUSE_CACHE": str(cache), "IMAGE_TAG": tag}
    try:
        first = build(fresh_copy(tmp_path / "first"), env)
        assert f"docker build judge-fleet/vllm-sim:{tag}" in first
        assert (cache / "vllm-sim" / ".inputs").is_file()
        second = build(fresh_copy(tmp_path / "second"), env)
        assert f"wheels from {cache / 'vllm-sim'}" in second
        assert f"judge-fleet/vllm-sim:{tag} is up to date" in second
        assert "docker build" not in second
    finally:
        image = f"judge-fleet/vllm-sim:{tag}"
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True, check=False)
