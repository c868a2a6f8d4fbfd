"""HTML helpers of the operation reference: escaping, inline code, anchors, the "Assumed" badge."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from ...spec.assumed import reason_of
from ..inert import inert, safe_markdown

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (a malformed spec renders what it can)."""
    return value if isinstance(value, dict) else {}


def esc(value: Any) -> str:
    """Untrusted text as inert HTML text."""
    return inert(html.escape(str(value), quote=True))


def code(value: Any) -> str:
    """A JSON value as inline code (strings without quotes, unless empty or padded)."""
    plain = isinstance(value, str) and value and value.strip() == value
    text = value if plain else json.dumps(value, ensure_ascii=False)
    return f"<code>{esc(text)}</code>"


def anchor(*parts: str) -> str:
    """An element id from untrusted parts: letters, digits, ``_ . -`` only, lower case."""
    text = "-".join(_ID_UNSAFE.sub("-", p).strip("-") for p in parts if p)
    return text.lower()[:160] or "field"


def number(value: Any) -> str:
    """``4000`` -> ``4,000`` (one thousands separator for the whole site)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,}"
    return f"{int(value):,}"


def badge(node: Any) -> str:
    """The "Assumed" badge of an object marked ``x-assumed`` ('' when it is not marked).

    The reason shows on hover and on focus (a tap on a touch screen focuses it) and is also
    readable by screen readers; each operation lists its reasons again in a footnote block.
    """
    reason = reason_of(node)
    return assumed_badge(reason) if reason else ""


def assumed_badge(reason: str) -> str:
    """The badge: the reason as plain text in ``title``, with its inline Markdown (code spans) in
    the panel that opens."""
    shown = safe_markdown(reason, inline=True)
    return (
        f'<span class="sg-assumed" tabindex="0" title="{esc(reason)}">Assumed'
        f'<span class="sg-assumed-why" role="tooltip"><span class="sg-sr">: </span>{shown}</span></span>'
    )
