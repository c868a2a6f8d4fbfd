"""OpenAPI schema objects as JSON Schema 2020-12, for validators.

Both functions accept resolved schemas, which are DAGs (:mod:`snippetgen.spec.refs`): a node
referenced from several places is one object. They visit each node once, so their cost follows
the document's size, not the size of the tree the DAG stands for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
"""Keywords whose value maps names to schemas."""
SCHEMA_KEYWORDS = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)
"""Keywords whose value is a schema (``items`` may be a draft-4 list of schemas)."""
LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")
"""Keywords whose value is a list of schemas."""
_DROPPED = ("discriminator", "xml", "externalDocs", "example", "examples", "nullable", "deprecated")
"""OpenAPI-only keywords, or annotations no validator needs."""

BUNDLE_ID = "urn:snippetgen:bundle"
"""``$id`` of a bundled schema without one, so its ``$ref``s resolve below any nested ``$id``."""


def to_json_schema(schema: Any, *, request: bool = True, memo: dict | None = None) -> Any:
    """An OpenAPI 3.0/3.1 schema object as a JSON Schema 2020-12 one (``nullable``, boolean
    ``exclusiveMinimum``, ``readOnly`` properties not required in requests).

    A node shared in the input is converted once and shared in the output. Pass the same ``memo``
    to several calls to share nodes across them too (it keeps the inputs alive: ids stay valid).
    """
    return _convert(schema, request, {} if memo is None else memo)


def _convert(schema: Any, request: bool, memo: dict) -> Any:
    if not isinstance(schema, dict):
        return schema if isinstance(schema, bool) else {}
    key = (id(schema), request)
    hit = memo.get(key)
    if hit is not None:
        return hit[1]
    out: dict[str, Any] = {}
    for name, value in schema.items():
        if name in MAP_KEYWORDS:
            out[name] = {k: _convert(v, request, memo) for k, v in (value or {}).items()}
        elif name in SCHEMA_KEYWORDS:
            if isinstance(value, list):  # draft-4 style tuple items
                out["prefixItems" if name == "items" else name] = [_convert(v, request, memo) for v in value]
            else:
                out[name] = _convert(value, request, memo)
        elif name in LIST_KEYWORDS:
            out[name] = [_convert(v, request, memo) for v in value or []]
        elif name in _DROPPED:
            continue
        elif name in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if name == "exclusiveMinimum" else "maximum"
            if value and bound in schema:
                out[name] = schema[bound]
        elif name in ("minimum", "maximum") and schema.get("exclusive" + name[:1].upper() + name[1:]) is True:
            continue
        else:
            out[name] = value
    if schema.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if request and isinstance(out.get("required"), list) and isinstance(out.get("properties"), dict):
        props = out["properties"]
        out["required"] = [
            r for r in out["required"] if not (isinstance(props.get(r), dict) and props[r].get("readOnly"))
        ]
    memo[key] = (schema, out)
    return out


def subschemas(schema: Any) -> Iterator[Any]:
    """The schemas directly inside a JSON Schema (under ``properties``, ``items``, ``allOf``...)."""
    if not isinstance(schema, dict):
        return
    for name, value in schema.items():
        if name in MAP_KEYWORDS and isinstance(value, dict):
            yield from value.values()
        elif (name in SCHEMA_KEYWORDS and isinstance(value, list)) or (
            name in LIST_KEYWORDS and isinstance(value, list)
        ):
            yield from value
        elif name in SCHEMA_KEYWORDS:
            yield value


def _rebuild(schema: dict, child: Callable[[Any], Any]) -> dict:
    """A copy of ``schema`` with each direct sub-schema replaced by ``child(sub-schema)``."""
    out = dict(schema)
    for name, value in schema.items():
        if name in MAP_KEYWORDS and isinstance(value, dict):
            out[name] = {k: child(v) for k, v in value.items()}
        elif (name in SCHEMA_KEYWORDS and isinstance(value, list)) or (
            name in LIST_KEYWORDS and isinstance(value, list)
        ):
            out[name] = [child(v) for v in value]
        elif name in SCHEMA_KEYWORDS:
            out[name] = child(value)
    return out


def bundle(schema: Any) -> Any:
    """``schema`` as a tree that a validator copying its input (jsonschema_rs) copies in linear time.

    Copying a DAG expands it into a tree, exponentially in the worst case; here each sub-schema
    reached more than once is written once under ``$defs`` and ``$ref``-erenced from each place.
    A schema without shared sub-schemas is returned as it is.
    """
    if not isinstance(schema, dict):
        return schema
    reached: dict[int, int] = {}
    stack = [schema]
    while stack:
        for sub in subschemas(stack.pop()):
            if isinstance(sub, dict) and sub:
                count = reached.get(id(sub), 0)
                reached[id(sub)] = count + 1
                if not count:
                    stack.append(sub)
    shared = {node for node, count in reached.items() if count > 1}
    if not shared:
        return schema
    base = schema["$id"] if isinstance(schema.get("$id"), str) else BUNDLE_ID
    names: dict[int, str] = {}
    defs: dict[str, Any] = {}

    def emit(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        if id(node) not in shared:
            return _rebuild(node, emit)
        name = names.get(id(node))
        if name is None:
            name = names[id(node)] = f"snippetgen-shared-{len(names) + 1}"
            defs[name] = _rebuild(node, emit)
        return {"$ref": f"{base}#/$defs/{name}"}

    out = _rebuild(schema, emit)
    out.setdefault("$id", base)
    out["$defs"] = {**(out.get("$defs") or {}), **defs}
    return out
