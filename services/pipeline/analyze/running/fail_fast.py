"""Stop a run whose tasks are all refused alike -- a wrong key, model name or URL -- with one message,
instead of sending the whole input to a fleet that answers every request the same way."""

from __future__ import annotations

from analyze.fleet.retry import ErrorClass

HINTS = {
    401: "the API key is refused: set VLLM_API_KEY (make analyze) or ANALYZE_API_KEY to the fleet's key",
    403: "the API key is refused: set VLLM_API_KEY (make analyze) or ANALYZE_API_KEY to the fleet's key",
    404: "the judge model or URL is wrong: compare --model / ANALYZE_MODEL with `analyze check`",
    400: "the server rejects the request itself: check the judge settings (model, token limits)",
}


class RefusalStreak:
    """Counts finished tasks in a row that failed with the same refusal; anything else resets it."""

    def __init__(self, after: int) -> None:
        self.after = after  # 0: never stop
        self._reason: str | None = None
        self._count = 0

    def record(self, ok: bool, refused: ErrorClass | None) -> str | None:
        """Feed every finished task; the stop message once `after` in a row were refused alike."""
        if ok or refused is None:
            self._reason, self._count = None, 0
            return None
        if refused.reason == self._reason:
            self._count += 1
        else:
            self._reason, self._count = refused.reason, 1
        if not self.after or self._count < self.after:
            return None
        hint = HINTS.get(refused.status or 0, "")
        return f"the last {self._count} tasks were all refused with the same answer ({refused.reason})" + (
            f"; {hint}" if hint else ""
        )
