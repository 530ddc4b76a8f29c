"""The project's images for the tests, built by scripts/build-images.sh, each at most once per session.

A module that needs images says which with `pytest.mark.images("vllm-sim", "nginx", ...)`. When
collection ends, the images of the selected tests start building in the background, one after
another in the order the tests will want them (tests/conftest.py calls `start_prebuild`). A build is
mostly disk and one core, and the tests before the first Docker test (the SmolLM2 runs on the host
above all) leave a core free, so on a bare machine the builds cost little of the suite's time instead
of ~13 minutes in series. The marks only make it faster: `build_images`, which the fixtures call, waits
for the background builds of the names it is given and builds in the foreground whatever they did not
build, so a missing or wrong mark costs time, never a result, and a failed build fails the test that
needed it with the script's own message.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO / "scripts" / "build-images.sh"
BUILD_TIMEOUT_S = 1800
MARK = "images"
# What the background builds printed, for whoever wonders what a waiting fixture waits for.
PREBUILD_LOG = REPO / "build" / "test-image-builds.log"


def marked_images(items: Iterable[pytest.Item]) -> list[str]:
    """The images the ITEMS' marks name, each once, in the order the items first need them."""
    names: dict[str, None] = {}
    for item in items:
        for mark in item.iter_markers(MARK):
            names.update(dict.fromkeys(mark.args))
    return list(names)


class Prebuild:
    """scripts/build-images.sh NAME for each name in turn, in a thread; the first failure stops it."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self._done = {name: threading.Event() for name in names}
        self._finished = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="image-prebuild", daemon=True)

    @property
    def built(self) -> set[str]:
        return {name for name, done in self._done.items() if done.is_set()}

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        PREBUILD_LOG.parent.mkdir(parents=True, exist_ok=True)
        try:
            with PREBUILD_LOG.open("wb") as log:
                for name in self.names:
                    if self._stopping or not self._build(name, log):
                        break
                    self._done[name].set()
        finally:
            self._finished.set()

    def _build(self, name: str, log) -> bool:
        log.write(f"==> build-images.sh {name}\n".encode())
        log.flush()
        # Its own process group, so stop() ends the docker build it runs too.
        self._process = subprocess.Popen(
            [str(BUILD_SCRIPT), name], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            return self._process.wait(timeout=BUILD_TIMEOUT_S) == 0
        except subprocess.TimeoutExpired:
            self._kill()
            return False

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def wait_for(self, names: list[str]) -> set[str]:
        """Block until each of NAMES is built or the thread has stopped; the ones it built."""
        for name in names:
            if name in self._done:
                while not (self._done[name].wait(timeout=0.2) or self._finished.is_set()):
                    pass
        return self.built.intersection(names)

    def settle(self) -> None:
        """Wait for the whole background run to end, so a foreground build never races it."""
        self._finished.wait(timeout=BUILD_TIMEOUT_S * max(1, len(self.names)))

    def stop(self) -> None:
        """At the end of the session: no further builds, the running one ended."""
        self._stopping = True
        self._kill()


_prebuild: Prebuild | None = None
_built: set[str] = set()


def start_prebuild(session: pytest.Session) -> None:
    """Start building the selected tests' images (none for --collect-only or when none is marked)."""
    global _prebuild
    names = marked_images(session.items)
    if not names or session.config.option.collectonly or _prebuild is not None:
        return
    _prebuild = Prebuild(names)
    _prebuild.start()


def stop_prebuild() -> None:
    if _prebuild is not None:
        _prebuild.stop()


def build_images(*names: str) -> None:
    """scripts/build-images.sh NAME...: after the background builds, only what they did not build."""
    missing = [n for n in names if n not in _built]
    if missing and _prebuild is not None:
        _built.update(_prebuild.wait_for(missing))
        missing = [n for n in missing if n not in _built]
        if missing:
            _prebuild.settle()
    if not missing:
        return
    result = subprocess.run(
        [str(BUILD_SCRIPT), *missing], capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
    )
    assert result.returncode == 0, f"build-images.sh {' '.join(missing)} failed:\n{result.stderr[-3000:]}"
    _built.update(missing)
