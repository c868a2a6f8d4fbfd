"""The stateful mock server: every OpenAPI document of a directory served on loopback, one port per API.

    with MockServer(Path("shared/openapi")) as mock:
        requests.post(mock.base_urls["aiart"] + "/api/generate", json={...})

Behaviour beyond plain OpenAPI comes from the specs' ``x-mock`` extensions
(docs/reference/mock-extensions.md).
"""

from typing import Any

from .settings import DEFAULT_KEY, MockSettings

__all__ = ["DEFAULT_KEY", "MockServer", "MockSettings", "serve"]


def __getattr__(name: str) -> Any:
    # The server pulls in uvicorn and starlette: importing mock.media or the settings must not.
    if name in ("MockServer", "serve"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
