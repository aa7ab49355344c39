"""Fetch an http(s) URL for ingestion: bytes, content type and final URL.

Plain urllib with a timeout and a size cap. Every failure becomes a ValueError
whose message says what went wrong in one line, and a missing network says so
("cannot fetch (network unreachable: ...)"). It does not parse what it fetched;
the loader picks a format from the content type.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

__all__ = ["Fetched", "fetch_url", "is_url"]

USER_AGENT = "Citewire/1.0 (+news archive ingestion)"


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str  # lower-case media type without parameters, e.g. "text/html"
    charset: str  # declared charset or ""
    data: bytes


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _network_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.gaierror):
        return f"cannot fetch (network unreachable or unknown host: {reason.strerror or reason})"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "cannot fetch (timed out)"
    if isinstance(reason, OSError):
        return f"cannot fetch (network unreachable: {reason.strerror or reason})"
    return f"cannot fetch ({reason})"


def fetch_url(url: str, timeout: float = 20.0, max_bytes: int = 50 * 1024 * 1024) -> Fetched:
    """GET `url`; ValueError with a one-line reason on any failure."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(max_bytes + 1)
            final_url = response.geturl()
            content_type = response.headers.get_content_type() or ""
            charset = response.headers.get_content_charset() or ""
    except urllib.error.HTTPError as exc:
        raise ValueError(f"cannot fetch (HTTP {exc.code} {exc.reason})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ValueError(_network_reason(exc)) from None
    except http.client.HTTPException as exc:  # InvalidURL ("https://a b", a NUL, a bad port), IncompleteRead
        raise ValueError(f"cannot fetch ({exc})") from None
    except ValueError as exc:  # malformed URL
        raise ValueError(f"cannot fetch ({exc})") from None
    if len(data) > max_bytes:
        raise ValueError(f"response too large (> {max_bytes // (1024 * 1024)} MB)")
    if not data:
        raise ValueError("empty response")
    return Fetched(url=final_url, content_type=content_type.lower(), charset=charset, data=data)
