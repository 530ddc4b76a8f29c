"""No false pass: every way a candidate can fake completion ends as error or failed, never passed."""

from __future__ import annotations

import pytest

from .sandbox_stack import Sandbox
from .shapes import ADD_TEST, humaneval, script, stdio

pytestmark = [pytest.mark.docker, pytest.mark.images("sandbox")]

WRONG = "def add(a, b):\n    return 0\n"
# A result line as the harness writes one, but without this run's nonce, on every fd it could be.
FORGE_PY = """
import os
for fd in range(3, 64):
    try:
        os.write(fd, b"0123456789abcdef0123456789abcdef %d done passed 1 1 \\"\\"\\n" % os.getpid())
    except OSError:
        pass
"""

PYTHON_CHEATS = {
    "os._exit(0)": WRONG + "import os\nos._exit(0)\n",
    "sys.exit(0) at import": WRONG + "import sys\nsys.exit(0)\n",
    "sys.exit(0) inside check": "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "raise SystemExit in check's call": "def add(a, b):\n    raise SystemExit(0)\n",
    "kill its parent": WRONG + "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
    "close stdout and stderr": WRONG + "import os\nos.close(1)\nos.close(2)\n",
    "print PASSED": WRONG + "print('PASSED')\nprint('1 passed, 0 failed')\n",
    "forge a record and exit": WRONG + FORGE_PY + "os._exit(0)\n",
    "forge a record and fail": WRONG + FORGE_PY,
    "close every fd": WRONG + "import os\nos.closerange(3, 256)\n",
    "a forked child finishes": WRONG.replace("return 0", "return a + b")
    + "import os, time\nif os.fork():\n    os._exit(0)\n",
    "an atexit handler": WRONG + "import atexit, os\natexit.register(lambda: os._exit(0))\n",
}


@pytest.mark.parametrize("code", PYTHON_CHEATS.values(), ids=PYTHON_CHEATS.keys())
def test_python_cheats_never_pass(box: Sandbox, code: str) -> None:
    result = box.run(**humaneval(code, ADD_TEST))
    assert result["status"] in ("error", "failed"), result


JS_CHEATS = {
    "process.exit(0)": "process.exit(0);",
    "process.exit(0) later": "setTimeout(() => process.exit(0), 0);",
    "process.reallyExit(0)": "process.reallyExit(0);",
    "kill its parent": "process.kill(process.ppid, 'SIGKILL');",
    "forge a record": "const fs = require('fs');\nfor (let fd = 3; fd < 64; fd++) { try { fs.writeSync(fd, "
    "'0123456789abcdef0123456789abcdef ' + process.pid + ' done passed 1 1 \"\"\\n'); } catch (e) {} }",
    "print passed": "console.log('passed');",
}


@pytest.mark.parametrize("code", JS_CHEATS.values(), ids=JS_CHEATS.keys())
def test_javascript_cheats_never_pass(box: Sandbox, code: str) -> None:
    test = "setTimeout(() => { require('assert').strictEqual(1, 2); }, 50);"
    result = box.run(**script("javascript", code, test))
    assert result["status"] in ("error", "failed"), result


def test_stdio_output_is_compared_by_the_server(box: Sandbox) -> None:
    """Exiting early with the right-looking output of another case does not pass this one."""
    code = "import os\nprint('4')\nos._exit(0)\n"
    result = box.run(**stdio("python", code, [("2\n", "4\n"), ("3\n", "6\n")]))
    assert result["status"] != "passed" and result["tests_passed"] <= 1
