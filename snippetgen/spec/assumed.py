"""``x-assumed``: the facts of a spec that its source does not state, each with the reason.

A spec written from a vendor's prose has to decide what the prose leaves open (which status a full
queue answers, the shape of an error body). Such a decision is marked where it is made::

    "429":
      x-assumed: the source does not say which status a full queue answers
      description: Too many requests

The value is a non-empty string, the reason. It may stand on an Operation, Parameter, Request Body,
Media Type, Schema (a property or an ``anyOf`` branch too), Response, Header, Example or Server.
:func:`assumed_facts` lists every one of a document (``snippetgen check --assumed`` prints them),
:func:`assumed_problems` reports a value that is not a reason or stands where nothing reads it, and
the operation reference renders each one as an "Assumed" badge beside the thing it marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import Problem
from ..pointers import escape
from .model import Document

KEY = "x-assumed"

_SCHEMA_NAMES = frozenset({"properties", "patternProperties", "$defs", "definitions", "schemas"})
"""Maps whose keys are names chosen by the author: a key ``x-assumed`` there is a name, not a mark."""
_OTHER_MAPS = frozenset(
    {
        "paths",
        "responses",
        "content",
        "headers",
        "examples",
        "encoding",
        "callbacks",
        "links",
        "securitySchemes",
        "requestBodies",
        "parameters",
        "variables",
        "dependentSchemas",
        "webhooks",
        "pathItems",
    }
)
"""Maps of OpenAPI objects: the mark goes on one of their entries, not on the map."""
_DATA = frozenset({"example", "default", "enum", "const", "value", "examples"})
"""Keys holding data (an example's value), never marked objects."""


@dataclass(frozen=True)
class AssumedFact:
    """One ``x-assumed`` mark: the JSON pointer of the object it marks, the reason, its line."""

    pointer: str
    reason: str
    line: int


def assumed_facts(api: Document) -> list[AssumedFact]:
    """Every valid ``x-assumed`` of the document, in document order."""
    return [fact for fact, problem in _walk(api) if fact is not None]


def assumed_problems(api: Document) -> list[Problem]:
    """An ``x-assumed`` that is not a non-empty string, or that stands where nothing reads it."""
    return [problem for _fact, problem in _walk(api) if problem is not None]


def reason_of(node: Any) -> str | None:
    """The reason an object (resolved or not) is marked assumed with, or None."""
    if isinstance(node, dict):
        value = node.get(KEY)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _walk(api: Document) -> list[tuple[AssumedFact | None, Problem | None]]:
    found: list[tuple[AssumedFact | None, Problem | None]] = []
    # (node, pointer, kind): kind is "object" (a place a mark may stand), "map" (its entries are
    # objects), "names" (entries are schemas under author-chosen names), "paths" (entries are path
    # items) or "top" (the root, info, components, a path item: containers, never marked)
    stack: list[tuple[Any, str, str]] = [(api.document, "", "top")]
    while stack:
        node, pointer, kind = stack.pop()
        children: list[tuple[Any, str, str]] = []
        if isinstance(node, list):
            children = [(v, f"{pointer}/{i}", "object") for i, v in enumerate(node)]
        elif isinstance(node, dict):
            for key, value in node.items():
                key = str(key)
                where = f"{pointer}/{escape(key)}"
                if key == KEY and kind != "names":
                    found.append(_mark(api, pointer, where, value, kind))
                    continue
                if kind in ("map", "names", "paths"):
                    children.append((value, where, "top" if kind == "paths" else "object"))
                    continue
                if key.startswith("x-") or (
                    key in _DATA and not (key == "examples" and isinstance(value, dict))
                ):
                    continue  # another extension's data, or an example's value: nothing marked inside
                if key in _SCHEMA_NAMES:
                    children.append((value, where, "names"))
                elif key in _OTHER_MAPS and isinstance(value, dict):
                    children.append((value, where, "paths" if key in ("paths", "webhooks") else "map"))
                elif key in ("info", "components"):
                    children.append((value, where, "top"))
                else:
                    children.append((value, where, "object"))
        stack.extend(reversed(children))
    return found


def _mark(
    api: Document, owner: str, where: str, value: Any, kind: str
) -> tuple[AssumedFact | None, Problem | None]:
    line = api.line_of(where)
    location = api.location(where)
    if not isinstance(value, str) or not value.strip():
        found = "an empty string" if isinstance(value, str) else f"a {_json_type(value)}"
        return None, Problem(
            location,
            "x-assumed must give the reason the source leaves this open",
            "assumed-reason",
            expected='a non-empty string, e.g. x-assumed: "the source does not say which status a full queue answers"',
            found=found,
        )
    if kind != "object":
        what = (
            "the document root" if owner == "" else f"{owner} (a map of objects)" if kind == "map" else owner
        )
        return None, Problem(
            location,
            f"x-assumed on {what} marks nothing the reference shows",
            "assumed-reason",
            expected="x-assumed on an operation, parameter, request body, media type, schema, response, "
            "header, example or server",
            found=f"x-assumed at {where}",
        )
    return AssumedFact(owner, value.strip(), line), None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__
