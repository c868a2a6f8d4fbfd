"""Values checked against resolved JSON Schemas, with messages a docs author can act on."""

from __future__ import annotations

import json

import jsonschema  # type: ignore[import-untyped]


def _allows_string(schema: dict) -> bool:
    kind = schema.get("type")
    if kind is not None:
        return kind == "string" or (isinstance(kind, list) and "string" in kind)
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        return any(isinstance(v, str) for v in values)
    parts = [p for k in ("anyOf", "oneOf", "allOf") for p in schema.get(k) or [] if isinstance(p, dict)]
    return any(_allows_string(p) for p in parts) if parts else True


def enum_values(schema: dict) -> list | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    parts = [p for k in ("anyOf", "oneOf") for p in schema.get(k) or [] if isinstance(p, dict)]
    if parts:
        values = [enum_values(p) for p in parts]
        found = [v for v in values if v is not None]
        if len(found) == len(values):
            return [x for v in found for x in v]
    if len(schema.get("allOf") or []) == 1 and isinstance(schema["allOf"][0], dict):
        return enum_values(schema["allOf"][0])
    return None


def _show(values: list, limit: int = 40) -> str:
    shown = ", ".join(v if isinstance(v, str) else json.dumps(v) for v in values[:limit])
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")


def check_value(schema: dict, value: object, *, from_attribute: bool = False) -> list[str]:
    """Human messages for every way ``value`` breaks ``schema`` (a resolved JSON Schema).

    With ``from_attribute`` the value came from an HTML attribute, so it is a string: when the
    schema does not accept strings it is JSON-parsed first ("5" -> 5, "true" -> True).
    """
    schema = schema if isinstance(schema, dict) else {}
    if from_attribute and isinstance(value, str) and not _allows_string(schema):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    validator = jsonschema.Draft202012Validator(schema)
    messages = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path))):
        where = "/".join(map(str, error.path))
        prefix = f"at {where}: " if where else ""
        enum = enum_values(error.schema) if error.validator in ("enum", "const", "anyOf", "oneOf") else None
        if enum is not None:
            messages.append(f"{prefix}{error.instance!r} is not one of: {_show(enum)}")
        else:
            messages.append(prefix + _shorten(error.message))
    return messages


def _shorten(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
