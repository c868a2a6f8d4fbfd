"""Response bodies: the spec's examples first, else a deterministic value built from the schema."""

from __future__ import annotations

from typing import Any

_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "uri-reference": "/resource",
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "byte": "",
    "binary": "",
}


def reply_body(media_type: dict[str, Any], name: str | None) -> Any:
    """The body for one response media type: the named example, else ``example``, else the first of
    ``examples``, else the schema's example, else a sample of the schema."""
    examples: dict[str, Any] = media_type["examples"] if isinstance(media_type.get("examples"), dict) else {}
    if name is not None and name in examples:
        return _example_value(examples[name])
    if "example" in media_type:
        return media_type["example"]
    if examples:
        return _example_value(next(iter(examples.values())))
    return sample(media_type.get("schema") or {})


def _example_value(example: Any) -> Any:
    return example.get("value") if isinstance(example, dict) and "value" in example else example


BUDGET = 10_000
"""Values one sample may build. Resolved schemas are DAGs: a schema shared at each of 12 levels
stands for a tree far too large to write out. Past the budget, values are None."""


def sample(schema: Any, depth: int = 0, _left: list[int] | None = None) -> Any:
    """A deterministic value for ``schema``: its example, const, default or first enum value, else
    one built from its type (objects without their ``writeOnly`` properties)."""
    left = [BUDGET] if _left is None else _left
    left[0] -= 1
    if not isinstance(schema, dict) or depth > 12 or left[0] < 0:
        return None
    for key in ("example", "const", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for sub in schema["allOf"]:
            value = sample(sub, depth + 1, left)
            if isinstance(value, dict):
                merged.update(value)
            elif value is not None:
                return value
        extra = sample({k: v for k, v in schema.items() if k != "allOf"}, depth + 1, left)
        if isinstance(extra, dict):
            merged.update(extra)
        return merged
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return sample(schema[key][0], depth + 1, left)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        return {
            name: sample(prop, depth + 1, left)
            for name, prop in (schema.get("properties") or {}).items()
            if not (isinstance(prop, dict) and prop.get("writeOnly"))
        }
    if kind == "array":
        return [
            sample(schema.get("items") or {}, depth + 1, left)
            for _ in range(max(1, schema.get("minItems", 1)))
        ]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        value = low if isinstance(low, (int, float)) and not isinstance(low, bool) else 0
        if "exclusiveMinimum" in schema and isinstance(schema["exclusiveMinimum"], (int, float)):
            value = schema["exclusiveMinimum"] + 1
        if isinstance(high, (int, float)) and value > high:
            value = high
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = _FORMATS.get(schema.get("format", ""), "string")
    if len(text) < schema.get("minLength", 0):
        text = text + "x" * (schema["minLength"] - len(text))
    if "maxLength" in schema and len(text) > schema["maxLength"]:
        text = text[: schema["maxLength"]]
    return text
