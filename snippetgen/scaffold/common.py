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
_OPENER = re.compile(r"\{(?=[{%#])")


def static(text: str) -> str:
    """Text taken from the spec, made inert for Jinja: every ``{`` that would open a tag is printed
    by a raw block of its own (``{%+ raw %}{{% endraw %}``), so no text, ``{% endraw %}`` included,
    can end the escape early. The escape holds no quote, backslash, ``$`` or backtick, so quoting
    for a language before or after it gives the same code."""
    return _OPENER.sub("{%+ raw %}{{% endraw %}", text)


def sh_double_quoted(text: str) -> str:
    """Text for inside a shell ``"..."`` word: ``\\``, ``"``, ``$`` and backtick escaped, so a name
    from the spec can never run a command."""
    return re.sub(r'([\\"$`])', r"\\\1", static(text))


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
