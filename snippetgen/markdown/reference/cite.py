"""Assumed facts of an operation, and the ``<assumed data-ref=... data-pointer=...>`` tag a page
cites one with."""

from __future__ import annotations

from typing import Any

from ...pointers import escape, pointer_get
from ...spec.assumed import KEY, reason_of
from ...spec.model import SpecSet
from .common import assumed_badge

_DATA = frozenset({"example", "default", "enum", "const", "value", "x-mock"})


def assumed_in(raw: Any) -> list[tuple[str, str]]:
    """(pointer inside the operation, reason) of every ``x-assumed`` of a resolved operation, in
    document order, each once (a shared schema marked once is listed where it is first met)."""
    found: list[tuple[str, str]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(raw, "")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            reason = reason_of(node)
            if reason:
                found.append((pointer, reason))
            children = [
                (v, f"{pointer}/{escape(str(k))}")
                for k, v in node.items()
                if k != KEY and k not in _DATA and not (k == "examples" and isinstance(v, list))
            ]
        elif isinstance(node, list):
            children = [(v, f"{pointer}/{i}") for i, v in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))
    return found


def resolve_cite(specs: SpecSet | None, ref: str, pointer: str) -> tuple[str | None, str]:
    """The reason an ``<assumed>`` tag cites, or (None, why not).

    ``data-ref="api:operationId"`` with ``data-pointer`` inside the operation (``/responses/429``,
    ``$ref``s followed; empty: the operation itself), or ``data-ref="api"`` with a pointer into the
    document (``/components/schemas/Error``)."""
    if not ref:
        return None, "<assumed> without data-ref (api:operationId, or api with a data-pointer)"
    if specs is None:
        return None, f"unknown assumed fact {ref!r}: the project has no OpenAPI specs"
    if pointer and not pointer.startswith("/"):
        return None, f"data-pointer must be a JSON pointer starting with '/', not {pointer!r}"
    if ":" in ref:
        op = specs.resolve(ref)
        if op is None:
            return None, f"unknown operation {ref!r}"
        node: Any = op.raw
    else:
        api = specs.apis.get(ref.strip())
        if api is None:
            return None, f"unknown API {ref!r} (known: {', '.join(specs.apis) or 'none'})"
        node = api.document
        if not pointer:
            return None, "data-ref names an API: data-pointer must point into its document"
    try:
        target = pointer_get(node, pointer)
    except KeyError:
        return None, f"{ref} has nothing at {pointer!r}"
    if ":" not in ref and isinstance(target, dict):
        target = specs.apis[ref.strip()].refs.resolve(target)
    reason = reason_of(target)
    if reason is None:
        where = f"{ref} at {pointer}" if pointer else ref
        return None, f"{where} is not marked x-assumed"
    return reason, ""


def cite_html(reason: str) -> str:
    return assumed_badge(reason)
