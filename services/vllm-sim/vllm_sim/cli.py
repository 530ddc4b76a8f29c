"""Command line: every option is a flag, and also read from env `VLLM_SIM_<NAME>`; flags win."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from vllm_sim.settings import OPTIONS, ConfigError, SimConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vllm-sim",
        description="Simulator of vLLM's OpenAI-compatible server: latency, capacity, faults.",
    )
    for opt in OPTIONS:
        # default None: "not given", so the env var or the built-in default applies
        parser.add_argument(
            opt.flag, dest=opt.name, default=None, metavar=opt.name.upper(),
            help=f"{opt.help} (env {opt.env}; default {opt.default})",
        )  # fmt: skip
    return parser


def config_from_sources(argv: Sequence[str] | None, env: Mapping[str, str]) -> SimConfig:
    """Flags first, then env, then defaults; raises ConfigError naming the option and its source."""
    args = build_parser().parse_args(argv)
    config = SimConfig()
    for opt in OPTIONS:
        raw = getattr(args, opt.name)
        source = opt.flag
        if raw is None:
            raw = env.get(opt.env)
            source = opt.env
        if raw is None:
            continue
        try:
            config = config.updated({opt.name: raw})
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from exc
    return config.updated({})  # re-check cross-field rules once everything is in


def main(argv: Sequence[str] | None = None) -> None:
    from vllm_sim.server import serve  # keep `--help` fast

    try:
        config = config_from_sources(argv, os.environ)
    except ConfigError as exc:
        print(f"vllm-sim: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    serve(config)
