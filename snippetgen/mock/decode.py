"""Strings from URLs, headers and form bodies into the values their (JSON) schemas describe.

OpenAPI serialises parameters and form fields by ``style`` and ``explode``; clients add their own
conventions on top (``tags[]=a``, Stripe's ``metadata[order_id]=x`` and ``items[0][price]=p``).
Everything here turns those strings back into JSON values, so one validator per location checks
them, and never raises: what cannot be converted stays a string and the validator reports it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def schema_type(schema: Any, _seen: set[int] | None = None) -> str | None:
    """The non-null ``type`` of a schema, else the first one found in its ``allOf``/``oneOf``/``anyOf``."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None:
        seen = set() if _seen is None else _seen  # parts shared in a resolved DAG are read once
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in schema.get(key) or []:
                if id(sub) in seen:
                    continue
                seen.add(id(sub))
                found = schema_type(sub, seen)
                if found:
                    return found
        if kind is None and isinstance(schema.get("properties"), dict):
            return "object"
    return kind if isinstance(kind, str) else None


def property_schema(schema: Any, name: str, _depth: int = 0) -> Any:
    """The schema of property ``name`` of an object schema (through ``allOf``/``oneOf``/``anyOf``,
    then ``additionalProperties``), or None."""
    if not isinstance(schema, dict) or _depth > 8:
        return None
    props = schema.get("properties")
    if isinstance(props, dict) and name in props:
        return props[name]
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key) or []:
            found = property_schema(sub, name, _depth + 1)
            if found is not None:
                return found
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def item_schema(schema: Any, _depth: int = 0) -> Any:
    if not isinstance(schema, dict) or _depth > 8:
        return None
    if isinstance(schema.get("items"), dict):
        return schema["items"]
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key) or []:
            found = item_schema(sub, _depth + 1)
            if found is not None:
                return found
    return None


