"""OpenAI-shaped errors with the HTTP statuses vLLM uses."""

from __future__ import annotations

from typing import Any

# vLLM names the error `type` after the HTTP status class.
_TYPES = {
    400: "BadRequestError",
    401: "Unauthorized",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}


class ApiError(Exception):
    """Raised anywhere in request handling; the server turns it into a JSON error response."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": _TYPES.get(self.status, "Error"),
                "param": self.param,
                "code": self.status,
            }
        }


def context_length_error(max_model_len: int, prompt_tokens: int, max_tokens: int | None) -> ApiError:
    """vLLM's wording, which clients match on ("maximum context length")."""
    if max_tokens is None:
        detail = f"{prompt_tokens} tokens in the messages"
    else:
        detail = (
            f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, "
            f"{max_tokens} in the completion)"
        )
    return ApiError(
        400,
        f"This model's maximum context length is {max_model_len} tokens. However, you requested "
        f"{detail}. Please reduce the length of the messages or completion.",
        param="messages",
    )


def exceeds_context(max_model_len: int, prompt_tokens: int, max_tokens: int | None) -> bool:
    if max_tokens is None:
        return prompt_tokens >= max_model_len
    return prompt_tokens + max_tokens > max_model_len
