"""The stateful mock server: every OpenAPI document of a directory served on loopback, one port per API.

    with MockServer(Path("shared/openapi")) as mock:
        requests.post(mock.base_urls["aiart"] + "/api/generate", json={...})

The same mock without a server, as a function from request to response values:

    mock = Responder.load(Path("shared/openapi"))
    mock.respond(Request("POST", "/api/generate", api="aiart", headers={...}, body=b"{...}"))

Behaviour beyond plain OpenAPI comes from the specs' ``x-mock`` extensions
(docs/reference/mock-extensions.md).
"""

from typing import Any

from .settings import DEFAULT_KEY, MockSettings

__all__ = [
    "DEFAULT_KEY",
    "MockServer",
    "MockSettings",
    "Proxy",
    "ProxyServer",
    "Request",
    "Responder",
    "Response",
    "serve",
    "serve_proxy",
]


def __getattr__(name: str) -> Any:
    # The server pulls in uvicorn, and the responder the spec compiler: importing mock.media or the
    # settings must do neither. The responder itself never imports uvicorn or starlette.
    if name in ("MockServer", "ProxyServer", "serve", "serve_proxy"):
        from . import server  # uvicorn: only when a server is asked for

        return getattr(server, name)
    if name in ("Request", "Responder", "Response"):
        from . import respond  # the spec compiler: only when a responder is asked for

        return getattr(respond, name)
    if name == "Proxy":
        from . import proxy  # the spec compiler: only when a proxy is asked for

        return proxy.Proxy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
