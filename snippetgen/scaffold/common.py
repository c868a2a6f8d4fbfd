"""Helpers every scaffold emitter shares: Jinja-safe text, values through the literal filters, paths.

An emitter (``Language.scaffold``) writes plain code a docs author would keep, with every value
written through a literal filter (``{{ model | lit }}``), so one template stays valid whatever the
page sets. These helpers write the Jinja side of that; the code around it is the language's own.
"""

from __future__ import annotations

import re

from .plan import Field, Poll, snake

HTTP_TIMEOUT = 60
"""Seconds an example waits for an ordinary answer."""
STREAM_TIMEOUT = 300
"""Seconds an example waits for a streamed (server-sent events) answer."""
_JINJA = re.compile(r"\{[{%#]|[}%#]\}")


def static(text: str) -> str:
    """Text taken from the spec, made inert for Jinja."""
    return "{% raw %}" + text + "{% endraw %}" if _JINJA.search(text) else text


def lit(f: Field, *, text: bool = False) -> str:
    """``{{ var | lit }}``; with ``text`` (query, form fields) non-strings travel as their JSON text."""
    if text and (isinstance(f.value, bool) or isinstance(f.value, dict | list)):
        return f"{{{{ {f.var} | json | lit }}}}"
    return f"{{{{ {f.var} | lit }}}}"


def path_lit(f: Field) -> str:
    """A path parameter's value, percent-encoded when rendered (``sku 9`` -> ``sku%209``)."""
    return f"{{{{ {f.var} | string | urlencode | replace('/', '%2F') | lit }}}}"


def segments(path: str) -> list[tuple[str, str]]:
    """``/a/{id}/b`` -> [("text", "/a/"), ("param", "id"), ("text", "/b")]."""
    out = []
    for piece in re.split(r"(\{[^{}]+\})", path):
        if piece.startswith("{") and piece.endswith("}"):
            out.append(("param", piece[1:-1]))
        elif piece:
            out.append(("text", piece))
    return out


def path_local(poll: Poll | None, name: str) -> str:
    """snake_case name of the local holding path parameter ``name``: the job id's own name when it
    is the poll's id parameter. A language whose names are camelCase passes it through ``camel``."""
    return poll.local if poll is not None and name == poll.param else snake(name)
