"""Where an API lives: the one reading of a spec's ``servers`` every command shares.

``check``, ``new``, the runner and the mock all ask :func:`resolve_server`, so they agree on the
URL an example calls:

* the project's ``[tool.snippetgen.apis.<name>] base_url`` wins when it is set;
* else the first server of the document, its ``{variables}`` replaced by their ``default``;
* a relative server URL (``/api/v3``) or no ``servers`` at all has no origin: the examples get the
  placeholder origin ``https://<api>.example`` in front of the server's path, and the result is
  flagged (``placeholder``) so ``check`` can say to set ``base_url``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_VARIABLE = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Server:
    """The base URL examples call for one API."""

    url: str
    """Absolute, without a trailing slash (``https://petstore3.example/api/v3``)."""
    source: str
    """``project`` (``base_url``), ``spec`` (an absolute server URL) or ``placeholder``."""
    pointer: str = "/servers"
    """JSON pointer of the spec value it came from (for located problems)."""

    @property
    def placeholder(self) -> bool:
        """The spec gives no absolute origin and the project sets no ``base_url``."""
        return self.source == "placeholder"

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path(self) -> str:
        """The path prefix every operation path is appended to (``/api/v3``, or empty)."""
        return urlsplit(self.url).path.rstrip("/")


def placeholder_origin(api: str) -> str:
    """``https://<api>.example`` with the API name made a valid host label."""
    label = re.sub(r"[^a-z0-9-]+", "-", api.lower()).strip("-") or "api"
    return f"https://{label[:63].strip('-') or 'api'}.example"


def server_template(document: Any) -> tuple[str, str]:
    """The first server's URL with its variables filled by their defaults, and its pointer.

    A variable without a default becomes its name; no ``servers`` (or an unusable entry) is ``/``.
    """
    servers = document.get("servers") if isinstance(document, dict) else None
    first = servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], dict) else None
    if first is None or not isinstance(first.get("url"), str) or not first["url"].strip():
        return "/", "/servers"
    declared = first.get("variables")
    variables: dict[str, Any] = declared if isinstance(declared, dict) else {}

    def fill(match: re.Match[str]) -> str:
        var = variables.get(match.group(1))
        default = var.get("default") if isinstance(var, dict) else None
        return str(default) if default is not None else match.group(1)

    return _VARIABLE.sub(fill, first["url"].strip()), "/servers/0/url"


def resolve_server(document: Any, api: str, base_url: str | None = None) -> Server:
    """The base URL of API ``api`` (see the module docstring); ``base_url`` is the project's setting."""
    if base_url:
        return Server(base_url.rstrip("/"), "project")
    url, pointer = server_template(document)
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return Server(url.rstrip("/"), "spec", pointer)
    # Relative (``/api/v3``, ``v1``, ``.``): resolved against nothing, so against a placeholder origin.
    path = parts.path if not parts.scheme else ""
    path = "/" + path.lstrip("./") if path.strip("./") else ""
    return Server((placeholder_origin(api) + path).rstrip("/"), "placeholder", pointer)
