"""A small in-process OpenAI-compatible judge server for the pipeline's unit tests.

It answers /v1/chat/completions with a verdict derived from the candidates' code (so the verdict does
not depend on the shown order unless `by_position` is set), and lets a test inject any response.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from analyze.constants import SESSION_HEADER
from analyze.progress import Console
from analyze.settings import Settings

BLOCK = re.compile(r"<<<BEGIN CANDIDATE (\w+) (#\w+)>>>\n(.*?)\n<<<END CANDIDATE \1 \2>>>", re.DOTALL)
DIMENSIONS = ("correctness", "readability", "efficiency", "robustness", "maintainability")

Behaviour = Callable[[dict[str, Any], int], web.StreamResponse | None]


def shown_candidates(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, code) pairs in the order the prompt shows them (a repair turn may follow the prompt)."""
    for message in body["messages"]:
        found = [(m.group(1), m.group(3)) for m in BLOCK.finditer(message["content"])]
        if message["role"] == "user" and found:
            return found
    return []


def quality(code: str) -> int:
    return 1 + int(hashlib.sha256(code.encode()).hexdigest(), 16) % 10


def fake_verdict(body: dict[str, Any], *, by_position: bool = False) -> dict[str, Any]:
    """A verdict in the schema's field order, its ranking consistent with its scores.

    `by_position`: the judge prefers whatever is shown first (scores fall with the position).
    """
    shown = shown_candidates(body)
    if by_position:
        score = {label: 10 - i for i, (label, _) in enumerate(shown)}
    else:
        score = {label: quality(code) for label, code in shown}
    ranking = [label for label, code in sorted(shown, key=lambda lc: (-score[lc[0]], lc[1]))]
    return {
        "issues": {
            label: [{"category": "robustness", "severity": "low", "text": "no input check"}] if i == 0 else []
            for i, (label, _) in enumerate(shown)
        },
        "rationale": "judged by the fake",
        "scores": {
            label: {**dict.fromkeys(DIMENSIONS, score[label]), "overall": score[label]} for label, _ in shown
        },
        "ranking": ranking,
    }


def completion(
    content: str,
    model: str = "fake-judge",
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"object": "error", "message": message, "type": "BadRequestError", "code": status}
    return web.json_response(body, status=status, headers=headers)


@dataclass
class FakeJudgeServer:
    name: str = "fake-1"
    model: str = "fake-judge"
    by_position: bool = False
    max_model_len: int | None = None  # listed in /v1/models as vLLM does, when set
    behaviour: Behaviour | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[str | None] = field(default_factory=list)  # each request's X-Session-ID header
    models_reads: int = 0  # GET /v1/models answered (start-up reads the list once per backend)
    port: int = 0

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            self.sessions.append(request.headers.get(SESSION_HEADER))
            n = len(self.requests)
        reply = self.behaviour(body, n) if self.behaviour else None
        if reply is None and not shown_candidates(body):
            reply = web.json_response(completion("Hello!"))  # a plain chat, not a judge prompt
        if reply is None:
            verdict = fake_verdict(body, by_position=self.by_position)
            reply = web.json_response(completion(json.dumps(verdict)))
        reply.headers["x-served-by"] = self.name
        return reply

    async def _models(self, _request: web.Request) -> web.Response:
        with self._lock:
            self.models_reads += 1
        entry: dict[str, Any] = {"id": self.model, "object": "model"}
        if self.max_model_len is not None:
            entry["max_model_len"] = self.max_model_len
        return web.json_response({"object": "list", "data": [entry]})

    async def _health(self, _request: web.Request) -> web.Response:
        return web.Response(text="")

    async def _metrics(self, _request: web.Request) -> web.Response:
        text = (
            'vllm:num_requests_running{model_name="m"} 2.0\nvllm:num_requests_waiting{model_name="m"} 1.0\n'
        )
        return web.Response(text=text)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def __enter__(self) -> FakeJudgeServer:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


PY_GOOD = "def add(a, b):\n    return a + b\n"
PY_BAD = "def add(a, b):\n    return a - b\n"


def make_task(task_id: str, n: int = 3, **extra: Any) -> dict[str, Any]:
    codes = [PY_GOOD, PY_BAD, "def add(a, b):\n    return sum([a, b])\n", "add = lambda a, b: a + b\n"]
    return {
        "task_id": task_id,
        "problem": f"Write add() for {task_id}",
        "language": "python",
        "candidates": [
            {"id": f"c{i}", "model": f"m{i % 2}", "code": codes[i % 4] + f"# {task_id} {i}\n"}
            for i in range(n)
        ],
        **extra,
    }


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def fast_settings(tmp_path: Path, base_urls: list[str], **overrides: Any) -> Settings:
    """Settings for tests: explicit backends, tiny backoff, no report, small timeouts."""
    values: dict[str, Any] = {
        "input_jsonl": tmp_path / "tasks.jsonl",
        "output_dir": tmp_path / "out",
        "base_urls": base_urls,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "retry_after_max_s": 0.05,
        "backend_cooldown_s": 0.2,
        "timeout_s": 5.0,
        "concurrency": "8",
        "lang": "en",
        "wait_ready_s": 10.0,
        "ready_poll_s": 0.1,
        **overrides,
    }
    return Settings.model_validate(values)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


USER_ENV_PREFIXES = ("ANALYZE_", "VLLM_", "USE_MULTI_VLLM", "INPUT_JSONL", "OUTPUT_DIR")


def clear_user_env(monkeypatch: Any) -> None:
    """Drop the caller's ANALYZE_*/seed variables so a CLI test sees only its own flags."""
    for name in list(os.environ):
        if name.startswith(USER_ENV_PREFIXES):
            monkeypatch.delenv(name)


def largest_verdict(labels: list[str], schema: dict[str, Any]) -> dict[str, Any]:
    """A verdict at every bound: most issues, longest texts of 4-byte characters, longest numbers."""
    props = schema["properties"]
    issue_items = props["issues"]["properties"][labels[0]]
    text_chars = issue_items["items"]["properties"]["text"]["maxLength"]
    issue = {"category": "maintainability", "severity": "critical", "text": "😀" * text_chars}
    card = {key: 10 for key in props["scores"]["properties"][labels[0]]["properties"]}
    return {
        "issues": {label: [issue] * issue_items["maxItems"] for label in labels},
        "rationale": "😀" * props["rationale"]["maxLength"],
        "scores": {label: dict(card) for label in labels},
        "ranking": list(labels),
    }


def quiet() -> Console:
    """An English console that writes nowhere visible (the tests read the journal, not the output)."""
    return Console("en", stream=io.StringIO())
