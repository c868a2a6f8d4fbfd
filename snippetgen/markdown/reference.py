"""The operation reference: one OpenAPI operation as Markdown (``<operation data-ref=...>``).

It replaces GitBook's ``{% swagger src path method %}`` blocks: method and full URL, the
operation's description, authentication, a table per parameter location and one for the request
body (name, type, required, default, allowed values, limits, description), then each response
with its example as a code block.

Every text taken from a spec is untrusted: descriptions are rendered with markdown-it with raw
HTML disabled (so ``<script>`` or ``<img onerror=...>`` come out as visible text and unsafe link
schemes are refused), everything else is HTML-escaped, and examples go into fenced code blocks.
The HTML this module writes is also *inert*: the characters of Markdown's inline syntax in its text
(``[``, ``(``, `````, ``*``, ``{``...) are character references, so a host that runs it through
Markdown again (an ``<operation>`` tag indented in a list or admonition is not a raw HTML block for
Python-Markdown) cannot turn ``[x](javascript:...)`` or ``{: onclick=...}`` into markup.
"""

from __future__ import annotations

import html
import json
from typing import Any

from ..spec.model import Operation, SpecSet
from .inert import inert, safe_markdown
from .tabs import code_fence, md_escape

COLUMNS = ("Name", "Type", "Required", "Default", "Allowed values", "Limits", "Description")
LIMITS = (
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMaximum", "< {}"),
    ("multipleOf", "multiple of {}"),
    ("minLength", "at least {} character{s}"),
    ("maxLength", "at most {} character{s}"),
    ("minItems", "at least {} item{s}"),
    ("maxItems", "at most {} item{s}"),
    ("minProperties", "at least {} propert{ies}"),
    ("maxProperties", "at most {} propert{ies}"),
)
MAX_DEPTH = 3
PARAM_LOCATIONS = (
    ("path", "Path parameters"),
    ("query", "Query parameters"),
    ("header", "Header parameters"),
    ("cookie", "Cookie parameters"),
)


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (a malformed spec renders what it can)."""
    return value if isinstance(value, dict) else {}


def esc(value: Any) -> str:
    """Untrusted text as inert HTML text."""
    return inert(html.escape(str(value), quote=True))


def code(value: Any) -> str:
    """A JSON value as inline code (strings without quotes, unless empty or padded)."""
    plain = isinstance(value, str) and value and value.strip() == value
    text = value if plain else json.dumps(value, ensure_ascii=False)
    return f"<code>{esc(text)}</code>"


def operation_markdown(op: Operation, specs: SpecSet | None = None, *, level: int = 3) -> str:
    """The reference of one ``spec.Operation`` as Markdown (raw HTML blocks and code fences)."""
    api = specs.apis.get(op.api) if specs is not None else None
    document = getattr(api, "document", {}) or {}
    base_url = (getattr(api, "base_url", "") or "").rstrip("/")
    raw = op.raw or {}
    blocks: list[str] = []
    if level:
        title = op.summary or f"{op.method} {op.path}"
        blocks.append(f"{'#' * level} {md_escape(title)}")

    method = esc(op.method.upper())
    head = [
        f'<div class="snippetgen-operation" data-operation="{esc(op.api)}:{esc(op.operation_id)}">',
        f'<p class="snippetgen-endpoint"><span class="snippetgen-method snippetgen-method-{method.lower()}">'
        f"{method}</span> <code>{esc(base_url + op.path)}</code></p>",
    ]
    if raw.get("deprecated"):
        head.append('<p class="snippetgen-deprecated"><strong>Deprecated.</strong></p>')
    if op.description:
        head.append(f'<div class="snippetgen-description">{safe_markdown(op.description)}</div>')
    head.append(f'<p class="snippetgen-auth"><strong>Authentication:</strong> {auth_html(raw, document)}</p>')

    params = [p for p in raw.get("parameters") or [] if isinstance(p, dict)]
    for where, heading in PARAM_LOCATIONS:
        rows = [_param_row(p) for p in params if p.get("in") == where]
        if rows:
            head.append(f"<p><strong>{heading}</strong></p>")
            head.append(table(rows))

    body = raw.get("requestBody") if isinstance(raw.get("requestBody"), dict) else None
    body_example = None
    if body:
        content = body.get("content") or {}
        media_type = op.request_content_type or next(iter(content), "")
        media = content.get(media_type) or {}
        required = " (required)" if body.get("required") else ""
        head.append(f"<p><strong>Request body</strong> <code>{esc(media_type)}</code>{required}</p>")
        if body.get("description"):
            head.append(f'<div class="snippetgen-description">{safe_markdown(body["description"])}</div>')
        schema = _mapping(media.get("schema"))
        if schema.get("description"):
            head.append(f'<div class="snippetgen-description">{safe_markdown(schema["description"])}</div>')
        rows = schema_rows(schema)
        if rows:
            head.append(table(rows))
        elif schema:
            head.append(f"<p>{esc(type_label(schema))}</p>")
        body_example = example_of(media)
    head.append("</div>")
    blocks.append("\n".join(head))
    if body_example is not None:
        blocks.append('<p class="snippetgen-example-label">Example request body</p>')
        blocks.append(example_block(body_example, media_type).rstrip("\n"))

    responses = _mapping(raw.get("responses"))
    if responses:
        blocks.append("<p><strong>Responses</strong></p>")
    for status, response in responses.items():
        if not isinstance(response, dict):
            continue
        content = _mapping(response.get("content"))
        media_type = next(iter(content), "")
        line = (
            f'<p class="snippetgen-response"><code>{esc(status)}</code> '
            f"{safe_markdown(response.get('description', ''), inline=True)}"
        )
        if media_type:
            line += f" <code>{esc(media_type)}</code>"
        headers = [name for name in (response.get("headers") or {}) if isinstance(name, str)]
        if headers:
            line += " (headers: " + ", ".join(f"<code>{esc(h)}</code>" for h in headers) + ")"
        blocks.append(line + "</p>")
        example = example_of(content.get(media_type) or {}) if media_type else None
        if example is not None:
            blocks.append(example_block(example, media_type).rstrip("\n"))
    return "\n\n".join(blocks) + "\n"


def example_block(example: Any, media_type: str) -> str:
    if media_type == "text/event-stream" and isinstance(example, list):
        events = (item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in example)
        return code_fence("\n\n".join(f"data: {event}" for event in events), "text")
    if isinstance(example, str) and "json" not in media_type:
        return code_fence(example, "text")
    text = example if isinstance(example, str) else json.dumps(example, ensure_ascii=False, indent=2)
    return code_fence(text, "json")


def example_of(media: dict) -> Any:
    """The example of a media type: ``example``, the first of ``examples``, or the schema's."""
    if not isinstance(media, dict):
        return None
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict):
        for item in examples.values():
            if isinstance(item, dict) and "value" in item:
                return item["value"]
    schema = media.get("schema")
    if isinstance(schema, dict):
        if "example" in schema:
            return schema["example"]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
    return None


