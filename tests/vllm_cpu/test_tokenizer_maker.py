"""The locally trained byte-level BPE tokenizer, loaded the way vLLM loads it (tokenizer.json)."""

from __future__ import annotations

import jinja2.sandbox
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from tokenizers import Tokenizer
from vllm_cpu_serve import settings
from vllm_cpu_serve.model_maker import make_model
from vllm_cpu_serve.tokenizer_maker import tokenizer_config, train_tokenizer

ROUND_TRIP_TEXTS = [
    "Score each candidate from 1 to 10.",
    "请作为严格的代码评审员，对每个候选方案打分。",
    "def f(x):\n\treturn {'a': [1, 2]}  # 注释 🙂\r\n",
    '{"label":"A","scores":{"correctness":7}}',
    "never seen: Ωμέγα, кириллица, עברית, \x00\x7f",
    "",
]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    model_dir = make_model(tmp_path_factory.mktemp("model"), seed=0)
    return Tokenizer.from_file(str(model_dir / settings.TOKENIZER_FILE))


@pytest.mark.parametrize("text", ROUND_TRIP_TEXTS)
def test_text_round_trips(tokenizer: Tokenizer, text: str) -> None:
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    assert tokenizer.decode(ids, skip_special_tokens=False) == text


@hypothesis_settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_round_trips(tokenizer: Tokenizer, text: str) -> None:
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    assert tokenizer.decode(ids, skip_special_tokens=False) == text


def test_vocabulary_reaches_the_target_with_learned_merges(tokenizer: Tokenizer) -> None:
    assert tokenizer.get_vocab_size() == settings.VOCAB_SIZE
    # Learned merges make common text shorter than its bytes.
    text = "The solution handles the empty input correctly."
    assert len(tokenizer.encode(text).ids) < len(text.encode()) / 2


def test_special_tokens_have_fixed_ids_and_stay_whole(tokenizer: Tokenizer) -> None:
    assert [tokenizer.token_to_id(t) for t in settings.SPECIAL_TOKENS] == [0, 1, 2]
    ids = tokenizer.encode(f"{settings.IM_START}user\nhi{settings.IM_END}").ids
    assert ids[0] == tokenizer.token_to_id(settings.IM_START)
    assert ids[-1] == tokenizer.token_to_id(settings.IM_END)


def test_training_is_deterministic() -> None:
    assert train_tokenizer(3).to_str() == train_tokenizer(3).to_str()


def render_chat(messages: list[dict], add_generation_prompt: bool) -> str:
    # transformers renders chat templates in an immutable sandbox with these two options.
    environment = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    template = environment.from_string(tokenizer_config(2048)["chat_template"])
    return template.render(messages=messages, add_generation_prompt=add_generation_prompt)


def test_chat_template_renders_chatml() -> None:
    messages = [
        {"role": "system", "content": "You are a judge."},
        {"role": "user", "content": "比较 A 和 B"},
    ]
    assert render_chat(messages, add_generation_prompt=True) == (
        "<|im_start|>system\nYou are a judge.<|im_end|>\n"
        "<|im_start|>user\n比较 A 和 B<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert render_chat(messages[:1], add_generation_prompt=False).endswith("<|im_end|>\n")


def test_chat_template_joins_content_parts() -> None:
    parts = [{"type": "text", "text": "first "}, {"type": "text", "text": "second"}]
    rendered = render_chat([{"role": "user", "content": parts}], add_generation_prompt=False)
    assert rendered == "<|im_start|>user\nfirst second<|im_end|>\n"


def test_tokenizer_config_names_its_special_tokens() -> None:
    config = tokenizer_config(2048)
    assert config["eos_token"] == settings.IM_END
    assert config["pad_token"] == settings.PAD_TOKEN
    assert config["model_max_length"] == 2048