def coerce(value: Any, schema: Any, _depth: int = 0) -> Any:
    """``value`` (strings, lists and dicts of strings) converted where ``schema`` asks for a
    number, integer, boolean, null, array or object; anything else is returned as it is."""
    if _depth > 32 or not isinstance(schema, dict):
        return value
    kind = schema_type(schema)
    if isinstance(value, dict):
        if kind == "array" and value and all(k.isdigit() for k in value):
            # items[0][price]=p: an array written with indices
            items = [value[k] for k in sorted(value, key=int)]
            inner = item_schema(schema)
            return [coerce(v, inner, _depth + 1) for v in items]
        return {k: coerce(v, property_schema(schema, k), _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if kind == "array":
            inner = item_schema(schema)
            return [coerce(v, inner, _depth + 1) for v in value]
        if len(value) == 1:
            return coerce(value[0], schema, _depth + 1)
        return value
    if not isinstance(value, str):
        return value
    if kind in ("object", "array") and value[:1] in ("{", "["):
        # a form or multipart field holding JSON (OpenAPI's default encoding for objects)
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict if kind == "object" else list):
            return coerce(parsed, schema, _depth + 1)
    if kind == "array":
        return [coerce(value, item_schema(schema), _depth + 1)]
    return scalar(value, schema)


def scalar(value: str, schema: Any) -> Any:
    """One string as the scalar type a schema asks for (a string that does not convert stays)."""
    kind = schema_type(schema)
    types = schema.get("type") if isinstance(schema, dict) else None
    nullable = (isinstance(types, list) and "null" in types) or (
        isinstance(schema, dict) and schema.get("nullable") is True
    )
    if nullable and value == "null":
        return None
    if kind == "integer":
        return _to_int(value)
    if kind == "number":
        return _to_number(value)
    if kind == "boolean":
        return _to_bool(value)
    if kind == "null":
        return None if value in ("", "null") else value
    return value


def _to_int(v: str) -> Any:
    try:
        return int(v.strip())
    except ValueError:
        number = _to_number(v)
        return int(number) if isinstance(number, float) and number.is_integer() else v


def _to_number(v: str) -> Any:
    try:
        return int(v.strip())
    except ValueError:
        try:
            f = float(v.strip())
        except ValueError:
            return v
        return f if math.isfinite(f) else v


def _to_bool(v: str) -> Any:
    low = v.strip().lower()
    if low in ("true", "1"):
        return True
    if low in ("false", "0"):
        return False
    return v


# --- bracket keys -----------------------------------------------------------------------------


def split_key(key: str) -> tuple[str, list[str]] | None:
    """``a[b][0][]`` -> ``("a", ["b", "0", ""])``; None when ``key`` has no well-formed brackets."""
    start = key.find("[")
    if start <= 0 or not key.endswith("]"):
        return None
    parts = _BRACKETS.findall(key[start:])
    if "".join(f"[{p}]" for p in parts) != key[start:]:
        return None
    return key[:start], parts


def put(target: dict[str, Any], path: list[str], value: str) -> None:
    """Set ``value`` at ``path`` below ``target``; ``""`` (``a[]``) appends to a list."""
    node: Any = target
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if part == "":
                if last:
                    node.append(value)
                    return
                node.append({})
                node = node[-1]
                continue
            node = _as_dict(node)  # a list that now gets a key: keep its items by index
        if last:
            if part == "":
                return
            current = node.get(part)
            if current is None:
                node[part] = value
            elif isinstance(current, list):
                current.append(value)
            else:
                node[part] = [current, value]
            return
        nxt = path[i + 1]
        child = node.get(part)
        if nxt == "" and not isinstance(child, list):
            child = node[part] = [] if child is None else [child]
        elif nxt != "" and not isinstance(child, dict):
            child = node[part] = {} if child is None else _as_dict(child)
        node = child


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {"": value}


def fields(
    pairs: Iterable[tuple[str, str]], schema: Any, styles: dict[str, tuple[str, bool]]
) -> dict[str, Any]:
    """Form fields (``application/x-www-form-urlencoded`` or multipart text parts) as one object.

    A name the schema declares is taken as it is (repeated: a list); ``name[key]...`` whose ``name``
    is declared (or allowed by ``additionalProperties``) is nested (``deepObject``, Stripe, Rails);
    ``styles`` (property -> (style, explode), from the media type's ``encoding``) splits
    non-exploded arrays. Values are then coerced by ``schema``.
    """
    out: dict[str, Any] = {}
    for name, value in pairs:
        split = None if property_schema(schema, name) is not None else split_key(name)
        if split is not None:
            put(out, [split[0], *split[1]], value)
            continue
        style, explode = styles.get(name, ("form", True))
        prop = property_schema(schema, name)
        if schema_type(prop) == "array":
            items = out.setdefault(name, [])
            if not isinstance(items, list):
                items = out[name] = [items]
            items.extend(split_values(value, style, explode))
        elif name in out:
            current = out[name]
            out[name] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            out[name] = value
    return coerce(out, schema) if isinstance(schema, dict) else out


def split_values(value: str, style: str, explode: bool) -> list[str]:
    """One array value as written by ``style``: ``a,b`` (form, simple: not exploded), ``a b``
    (spaceDelimited), ``a|b`` (pipeDelimited); an exploded form value is one item."""
    if style == "spaceDelimited":
        return value.split(" ") if value else []
    if style == "pipeDelimited":
        return value.split("|") if value else []
    if style in ("form", "simple") and not explode:
        return value.split(",") if value else []
    return [value]


def object_pairs(value: str, explode: bool) -> dict[str, str]:
    """An object value written ``k,v,k,v`` (not exploded) or ``k=v,k=v`` (simple, exploded)."""
    if explode:
        out = {}
        for part in value.split(","):
            k, _, v = part.partition("=")
            out[k] = v
        return out
    items = value.split(",")
    return {items[i]: items[i + 1] for i in range(0, len(items) - 1, 2)}