def auth_html(raw: dict, document: dict) -> str:
    """How to authenticate, from the operation's (or the document's) security requirements."""
    security = raw.get("security", document.get("security")) or []
    requirements = [req for req in security if isinstance(req, dict)]
    named = [req for req in requirements if req]
    if not named:
        return "none"
    text = " or ".join(_schemes_html(req, document) for req in named)
    return f"optional; {text}" if len(named) < len(requirements) else text


def _schemes_html(requirement: dict, document: dict) -> str:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    parts = []
    for name in requirement:
        scheme = _mapping(schemes.get(name))
        kind = scheme.get("type")
        http = str(scheme.get("scheme", "")).lower()
        if kind == "http" and http == "bearer":
            text, usage = "bearer token", "<code>Authorization: Bearer &lt;key&gt;</code>"
        elif kind == "http" and http == "basic":
            text, usage = "HTTP Basic", "<code>Authorization: Basic &lt;credentials&gt;</code>"
        elif kind == "apiKey":
            where = {"header": "header", "query": "query parameter", "cookie": "cookie"}.get(
                str(scheme.get("in")), "field"
            )
            text, usage = f"API key in the {where} <code>{esc(scheme.get('name', ''))}</code>", ""
        else:
            text, usage = (esc(kind) if kind else f"<code>{esc(name)}</code>"), ""
        if scheme.get("description"):
            usage = safe_markdown(scheme["description"], inline=True)
        if usage:
            text += f": {usage}"
        parts.append(text)
    return " and ".join(parts)


# --- schemas as table rows -------------------------------------------------------------------


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
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            else:
                merged[key] = value
    own = {k: v for k, v in schema.items() if k != "allOf"}
    if "properties" in own:
        own["properties"] = {**merged.get("properties", {}), **own["properties"]}
    if "required" in own:
        own["required"] = list(dict.fromkeys([*merged.get("required", []), *own["required"]]))
    return {**merged, **own}


