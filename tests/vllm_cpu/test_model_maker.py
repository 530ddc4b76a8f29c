"""make-model: a complete, deterministic model directory (no vLLM needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file
from tokenizers import Tokenizer
from vllm_cpu_serve import settings
from vllm_cpu_serve.model_maker import closing_token_bias, make_model

MODEL_FILES = (
    settings.CONFIG_FILE,
    settings.WEIGHTS_FILE,
    settings.TOKENIZER_FILE,
    settings.TOKENIZER_CONFIG_FILE,
    settings.GENERATION_CONFIG_FILE,
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model(tmp_path_factory.mktemp("model"), seed=0)


def _file_bytes(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in MODEL_FILES}


def test_same_seed_gives_the_same_bytes(model_dir: Path, tmp_path: Path) -> None:
    again = make_model(tmp_path / "again", seed=0)
    assert _file_bytes(again) == _file_bytes(model_dir)


def test_another_seed_gives_other_weights(model_dir: Path, tmp_path: Path) -> None:
    other = make_model(tmp_path / "other", seed=1)
    assert (other / settings.WEIGHTS_FILE).read_bytes() != (model_dir / settings.WEIGHTS_FILE).read_bytes()


def test_weights_match_the_config(model_dir: Path) -> None:
    config = json.loads((model_dir / settings.CONFIG_FILE).read_text())
    weights = load_file(str(model_dir / settings.WEIGHTS_FILE))
    vocab, hidden = config["vocab_size"], config["hidden_size"]
    kv_dim = config["num_key_value_heads"] * config["head_dim"]
    assert weights["model.embed_tokens.weight"].shape == (vocab, hidden)
    assert weights["lm_head.weight"].shape == (vocab, hidden)
    assert weights["model.norm.weight"].shape == (hidden,)
    for layer in range(config["num_hidden_layers"]):
        prefix = f"model.layers.{layer}"
        assert weights[f"{prefix}.self_attn.k_proj.weight"].shape == (kv_dim, hidden)
        assert weights[f"{prefix}.mlp.down_proj.weight"].shape == (hidden, config["intermediate_size"])
    assert all(array.dtype == np.float32 for array in weights.values())
    layer_tensors = 9 * config["num_hidden_layers"]
    assert len(weights) == layer_tensors + 3


def test_config_describes_a_small_llama_vllm_cpu_accepts(model_dir: Path) -> None:
    config = json.loads((model_dir / settings.CONFIG_FILE).read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    # vLLM's CPU attention supports head sizes from 32 up, in steps of 16.
    assert config["head_dim"] >= 32 and config["head_dim"] % 16 == 0
    assert config["head_dim"] * config["num_attention_heads"] == config["hidden_size"]
    assert config["max_position_embeddings"] >= settings.MAX_MODEL_LEN
    tokenizer = Tokenizer.from_file(str(model_dir / settings.TOKENIZER_FILE))
    assert config["vocab_size"] == tokenizer.get_vocab_size()
    assert config["eos_token_id"] == tokenizer.token_to_id(settings.IM_END)


def test_generation_config_stops_on_im_end(model_dir: Path) -> None:
    generation = json.loads((model_dir / settings.GENERATION_CONFIG_FILE).read_text())
    tokenizer = Tokenizer.from_file(str(model_dir / settings.TOKENIZER_FILE))
    assert tokenizer.token_to_id(settings.IM_END) in generation["eos_token_id"]


def test_weights_are_a_few_megabytes_and_world_readable(model_dir: Path) -> None:
    weights = model_dir / settings.WEIGHTS_FILE
    assert 1_000_000 < weights.stat().st_size < 10_000_000
    assert weights.stat().st_mode & 0o044 == 0o044


def test_prior_favours_eos_and_string_closers(model_dir: Path) -> None:
    tokenizer = Tokenizer.from_file(str(model_dir / settings.TOKENIZER_FILE))
    bias = closing_token_bias(tokenizer)
    eos = tokenizer.token_to_id(settings.IM_END)
    quote = tokenizer.token_to_id('"')
    assert bias[eos] == settings.EOS_LOGIT_BIAS
    assert bias[quote] == settings.STRING_CLOSER_LOGIT_BIAS
    # Every favoured token closes a string or the message: bare "," "}" "]" would loop inside strings.
    for token_id in bias:
        assert token_id == eos or tokenizer.decode([token_id]).startswith('"')
    head = load_file(str(model_dir / settings.WEIGHTS_FILE))["lm_head.weight"]
    assert head[eos, 0] > head[quote, 0] > 0
    unbiased = [i for i in range(head.shape[0]) if i not in bias]
    assert not head[unbiased, 0].any()
