"""Resource abuse ends as timeout or error while a well-behaved neighbour on another slot still passes,
and the server stays healthy; every slot works afterwards (nothing left behind counts against it)."""

from __future__ import annotations

import pytest

from .sandbox_stack import Sandbox
from .shapes import GOOD, script, stdio

pytestmark = [pytest.mark.docker, pytest.mark.images("sandbox")]

FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
ESCAPEE = """
import os, time
if os.fork() == 0:
    os.setsid()
    while True:
        pass
time.sleep(60)
"""
CREEP = """
blocks = []
while True:
    blocks.append(bytearray(16 * 1024 ** 2))
"""
ONE_BIG_FILE = """
with open("big", "wb") as f:
    while True:
        f.write(b"x" * 2 ** 20)
"""
MANY_FILES = """
i = 0
while True:
    open(f"f{i}", "wb").write(b"x" * 2 ** 23)
    i += 1
"""
HOSTILE = {
    "fork bomb": (FORK_BOMB, "timeout"),
    "busy loop": ("while True:\n    pass\n", "timeout"),
    "setsid escapee": (ESCAPEE, "timeout"),
    "huge allocation": ("x = bytearray(8 * 1024 ** 3)\n", "error"),
    "creeping allocation": (CREEP, "error"),
    "disk filler, one file": (ONE_BIG_FILE, "error"),
    "disk filler, many files": (MANY_FILES, "error"),
    "output flood": ("import sys\nwhile True:\n    sys.stdout.write('y' * 65536)\n", "error"),
    "stderr flood": ("import sys\nwhile True:\n    sys.stderr.write('y' * 65536)\n", "error"),
    "sleeps past the wall clock": ("import time\ntime.sleep(30)\n", "timeout"),
}


@pytest.mark.parametrize("code, expected", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_candidate_is_contained(box: Sandbox, code: str, expected: str) -> None:
    hostile, neighbour = box.run_together(script("python", code, "", timeout_s=2), GOOD)
    assert hostile["status"] == expected, hostile
    assert neighbour["status"] == "passed", neighbour
    assert box.healthy()
    # as many runs as slots, one after another: each lands on a freshly swept slot and passes
    for _ in range(4):
        assert box.run(**GOOD)["status"] == "passed"


def test_node_heap_exhaustion_is_an_error(box: Sandbox) -> None:
    code = "const a = [];\nwhile (true) a.push(new Array(1e6).fill(1));\n"
    hostile, neighbour = box.run_together(script("javascript", code, "", timeout_s=10), GOOD)
    assert hostile["status"] == "error", hostile
    assert neighbour["status"] == "passed"


def test_node_busy_loop_times_out(box: Sandbox) -> None:
    result = box.run(**stdio("javascript", "while (true) {}", [("", "")], timeout_s=1))
    assert result["status"] == "timeout"


def test_a_file_left_in_scratch_is_gone_for_the_next_execution(box: Sandbox) -> None:
    for _ in range(4):  # whichever slot each lands on
        assert box.run(**script("python", "open('left', 'w').write('x')\n", ""))["status"] == "passed"
    for _ in range(4):
        result = box.run(**script("python", "import os\nassert os.listdir('.') == [], os.listdir('.')\n", ""))
        assert result["status"] == "passed", result
