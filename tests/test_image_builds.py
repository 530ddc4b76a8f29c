"""tests/image_builds.py: the background builds in the marks' order, the first failure stopping them, the
foreground building only what they did not, and a build in progress ended with the session. A shell
script stands in for scripts/build-images.sh and records what it was asked to build (no Docker)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests import image_builds
from tests.image_builds import Prebuild, build_images, marked_images

# argv: the names to build; each is appended to $CALLS; "bad" fails, "slow" sleeps first.
FAKE_BUILD = """#!/bin/sh
echo "$*" >> "{calls}"
case " $* " in *" bad "*) exit 1 ;; *" slow "*) exec sleep 60 ;; esac
"""


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    record = tmp_path / "calls"
    script = tmp_path / "build-images.sh"
    script.write_text(FAKE_BUILD.format(calls=record))
    script.chmod(0o755)
    monkeypatch.setattr(image_builds, "BUILD_SCRIPT", script)
    monkeypatch.setattr(image_builds, "PREBUILD_LOG", tmp_path / "prebuild.log")
    monkeypatch.setattr(image_builds, "_built", set())
    return record


def called(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


class Item:
    def __init__(self, *marks: tuple[str, ...]) -> None:
        self.marks = [pytest.mark.images(*names).mark for names in marks]

    def iter_markers(self, name: str):
        return (mark for mark in self.marks if mark.name == name)


def test_marked_images_are_named_once_in_the_order_first_needed() -> None:
    items = [Item(), Item(("sandbox",)), Item(("vllm-sim", "nginx"), ("sandbox",)), Item(("nginx", "x"))]
    assert marked_images(items) == ["sandbox", "vllm-sim", "nginx", "x"]


def test_the_first_failure_stops_the_background_and_waiting_for_the_rest_returns(calls: Path) -> None:
    prebuild = Prebuild(["a", "bad", "c"])
    prebuild.start()
    assert prebuild.wait_for(["a"]) == {"a"}
    assert prebuild.wait_for(["c", "a"]) == {"a"}  # "c" is never built: no hang
    prebuild.settle()
    assert called(calls) == ["a", "bad"]
    assert "==> build-images.sh bad" in image_builds.PREBUILD_LOG.read_text()


def test_the_foreground_builds_only_what_the_background_did_not(
    calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prebuild = Prebuild(["a", "bad", "c"])
    monkeypatch.setattr(image_builds, "_prebuild", prebuild)
    prebuild.start()
    build_images("a", "c")
    assert called(calls) == ["a", "bad", "c"]  # "c" alone, after the background run ended
    build_images("a", "c")
    assert called(calls) == ["a", "bad", "c"]  # each at most once per session


def test_a_failed_foreground_build_fails_with_the_scripts_message(
    calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_builds, "_prebuild", None)
    with pytest.raises(AssertionError, match=r"build-images\.sh bad failed"):
        build_images("bad")


def test_stop_ends_the_build_in_progress(calls: Path) -> None:
    prebuild = Prebuild(["slow", "after"])
    prebuild.start()
    deadline = time.monotonic() + 10
    while "slow" not in called(calls) and time.monotonic() < deadline:
        time.sleep(0.05)
    prebuild.stop()
    prebuild.settle()
    assert prebuild.built == set() and called(calls) == ["slow"]
