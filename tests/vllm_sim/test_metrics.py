from prometheus_client.parser import text_string_to_metric_families
from vllm_sim.metrics import SIM_METRIC_NAMES, VLLM_METRIC_NAMES, SimMetrics
from vllm_sim.scheduler import SlotPool


def _samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def test_every_claimed_name_is_exposed_with_the_model_label() -> None:
    text = SimMetrics().render('m"odel', SlotPool(4, 8), 1000)
    samples = _samples(text)
    for name in VLLM_METRIC_NAMES + SIM_METRIC_NAMES:
        if name == "vllm_sim:requests_total":
            continue  # one series per status seen; none yet
        found = samples.get(name) or samples.get(name + "_count")
        assert found, name
        assert all(s.labels["model_name"] == 'm"odel' for s in found)


def test_histogram_buckets_are_cumulative() -> None:
    metrics = SimMetrics()
    for value in (0.1, 0.4, 0.4, 3.0, 10_000.0):
        metrics.e2e.observe(value)
    samples = _samples(metrics.render("m", SlotPool(1, 1), 10))
    buckets = {s.labels["le"]: s.value for s in samples["vllm:e2e_request_latency_seconds_bucket"]}
    assert (buckets["0.3"], buckets["0.5"], buckets["5.0"], buckets["+Inf"]) == (1, 3, 4, 5)
    assert samples["vllm:e2e_request_latency_seconds_count"][0].value == 5
    assert samples["vllm:e2e_request_latency_seconds_sum"][0].value == 10_003.9


def test_counters_and_gauges_carry_their_values() -> None:
    metrics = SimMetrics(prompt_tokens=12, generation_tokens=34)
    metrics.success_by_reason["length"] += 2
    metrics.responses_by_code[429] += 1
    samples = _samples(metrics.render("m", SlotPool(7, 1), 10))
    assert samples["vllm:prompt_tokens_total"][0].value == 12
    assert samples["vllm:generation_tokens_total"][0].value == 34
    assert samples["vllm_sim:max_num_seqs"][0].value == 7
    by_reason = {s.labels["finished_reason"]: s.value for s in samples["vllm:request_success_total"]}
    assert by_reason == {"stop": 0, "length": 2}
    assert samples["vllm_sim:requests_total"][0].labels["code"] == "429"
