"""Train a byte-level BPE tokenizer on the generated corpus and describe it for transformers."""

from __future__ import annotations

from typing import Any

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from vllm_cpu_serve import settings
from vllm_cpu_serve.corpus import corpus_lines


def train_tokenizer(seed: int) -> Tokenizer:
    """Byte-level, so every UTF-8 text (Chinese included) round-trips even with a small vocabulary."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=settings.VOCAB_SIZE,
        min_frequency=settings.MIN_PAIR_FREQUENCY,
        special_tokens=list(settings.SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus_lines(seed), trainer=trainer)
    return tokenizer


def tokenizer_config(model_max_length: int) -> dict[str, Any]:
    """tokenizer_config.json: which class loads tokenizer.json, the special tokens, the chat template."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model_max_length,
        "bos_token": None,
        "eos_token": settings.EOS_TOKEN,
        "pad_token": settings.PAD_TOKEN,
        "unk_token": None,
        "additional_special_tokens": [settings.IM_START, settings.IM_END],
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "chat_template": settings.CHAT_TEMPLATE,
    }
