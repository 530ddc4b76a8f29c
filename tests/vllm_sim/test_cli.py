import shlex

import pytest
from vllm_sim.cli import config_from_sources
from vllm_sim.settings import ConfigError


def test_env_is_read_when_the_flag_is_absent() -> None:
    config = config_from_sources([], {"VLLM_SIM_MAX_NUM_SEQS": "6", "VLLM_SIM_NAME": "vllm-3"})
    assert (config.max_num_seqs, config.name) == (6, "vllm-3")


def test_flags_win_over_env() -> None:
    config = config_from_sources(["--max-num-seqs", "9"], {"VLLM_SIM_MAX_NUM_SEQS": "6"})
    assert config.max_num_seqs == 9


def test_every_required_flag_is_accepted() -> None:
    argv = shlex.split(
        "--host 0.0.0.0 --port 9 --name n --model m --max-num-seqs 2 --max-waiting 3 --max-model-len 100 "
        "--ttft-overhead-ms 1 --prefill-ms-per-token 0.5 --itl-ms 2 --output-len uniform:1:4 --load-factor 1 "
        "--jitter 0.2 --time-scale 0 --seed 7 --api-key k --fail-429 0.1 --fail-500 0.1 --fail-503 0.1 "
        "--fail-400-context 0.1 --hang-rate 0.1 --startup-delay 1 --crash-after 5"
    )
    config = config_from_sources(argv, {})
    assert config.to_json()["output_len"] == "uniform:1:4"
    assert (config.host, config.port, config.crash_after, config.hang_rate) == ("0.0.0.0", 9, 5, 0.1)


def test_errors_name_the_flag_or_env_var() -> None:
    with pytest.raises(ConfigError, match="--itl-ms: itl_ms: must be >= 0"):
        config_from_sources(["--itl-ms", "-1"], {})
    with pytest.raises(ConfigError, match="VLLM_SIM_FAIL_500: fail_500"):
        config_from_sources([], {"VLLM_SIM_FAIL_500": "2"})
