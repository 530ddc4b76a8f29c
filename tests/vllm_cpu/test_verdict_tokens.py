"""The token budget's premise on a real tokenizer: SmolLM2's (prepared by prepare-model) never spends
more tokens on the largest verdict the schema admits than analyze.judging.budget allows, whatever the
script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analyze.judging.budget import LEAST_BOUNDS, PREFERRED_BOUNDS, VerdictBounds
from analyze.judging.prompt import label_for
from analyze.judging.verdict import response_format, verdict_max_tokens
from tokenizers import Tokenizer
from vllm_cpu_serve import settings

from tests.analyze.judge_fakes import largest_verdict

pytestmark = [pytest.mark.vllm_cpu]

# Characters that cost a byte-level BPE the most: 4-byte emoji, rare CJK, and ASCII punctuation runs.
FILLERS = ("😀", "龘", "~", "é")


@pytest.mark.parametrize("n", [2, 3, 6, 10])
@pytest.mark.parametrize("bounds", [PREFERRED_BOUNDS, LEAST_BOUNDS])
def test_the_largest_verdict_fits_its_token_bound(smollm2_files: Path, n: int, bounds: VerdictBounds) -> None:
    tokenizer = Tokenizer.from_file(str(smollm2_files / settings.TOKENIZER_FILE))
    labels = [label_for(i) for i in range(n)]
    schema = response_format(labels, bounds)["json_schema"]["schema"]
    for filler in FILLERS:
        text = json.dumps(largest_verdict(labels, schema), ensure_ascii=False, separators=(",", ":"))
        text = text.replace("😀", filler)
        tokens = len(tokenizer.encode(text, add_special_tokens=False).ids) + 1  # and the end token
        assert tokens <= verdict_max_tokens(labels, bounds), (filler, tokens)
