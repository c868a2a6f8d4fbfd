"""JSON pointers (RFC 6901): the one place that escapes, unescapes and follows them."""

from __future__ import annotations

from typing import Any


def escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer_get(document: Any, pointer: str) -> Any:
    """Value at a JSON pointer (``""`` or ``"#/a/b"`` or ``"/a/b"``); raises KeyError if absent."""
    node = document
    for token in [unescape(t) for t in pointer.lstrip("#").split("/")[1:]]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(token)
    return node
