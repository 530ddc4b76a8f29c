from vllm_sim.faults import Fault, pick_fault
from vllm_sim.settings import SimConfig


def test_probabilities_are_laid_end_to_end() -> None:
    config = SimConfig().updated(
        {"fail_429": 0.1, "fail_500": 0.1, "fail_503": 0.1, "fail_400_context": 0.1, "hang_rate": 0.1}
    )
    picks = [pick_fault(config, u) for u in (0.05, 0.15, 0.25, 0.35, 0.45, 0.55)]
    assert picks == [
        Fault.RATE_LIMIT,
        Fault.SERVER_ERROR,
        Fault.UNAVAILABLE,
        Fault.CONTEXT,
        Fault.HANG,
        Fault.NONE,
    ]


def test_no_faults_by_default() -> None:
    assert pick_fault(SimConfig(), 0.0) is Fault.NONE
