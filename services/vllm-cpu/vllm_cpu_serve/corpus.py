"""Training text for the tokenizer, made here from a few shipped phrases (no downloads).

The mix follows what the judge fleet sends and receives: English review prose, code in several
languages, compact JSON verdicts and Chinese text. Each line is also recombined with a seeded RNG so
byte-pair merges have enough varied material to reach the target vocabulary.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from vllm_cpu_serve import settings

PROSE = (
    "The solution handles the empty input but fails when the list contains duplicates.",
    "Candidate A is correct and readable; candidate B is faster but ignores overflow.",
    "You are a strict code reviewer. Score each candidate from 1 to 10 and rank them.",
    "Readability, correctness, efficiency, robustness and maintainability are scored separately.",
    "The function returns early on invalid arguments and raises a clear error otherwise.",
    "This implementation allocates a new buffer on every call, which is wasteful.",
    "Consider the edge cases: zero, negative numbers, very large inputs and unicode strings.",
    "The tests cover the happy path only; a timeout or a network error is never simulated.",
)
CHINESE = (
    "请作为严格的代码评审员，对每个候选方案从一到十打分并给出排名。",
    "该方案正确处理了空输入，但在列表包含重复元素时会出错。",
    "候选A可读性好，候选B效率更高但忽略了整数溢出。",
    "代码结构清晰，命名合理，但缺少对异常情况的处理。",
    "时间复杂度为线性，空间复杂度为常数，整体实现简洁高效。",
    "建议增加单元测试，覆盖边界条件和错误路径。",
)
CODE = (
    "def merge_sorted(left: list[int], right: list[int]) -> list[int]:\n    result = []\n",
    "    while i < len(left) and j < len(right):\n        if left[i] <= right[j]:\n",
    "for (let i = 0; i < items.length; i++) { total += items[i].price * items[i].count; }\n",
    "func Sum(xs []int) int {\n\ttotal := 0\n\tfor _, x := range xs {\n\t\ttotal += x\n\t}\n",
    "\treturn total\n}\n",
    "public static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n",
    "fn parse(line: &str) -> Result<u32, ParseIntError> { line.trim().parse::<u32>() }\n",
    "SELECT task_id, COUNT(*) FROM results WHERE rank = 1 GROUP BY task_id ORDER BY 2 DESC;\n",
    '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }\n',
)
LABELS = ("A", "B", "C", "D", "E", "F", "G", "H")
CRITERIA = ("correctness", "readability", "efficiency", "robustness", "maintainability")


def _verdict(rng: random.Random) -> str:
    labels = LABELS[: rng.randint(2, len(LABELS))]
    verdict = {
        "candidates": [
            {"label": label, "scores": {c: rng.randint(1, 10) for c in CRITERIA}} for label in labels
        ],
        "ranking": rng.sample(labels, len(labels)),
        "rationale": rng.choice(PROSE + CHINESE),
    }
    return json.dumps(verdict, ensure_ascii=False, separators=(",", ":"))


def _shuffled_words(line: str, rng: random.Random) -> str:
    words = line.split(" ")
    rng.shuffle(words)
    return " ".join(words)


def corpus_lines(seed: int, repeats: int = settings.CORPUS_REPEATS) -> Iterator[str]:
    """Yield the same text for the same seed, shipped lines first."""
    rng = random.Random(seed)
    shipped = PROSE + CHINESE + CODE
    yield from shipped
    for _ in range(repeats):
        yield _shuffled_words(rng.choice(PROSE), rng)
        yield "".join(rng.sample(rng.choice(CHINESE), k=12))
        yield rng.choice(CODE).replace("total", rng.choice(("acc", "sum_", "count", "total")))
        yield _verdict(rng)
        yield f"{rng.randint(0, 10**6)} {rng.random():.4f} 0x{rng.getrandbits(32):08x}"
