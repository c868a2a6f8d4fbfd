"""Local ``$ref`` resolution (``#/components/...``) for every reader of an OpenAPI document."""

from __future__ import annotations

from typing import Any

from ..pointers import pointer_get


def deref(node: Any, document: dict, _stack: tuple[str, ...] = ()) -> Any:
    """A copy of ``node`` with local ``$ref``s replaced by their targets.

    A cyclic reference is left as ``{"$ref": ...}``; a ``$ref`` with siblings (allowed in 3.1
    schemas) is merged, the siblings winning. Broken references resolve to ``{}``.
    """
    if isinstance(node, list):
        return [deref(v, document, _stack) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        if ref in _stack:
            return dict(node)
        try:
            target = pointer_get(document, ref)
        except KeyError:
            target = {}
        resolved = deref(target, document, _stack + (ref,))
        siblings = {k: deref(v, document, _stack) for k, v in node.items() if k != "$ref"}
        if siblings and isinstance(resolved, dict):
            return {**resolved, **siblings}
        return resolved
    return {k: deref(v, document, _stack) for k, v in node.items()}
