import pytest
from vllm_sim.settings import OPTIONS, ConfigError, SimConfig


def test_defaults_match_the_documented_contract() -> None:
    config = SimConfig()
    assert (config.model, config.max_num_seqs, config.max_waiting, config.max_model_len) == (
        "sim-model",
        64,
        1024,
        8192,
    )


def test_every_option_is_a_config_field_and_round_trips_through_json() -> None:
    config = SimConfig()
    as_json = config.to_json()
    assert set(as_json) == {o.name for o in OPTIONS}
    assert SimConfig().updated(as_json) == config


def test_strings_and_json_values_are_converted() -> None:
    config = SimConfig().updated({"max_num_seqs": "8", "itl_ms": 2, "output_len": "fixed:5", "seed": 3.0})
    assert config.max_num_seqs == 8
    assert config.itl_ms == 2.0
    assert str(config.output_len) == "fixed:5"
    assert config.seed == 3


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"max_num_seqs": 0}, "max_num_seqs: must be > 0"),
        ({"max_num_seqs": 2.5}, "max_num_seqs: expected an integer"),
        ({"fail_429": 1.5}, "fail_429: must be a probability"),
        ({"jitter": True}, "jitter: expected a number"),
        ({"output_len": "fixed:0"}, "output_len: "),
        ({"model": 3}, "model: expected a string"),
        ({"bogus": 1}, "bogus: unknown option"),
        ({"fail_500": 0.6, "hang_rate": 0.6}, "sum to 1.2 > 1"),
        ({"itl_ms": "fast"}, "itl_ms: cannot read 'fast'"),
    ],
)
def test_invalid_values_name_the_option(changes: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        SimConfig().updated(changes)


def test_host_and_port_are_not_runtime_settable() -> None:
    with pytest.raises(ConfigError, match="port: cannot be changed at run time"):
        SimConfig().updated({"port": 9000}, runtime_only=True)
