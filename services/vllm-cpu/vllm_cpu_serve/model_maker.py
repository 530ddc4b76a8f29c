"""make-model: write a tiny random Llama with its tokenizer into a directory vLLM can serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetensors.numpy import save_file
from tokenizers import Tokenizer

from vllm_cpu_serve import settings
from vllm_cpu_serve.files import write_json
from vllm_cpu_serve.tokenizer_maker import tokenizer_config, train_tokenizer
from vllm_cpu_serve.weights import llama_weights


def model_config(vocab_size: int, eos_token_id: int, pad_token_id: int) -> dict[str, Any]:
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": vocab_size,
        "hidden_size": settings.HIDDEN_SIZE,
        "intermediate_size": settings.INTERMEDIATE_SIZE,
        "num_hidden_layers": settings.NUM_LAYERS,
        "num_attention_heads": settings.NUM_ATTENTION_HEADS,
        "num_key_value_heads": settings.NUM_KEY_VALUE_HEADS,
        "head_dim": settings.HIDDEN_SIZE // settings.NUM_ATTENTION_HEADS,
        "hidden_act": "silu",
        "max_position_embeddings": settings.MAX_POSITION_EMBEDDINGS,
        "rms_norm_eps": settings.RMS_NORM_EPS,
        "rope_theta": settings.ROPE_THETA,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": False,
        "bos_token_id": None,
        "eos_token_id": eos_token_id,
        "pad_token_id": pad_token_id,
        "torch_dtype": settings.DTYPE,
        "use_cache": True,
    }


def generation_config(eos_token_id: int, pad_token_id: int) -> dict[str, Any]:
    return {"eos_token_id": [eos_token_id, pad_token_id], "pad_token_id": pad_token_id}


def closing_token_bias(tokenizer: Tokenizer) -> dict[int, float]:
    """Token id -> extra logit for the end-of-message token and the string closers the vocabulary has."""
    bias = {tokenizer.token_to_id(settings.EOS_TOKEN): settings.EOS_LOGIT_BIAS}
    for text in settings.STRING_CLOSER_TOKENS:
        # Encode rather than look up: the vocabulary stores byte-level symbols, not the text itself.
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        if len(ids) == 1:
            bias[ids[0]] = settings.STRING_CLOSER_LOGIT_BIAS
    return bias


def make_model(out_dir: Path, seed: int = settings.DEFAULT_SEED) -> Path:
    """Write config, weights, tokenizer and generation config; the same seed gives the same bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(seed)
    eos_id = tokenizer.token_to_id(settings.EOS_TOKEN)
    pad_id = tokenizer.token_to_id(settings.PAD_TOKEN)
    vocab_size = tokenizer.get_vocab_size()

    tokenizer.save(str(out_dir / settings.TOKENIZER_FILE))
    write_json(out_dir / settings.TOKENIZER_CONFIG_FILE, tokenizer_config(settings.MAX_POSITION_EMBEDDINGS))
    write_json(out_dir / settings.CONFIG_FILE, model_config(vocab_size, eos_id, pad_id))
    write_json(out_dir / settings.GENERATION_CONFIG_FILE, generation_config(eos_id, pad_id))
    weights = llama_weights(vocab_size, closing_token_bias(tokenizer), seed)
    weights_path = out_dir / settings.WEIGHTS_FILE
    save_file(weights, str(weights_path), metadata={"format": "pt"})
    weights_path.chmod(0o644)  # safetensors writes 0600; another user (the image's) must read it
    return out_dir
