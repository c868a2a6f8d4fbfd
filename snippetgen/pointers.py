"""JSON pointers (RFC 6901): the one place that escapes, unescapes and follows them."""

from __future__ import annotations

from typing import Any


def escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def tokens(pointer: str) -> list[str]:
    """The unescaped reference tokens of ``""``, ``"/a/b"`` or ``"#/a/b"``."""
    return [unescape(t) for t in pointer.lstrip("#").split("/")[1:]]


def join(tokens: list[str]) -> str:
    """The pointer made of these (unescaped) tokens."""
    return "".join(f"/{escape(t)}" for t in tokens)


def pointer_get(document: Any, pointer: str) -> Any:
    """Value at a JSON pointer (``""`` or ``"#/a/b"`` or ``"/a/b"``); raises KeyError if absent."""
    node = document
    for token in tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(token)
    return node


def lookup(document: Any, pointer: str) -> Any:
    """Value at a JSON pointer, or None when it is absent."""
    try:
        return pointer_get(document, pointer)
    except KeyError:
        return None


def replace(value: Any, pointer: str, new: Any) -> Any:
    """A copy of ``value`` with ``new`` at ``pointer``; only the containers on the way are copied,
    and missing objects on the way are created."""
    parts = tokens(pointer)
    if not parts:
        return new
    head, rest = parts[0], join(parts[1:])
    if isinstance(value, dict):
        out = dict(value)
        out[head] = replace(value.get(head), rest, new) if len(parts) > 1 else new
        return out
    if isinstance(value, list) and head.isdigit() and int(head) < len(value):
        out_list = list(value)
        out_list[int(head)] = replace(value[int(head)], rest, new) if len(parts) > 1 else new
        return out_list
    if value is None:
        return {head: replace(None, rest, new) if len(parts) > 1 else new}
    return value
