"""One HTTP exchange with a real API (the validating proxy's only I/O), with the standard library.

Redirects are not followed (the proxy answers them as they come, its ``Location`` rewritten), the
answer is read whole up to a size limit, and only identity encoding is asked for.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from .respond import Response

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
        "host",
        "accept-encoding",
    }
)
"""Headers a proxy does not pass on (framing and encoding are its own)."""
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class UpstreamError(Exception):
    """The API could not be reached or its answer could not be read."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def http_forward(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    timeout: float = 120.0,
    max_bytes: int = 256 * 1024 * 1024,
) -> Response:
    """Send one request to ``url`` and return the API's answer (any status) as a ``Response``."""
    host = urlsplit(url).hostname or ""
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if host in LOOPBACK:
        handlers.append(urllib.request.ProxyHandler({}))  # never send loopback through a proxy
    opener = urllib.request.build_opener(*handlers)
    sent = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
    request = urllib.request.Request(url, data=body or None, method=method)
    for name, value in sent:
        request.add_header(name, value)
    request.add_header("Accept-Encoding", "identity")
    try:
        answer = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        answer = exc
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UpstreamError(f"{type(reason).__name__}: {reason}") from None
    try:
        with answer:
            data = answer.read(max_bytes + 1)
            status = answer.status if answer.status is not None else 502
            pairs = [(k.lower(), v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP]
    except (OSError, http.client.HTTPException) as exc:
        raise UpstreamError(f"the answer could not be read: {type(exc).__name__}: {exc}") from None
    if len(data) > max_bytes:
        raise UpstreamError(f"the answer is over {max_bytes} bytes")
    return Response(int(status), pairs, data)