def schema_rows(schema: dict, prefix: str = "", depth: int = 0) -> list[list[str]]:
    """One row per property (nested objects as ``parent.child``, array items as ``parent[].child``)."""
    schema = flatten(schema)
    properties = dict(schema.get("properties") or {}) if isinstance(schema.get("properties"), dict) else {}
    required = set(schema.get("required") or [])
    either: set[str] = set()
    for key in ("oneOf", "anyOf"):
        for variant in schema.get(key) or []:
            variant = flatten(variant)
            if not isinstance(variant, dict):
                continue
            for name, sub in (variant.get("properties") or {}).items():
                properties.setdefault(name, sub)
            either.update(variant.get("required") or [])
    rows = []
    for name, sub in properties.items():
        sub = flatten(sub)
        need = "yes" if name in required else ("one of" if name in either else "no")
        rows.append(field_row(prefix + name, sub, need))
        if depth + 1 < MAX_DEPTH:
            kind = sub.get("type")
            if kind == "object" or "properties" in sub:
                rows += schema_rows(sub, f"{prefix}{name}.", depth + 1)
            elif kind == "array" and isinstance(sub.get("items"), dict):
                items = flatten(sub["items"])
                if items.get("properties"):
                    rows += schema_rows(items, f"{prefix}{name}[].", depth + 1)
    return rows


def _param_row(param: dict) -> list[str]:
    schema = flatten(param.get("schema") or {})
    description = param.get("description") or schema.get("description") or ""
    row = field_row(
        str(param.get("name", "")),
        {**schema, "description": description},
        "yes" if param.get("required") else "no",
    )
    if param.get("deprecated"):
        row[-1] = "<strong>Deprecated.</strong> " + row[-1]
    return row


def field_row(name: str, schema: dict, required: str) -> list[str]:
    allowed = ""
    if "enum" in schema and isinstance(schema["enum"], list):
        allowed = ", ".join(code(v) for v in schema["enum"])
    elif "const" in schema:
        allowed = code(schema["const"])
    limits = limits_of(schema)
    items = _mapping(schema.get("items"))
    if items:
        limits += [f"each {text}" for text in limits_of(flatten(items))]
        if "enum" in items and not allowed:
            allowed = ", ".join(code(v) for v in items["enum"])
    default = code(schema["default"]) if "default" in schema else ""
    description = safe_markdown(schema.get("description", ""))
    if schema.get("deprecated"):
        description = "<strong>Deprecated.</strong> " + description
    if "example" in schema and not isinstance(schema["example"], dict | list):
        description += f" Example: {code(schema['example'])}"
    return [
        f"<code>{esc(name)}</code>",
        esc(type_label(schema)),
        required,
        default,
        allowed,
        "<br>".join(limits),
        description.strip(),
    ]


def limits_of(schema: dict) -> list[str]:
    """Human-readable bounds of a schema (each an HTML fragment)."""
    out = []
    for key, template in LIMITS:
        value = schema.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            one = value == 1
            out.append(esc(template.format(value, s="" if one else "s", ies="y" if one else "ies")))
    if schema.get("uniqueItems") is True:
        out.append("unique items")
    if isinstance(schema.get("pattern"), str):
        out.append(f"matches {code(schema['pattern'])}")
    return out


def type_label(schema: Any, depth: int = 0) -> str:
    """``string``, ``integer``, ``array of string``, ``string (uri)``, ``file``, ``string | null``."""
    schema = flatten(schema)
    if not isinstance(schema, dict) or depth > 4:
        return ""
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(type_label({**schema, "type": k}, depth + 1) for k in kind)
    for key in ("oneOf", "anyOf"):
        variants = [type_label(v, depth + 1) for v in schema.get(key) or [] if isinstance(v, dict)]
        variants = [v for v in dict.fromkeys(variants) if v]
        if variants and not kind:
            return " | ".join(variants)
    if kind is None:
        for probe in ("const", "enum"):
            if probe in schema:
                values = schema[probe] if probe == "enum" else [schema[probe]]
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
    if fmt:
        return f"{kind} ({fmt})"
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


def table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    # A bare <table> gets Material's table styling and scroll wrapper; the class goes on a div.
    table_html = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="snippetgen-fields">{table_html}</div>'
