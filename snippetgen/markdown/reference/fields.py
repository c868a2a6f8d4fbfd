"""Schemas as field lists that fit a narrow column: one row per field, its name, type and whether it
is required on one line, the description below, the constraints in one readable line, nested fields
indented (deeper ones folded), long enums folded into a ``<details>`` block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...spec.values import enum_values
from ..inert import safe_markdown
from .common import anchor, badge, code, esc, mapping, number

MAX_DEPTH = 4
"""Levels of nested fields shown; deeper ones are named by type only."""
OPEN_DEPTH = 1
"""Nested levels shown open; deeper children are folded into a ``<details>`` block."""
LONG_ENUM = 8
"""An enum with more values than this is folded into a ``<details>`` block."""


@dataclass
class FieldNode:
    name: str
    path: str
    """``parent.child``; array items as ``parent[].child``."""
    schema: dict
    required: str
    """``required``, ``one of`` (one of a group is required) or ``""``."""
    children: list[FieldNode] = field(default_factory=list)
    deprecated: bool = False


def flatten(schema: Any) -> dict:
    """Merge ``allOf`` parts into one schema (the schema's own keywords win)."""
    if not isinstance(schema, dict):
        return {}
    parts = [flatten(p) for p in schema.get("allOf") or [] if isinstance(p, dict)]
    if not parts:
        return schema
    merged: dict = {}
    for part in parts:
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required" and isinstance(value, list):
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            else:
                merged[key] = value
    own = {k: v for k, v in schema.items() if k != "allOf"}
    if isinstance(own.get("properties"), dict):
        own["properties"] = {**merged.get("properties", {}), **own["properties"]}
    if isinstance(own.get("required"), list):
        own["required"] = list(dict.fromkeys([*merged.get("required", []), *own["required"]]))
    return {**merged, **own}


def schema_fields(schema: Any, prefix: str = "", depth: int = 0) -> list[FieldNode]:
    """The fields of an object schema (its ``oneOf``/``anyOf`` variants' properties merged in)."""
    schema = flatten(schema)
    properties = dict(mapping(schema.get("properties")))
    required = {r for r in schema.get("required") or [] if isinstance(r, str)}
    either: set[str] = set()
    for key in ("oneOf", "anyOf"):
        for variant in schema.get(key) or []:
            variant = flatten(variant)
            for name, sub in mapping(variant.get("properties")).items():
                properties.setdefault(name, sub)
            either.update(r for r in variant.get("required") or [] if isinstance(r, str))
    nodes = []
    for name, sub in properties.items():
        sub = flatten(sub)
        need = "required" if name in required else ("one of" if name in either else "")
        node = FieldNode(str(name), prefix + str(name), sub, need, deprecated=bool(sub.get("deprecated")))
        if depth + 1 < MAX_DEPTH:
            node.children = _children(sub, node.path, depth + 1)
        nodes.append(node)
    return nodes


def _children(schema: dict, path: str, depth: int) -> list[FieldNode]:
    if _is_object(schema):
        return schema_fields(schema, f"{path}.", depth)
    items = flatten(schema.get("items")) if schema.get("type") == "array" else {}
    if items and _is_object(items):
        return schema_fields(items, f"{path}[].", depth)
    return []


def _is_object(schema: dict) -> bool:
    if isinstance(schema.get("properties"), dict) and schema["properties"]:
        return True
    return any(
        isinstance(v, dict) and isinstance(flatten(v).get("properties"), dict)
        for key in ("oneOf", "anyOf")
        for v in schema.get(key) or []
    )


def param_fields(params: list[dict]) -> list[FieldNode]:
    nodes = []
    for param in params:
        schema = flatten(param.get("schema") or {})
        description = param.get("description") or schema.get("description") or ""
        merged = {**schema, "description": description}
        for key in ("example", "x-assumed"):
            if key in param:
                merged[key] = param[key]
        name = str(param.get("name", ""))
        nodes.append(
            FieldNode(
                name,
                name,
                merged,
                "required" if param.get("required") else "",
                deprecated=bool(param.get("deprecated")),
            )
        )
    return nodes


def fields_html(nodes: list[FieldNode], id_prefix: str, depth: int = 0) -> str:
    """The field list (``<div class="sg-fields">``); every row has an id ``<id_prefix>-<path>``."""
    if not nodes:
        return ""
    rows = "".join(_row(node, id_prefix, depth) for node in nodes)
    return f'<div class="sg-fields">{rows}</div>'


def _row(node: FieldNode, id_prefix: str, depth: int) -> str:
    schema = node.schema
    ident = anchor(id_prefix, node.path.replace("[]", ""))
    head = [
        f'<a class="sg-field-name" href="#{ident}"><code>{esc(node.name)}</code></a>',
        f'<span class="sg-field-type">{esc(type_label(schema))}</span>',
    ]
    if node.required == "required":
        head.append('<span class="sg-field-required">required</span>')
    elif node.required:
        head.append('<span class="sg-field-required sg-field-either">one of these required</span>')
    if node.deprecated:
        head.append('<span class="sg-field-deprecated">deprecated</span>')
    head.append(badge(schema))
    parts = [f'<div class="sg-field-head">{" ".join(h for h in head if h)}</div>']
    description = safe_markdown(str(schema.get("description") or ""))
    if description:
        parts.append(f'<div class="sg-field-desc">{description}</div>')
    meta = constraints(schema)
    if meta:
        parts.append(f'<div class="sg-field-meta">{" · ".join(meta)}</div>')
    values = enum_html(schema)
    if values:
        parts.append(values)
    if node.children:
        inner = fields_html(node.children, id_prefix, depth + 1)
        if depth + 1 > OPEN_DEPTH:
            count = len(node.children)
            inner = (
                f'<details class="sg-children"><summary>{count} field{"s" if count != 1 else ""} of '
                f"<code>{esc(node.name)}</code></summary>{inner}</details>"
            )
        parts.append(f'<div class="sg-field-children">{inner}</div>')
    return f'<div class="sg-field" id="{ident}">{"".join(parts)}</div>'


# --- one readable line of constraints ----------------------------------------------------------


def _num(schema: dict, key: str) -> float | int | None:
    value = schema.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _range(low: Any, high: Any, unit: str, units: str) -> str:
    if low is not None and high is not None:
        if low == high:
            return f"exactly {number(low)} {unit if low == 1 else units}"
        return f"{number(low)}-{number(high)} {units}"
    if high is not None:
        return f"at most {number(high)} {unit if high == 1 else units}"
    if low is not None:
        return f"at least {number(low)} {unit if low == 1 else units}"
    return ""


def constraints(schema: dict) -> list[str]:
    """Default, bounds, pattern and example of a field, each a short HTML fragment."""
    out = []
    if "default" in schema:
        out.append(f"Default {code(schema['default'])}")
    low, high = _num(schema, "minLength"), _num(schema, "maxLength")
    if low == 1 and high is None:
        low = None  # "at least 1 character" on every string is noise: required says enough
    text = _range(low, high, "character", "characters")
    if low == 0 and high is None:
        text = ""
    if text:
        out.append(esc(text))
    low, high = _num(schema, "minimum"), _num(schema, "maximum")
    ex_low, ex_high = _num(schema, "exclusiveMinimum"), _num(schema, "exclusiveMaximum")
    if low is not None and high is not None:
        out.append(esc(f"from {number(low)} to {number(high)}"))
    else:
        if low is not None:
            out.append(esc(f"at least {number(low)}"))
        if high is not None:
            out.append(esc(f"at most {number(high)}"))
    if ex_low is not None:
        out.append(esc(f"more than {number(ex_low)}"))
    if ex_high is not None:
        out.append(esc(f"less than {number(ex_high)}"))
    if _num(schema, "multipleOf") is not None:
        out.append(esc(f"a multiple of {number(schema['multipleOf'])}"))
    text = _range(_num(schema, "minItems"), _num(schema, "maxItems"), "item", "items")
    if text and _num(schema, "minItems") != 0:
        out.append(esc(text))
    if schema.get("uniqueItems") is True:
        out.append("no duplicates")
    items = flatten(schema.get("items")) if isinstance(schema.get("items"), dict) else {}
    if items:
        inner = [c for c in constraints({k: v for k, v in items.items() if k != "default"}) if c]
        out += [f"each {c}" for c in inner if not c.startswith("Example")]
    if isinstance(schema.get("pattern"), str):
        out.append(f"matches {code(schema['pattern'])}")
    example = schema.get("example")
    if example is None and isinstance(schema.get("examples"), list) and schema["examples"]:
        example = schema["examples"][0]
    if example is not None and not isinstance(example, dict | list) and enum_values(schema) is None:
        out.append(f"Example {code(example)}")
    return out


def enum_html(schema: dict) -> str:
    """The allowed values: listed when few, folded into ``<details>`` when many; an ``anyOf`` of
    enums (one per model, say) listed branch by branch under each branch's title."""
    branches = [
        flatten(b) for key in ("anyOf", "oneOf") for b in schema.get(key) or [] if isinstance(b, dict)
    ]
    titled = [b for b in branches if enum_values(b) is not None]
    if "enum" not in schema and branches and len(titled) == len(branches) and len(branches) > 1:
        return "".join(_values_html(enum_values(b) or [], b.get("title") or "", badge(b)) for b in titled)
    values = enum_values(schema)
    if values is None and isinstance(schema.get("items"), dict):
        inner = enum_values(flatten(schema["items"]))
        return _values_html(inner, "Each", "") if inner else ""
    if values is None or "const" in schema and len(values) == 1 and not schema.get("enum"):
        return f'<div class="sg-field-values">Always {code(values[0])}</div>' if values else ""
    return _values_html(values, "", "")


def _values_html(values: list, title: str, mark: str) -> str:
    listed = ", ".join(code(v) for v in values)
    label = f"{esc(title)}: " if title else ""
    if len(values) > LONG_ENUM:
        what = f"{esc(title)}: " if title else ""
        return (
            f'<details class="sg-field-values sg-enum"><summary>{what}one of {len(values)} values'
            f"{' ' + mark if mark else ''}</summary><p>{listed}</p></details>"
        )
    return f'<div class="sg-field-values">{label}one of {listed}{" " + mark if mark else ""}</div>'


def type_label(schema: Any, depth: int = 0) -> str:
    """``string``, ``integer``, ``array of string``, ``string (uri)``, ``file``, ``string or null``."""
    schema = flatten(schema)
    if not isinstance(schema, dict) or depth > 4:
        return ""
    if "$ref" in schema and len(schema) == 1:  # a cycle kept as a reference: name the schema
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(type_label({**schema, "type": k}, depth + 1) for k in kind)
    for key in ("oneOf", "anyOf"):
        variants = [type_label(v, depth + 1) for v in schema.get(key) or [] if isinstance(v, dict)]
        variants = [v for v in dict.fromkeys(variants) if v]
        if variants and not kind:
            return " or ".join(variants)
    if kind is None:
        for probe in ("const", "enum"):
            if probe in schema:
                values = (
                    schema[probe] if probe == "enum" and isinstance(schema[probe], list) else [schema[probe]]
                )
                kinds = {_json_type(v) for v in values}
                if len(kinds) == 1:
                    kind = kinds.pop()
        if kind is None:
            kind = "object" if "properties" in schema else "any"
    if kind == "array":
        inner = type_label(schema.get("items") or {}, depth + 1)
        return f"array of {inner}" if inner and inner != "any" else "array"
    fmt = schema.get("format")
    if kind == "string" and fmt == "binary":
        return "file"
    if fmt and isinstance(fmt, str):
        kind = f"{kind} ({fmt})"
    if schema.get("nullable") is True:
        kind = f"{kind} or null"
    return str(kind)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"
