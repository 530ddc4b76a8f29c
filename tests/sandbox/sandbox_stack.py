"""The sandbox container for the tier: the image built (incrementally), started as docker-compose.yml
defines it (sandbox.testing), with a secret in the server's environment for the tests to look for."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.testing import Sandbox, compose_sandbox

from tests.image_builds import build_images
from tests.stack.compose_stack import require_docker_engine
from tests.stack.stack_helpers import REPO

SECRET = f"sbx-secret-{uuid.uuid4().hex}"

__all__ = ["SECRET", "Sandbox", "sandbox_container"]


@contextmanager
def sandbox_container(tmp: Path) -> Iterator[Sandbox]:
    require_docker_engine()
    build_images("sandbox")
    with compose_sandbox(REPO, tmp, {"SANDBOX_TEST_SECRET": SECRET}) as box:
        yield box
