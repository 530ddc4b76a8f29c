"""The one place that turns what users type into backend URLs, and a base URL into its server root.

A URL holding credentials (`http://user:pass@host/v1`) is refused: every backend URL is written to the
journal, the console and the report, so a password in one would leave memory. The API key goes in
ANALYZE_API_KEY instead, sent as a header and recorded nowhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

API_SUFFIX = "/v1"


class CredentialsInURL(ValueError):
    """A URL with user info; the message shows it with the user info masked."""


def redact_url(url: str) -> str:
    """`url` with any user info replaced by `***`, for messages."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{authority}{slash}{path}"


def refuse_credentials(url: str, what: str = "a backend URL") -> None:
    candidate = url if "://" in url else f"http://{url}"
    try:
        parts = urlsplit(candidate)
        has_user_info = parts.username is not None or parts.password is not None
    except ValueError as exc:  # an unparsable port or bracket: not a URL at all
        raise ValueError(f"{what} {redact_url(url)!r} is not a URL ({exc})") from exc
    if has_user_info or "@" in candidate.partition("://")[2].partition("/")[0]:
        raise CredentialsInURL(
            f"{what} {redact_url(url)!r} holds credentials: they would be written to the journal and the "
            "report. Give the API key in ANALYZE_API_KEY (sent as a Bearer header) and the URL without them"
        )


def normalize_base_url(url: str) -> str:
    """`host:port`, `http://host:port` and `.../v1/` all mean `http://host:port/v1`; refuses credentials."""
    text = url.strip().rstrip("/")
    refuse_credentials(text)
    if "://" not in text:
        text = f"http://{text}"
    if not text.endswith(API_SUFFIX):
        text = f"{text}{API_SUFFIX}"
    return text


def server_root(base_url: str) -> str:
    """`http://host:port/v1` (or any form above) -> `http://host:port`: where /health and /metrics live."""
    return normalize_base_url(base_url).removesuffix(API_SUFFIX)
