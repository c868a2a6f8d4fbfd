"""The stateful mock server: every OpenAPI document of a directory served on loopback, one port per API.

    with MockServer(Path("shared/openapi")) as mock:
        requests.post(mock.base_urls["aiart"] + "/api/generate", json={...})

Behaviour beyond plain OpenAPI comes from the specs' ``x-mock`` extensions
(docs/reference/mock-extensions.md).
"""

from .server import DEFAULT_KEY, MockServer, serve
from .settings import MockSettings

__all__ = ["DEFAULT_KEY", "MockServer", "MockSettings", "serve"]
