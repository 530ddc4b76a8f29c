"""What `vllm run-batch` does, against a running server: each Batch input line posted, one output line back.

Used on the simulator (which has no batch runner); the output lines have the OpenAI Batch output shape
`{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx


def replay_batch(requests_path: Path, base_url: str, out_path: Path) -> Path:
    """Post every request of the Batch file to `base_url` (…/v1) and write the Batch output file."""
    lines = []
    with httpx.Client(timeout=30) as client:
        for number, raw in enumerate(requests_path.read_text(encoding="utf-8").splitlines(), start=1):
            request = json.loads(raw)
            response = client.post(base_url.removesuffix("/v1") + request["url"], json=request["body"])
            ok = response.status_code == 200
            lines.append({
                "id": f"batch_req_{number}",
                "custom_id": request["custom_id"],
                "response": {"status_code": response.status_code, "request_id": f"req_{number}",
                             "body": response.json() if ok else None},
                "error": None if ok else response.text,
            })  # fmt: skip
    out_path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return out_path
