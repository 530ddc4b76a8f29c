"""`python -m vllm_sim` and the `vllm-sim` console script."""

from vllm_sim.cli import main

if __name__ == "__main__":
    main()
