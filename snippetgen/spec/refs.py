"""Local ``$ref`` resolution (``#/...``): the one resolver of the spec model, the lints and the mock.

A :class:`Refs` belongs to one parsed document and resolves each target once: every ``$ref`` to a
target gets the same resolved object, so resolved data is a DAG about the size of the document. (A
copy per use is exponential: 30 schemas that each reference the previous one twice are 2^30
copies.) Resolved data shares nodes with the parsed document and between readers: never mutate it.

Cycles are cut where a depth-first walk of the reference graph finds a back edge: the walk starts
from the targets in the order they are first referenced in the document, and a ``$ref`` from the
target being resolved to a target still on the walk's path closes a cycle. What replaces such a
``$ref`` is the caller's policy: :data:`KEEP` leaves ``{"$ref": ...}`` (the spec model and the
reference pages can name the schema), :data:`ACCEPT` puts ``{}`` (a mock validator accepts
anything there). The cut depends on the document only, never on which operation asks first.

A ``$ref`` with siblings (3.1 schemas) is merged over its target, the siblings winning. A broken
reference resolves to ``{}`` and a remote one stays as written: :func:`snippetgen.spec.lint.check_refs`
reports both; resolution never raises for them.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

from ..pointers import pointer_get, tokens

Cycles = Literal["keep", "accept"]
KEEP: Cycles = "keep"
"""A ``$ref`` that closes a cycle stays ``{"$ref": ...}``."""
ACCEPT: Cycles = "accept"
"""A ``$ref`` that closes a cycle becomes ``{}`` (any value)."""


class Refs:
    """The resolver of one document; thread-safe, memoised per cycle policy."""

    def __init__(self, document: Any):
        self.document = document
        self._lock = threading.RLock()
        self._cuts: set[tuple[str, str]] | None = None
        self._memo: dict[str, dict[str, Any]] = {KEEP: {}, ACCEPT: {}}
        self._active: set[str] = set()

    def resolve(self, node: Any, cycles: Cycles = KEEP) -> Any:
        """``node`` (a part of the document) with its local ``$ref``s replaced by their targets.

        Parts without a ``$ref`` are returned as they are, not copied.
        """
        with self._lock:
            if self._cuts is None:
                self._cuts = back_edges(self.document)
            return self._walk(node, None, cycles)

    def _walk(self, node: Any, owner: str | None, cycles: Cycles) -> Any:
        """Resolve ``node``, found inside the target ``owner`` (None: outside every target)."""
        if isinstance(node, list):
            items = [self._walk(v, owner, cycles) for v in node]
            return node if all(a is b for a, b in zip(items, node, strict=True)) else items
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            assert self._cuts is not None
            if (owner, ref) in self._cuts or ref in self._active:
                return node if cycles == KEEP else {}
            target = self._target(ref, cycles)
            if len(node) == 1 or not isinstance(target, dict):
                return target
            siblings = {k: self._walk(v, owner, cycles) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings}
        out: dict[str, Any] = {}
        changed = False
        for key, value in node.items():
            out[key] = new = self._walk(value, owner, cycles)
            changed = changed or new is not value
        return out if changed else node

    def _target(self, ref: str, cycles: Cycles) -> Any:
        memo = self._memo[cycles]
        if ref in memo:
            return memo[ref]
        try:
            node = pointer_get(self.document, ref)
        except KeyError:
            node = {}
        self._active.add(ref)  # never hit when the cuts are right; a guard against looping if not
        try:
            memo[ref] = out = self._walk(node, ref, cycles)
        finally:
            self._active.discard(ref)
        return out


def ref_sites(document: Any) -> list[tuple[tuple[str, ...], str]]:
    """Every local ``$ref`` in document order, as (tokens of the object holding it, target)."""
    found: list[tuple[tuple[str, ...], str]] = []
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())] if isinstance(document, (dict, list)) else []
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                found.append((where, ref))
            items: Any = node.items()
        else:
            items = enumerate(node)
        stack.extend(reversed([(v, (*where, str(k))) for k, v in items if isinstance(v, (dict, list))]))
    return found


def back_edges(document: Any) -> set[tuple[str, str]]:
    """The ``(owner target, referenced target)`` pairs that close a cycle (see the module docstring).

    The graph: a target is a ``$ref`` string; it has an edge to every target referenced anywhere
    inside its node. Removing the returned edges leaves a DAG, so resolution always ends.
    """
    sites = ref_sites(document)
    order = list(dict.fromkeys(ref for _, ref in sites))
    by_tokens: dict[tuple[str, ...], list[str]] = {}
    for ref in order:
        by_tokens.setdefault(tuple(tokens(ref)), []).append(ref)
    edges: dict[str, dict[str, None]] = {ref: {} for ref in order}
    for where, ref in sites:
        for depth in range(len(where) + 1):
            for owner in by_tokens.get(where[:depth], ()):
                edges[owner][ref] = None
    cuts: set[tuple[str, str]] = set()
    done: set[str] = set()
    on_path: set[str] = set()
    for root in order:
        if root in done:
            continue
        on_path.add(root)
        path = [(root, iter(edges[root]))]
        while path:
            owner, rest = path[-1]
            nxt = next(rest, None)
            if nxt is None:
                path.pop()
                on_path.discard(owner)
                done.add(owner)
            elif nxt in on_path:
                cuts.add((owner, nxt))
            elif nxt not in done:
                on_path.add(nxt)
                path.append((nxt, iter(edges[nxt])))
    return cuts
