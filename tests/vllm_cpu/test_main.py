"""The command line: make-model without vLLM or torch, clear errors for serve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from vllm_cpu_serve import settings
from vllm_cpu_serve.__main__ import main

HEAVY_MODULES = ("torch", "vllm", "transformers")


def test_make_model_and_the_launcher_module_import_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from vllm_cpu_serve.__main__ import main\n"
        "import vllm_cpu_serve.launcher\n"
        f"main(['make-model', '--out', {str(tmp_path / 'm')!r}])\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "m" / settings.CONFIG_FILE).is_file()


def test_make_model_writes_the_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["make-model", "--out", str(tmp_path / "tiny"), "--seed", "5"]) == 0
    assert (tmp_path / "tiny" / settings.WEIGHTS_FILE).is_file()
    assert str(tmp_path / "tiny") in capsys.readouterr().out


def test_make_model_rejects_unknown_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["make-model", "--out", str(tmp_path), "--hidden", "128"])
    assert exit_info.value.code == 2
    assert "--hidden" in capsys.readouterr().err


def test_serve_names_a_model_dir_without_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--model", str(tmp_path), "--port", "1"])
    err = capsys.readouterr().err
    assert "--model" in err and settings.CONFIG_FILE in err


def test_serve_requires_a_model(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve"])
    assert "--model" in capsys.readouterr().err
