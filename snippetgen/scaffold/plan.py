"""What ``snippetgen new`` writes for an operation: a :class:`Plan` decided once from the spec.

Every language's scaffold emitter turns the same plan into its template, so all tabs send the same
request. What goes into the request:

* the operation's request example (its ``example``, or the first of its ``examples``), then every
  required field missing from it, then every enum-valued field that has a ``default``; every one
  of them is a template variable (``video_description`` -> ``videoDescription``);
* values come from that example, else the field's ``default`` / ``example`` / first enum value
  (enums) or ``example`` / ``default`` (others), else a readable placeholder of the right type.

A create operation with an OpenAPI ``links`` entry (or ``x-mock.job-poll``) to a poll operation
gets a create-then-poll loop; asking for the poll operation itself scaffolds the same loop, since a
job id only comes from its create call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..spec.model import Operation, SpecSet, schema_properties
from ..spec.values import enum_values

SUCCESS_STATES = re.compile(r"^(complete|completed|succeeded|success|successful|done|finished|ready)$", re.I)
FAILURE_STATES = re.compile(r"fail|error|cancel|reject|expire", re.I)
MEDIA_EXT = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/*": "png",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/*": "mp3",
    "video/mp4": "mp4",
    "video/*": "mp4",
    "model/gltf-binary": "glb",
}
RESERVED_VARS = {"name", "baseUrl", "apiKeyEnv", "pollInterval", "pollTimeout"}
PLACEHOLDER_TEXT = "A red fox running through fresh snow at sunrise"


@dataclass
class Field:
    """One value the request sends: a JSON/multipart body field, a query or a path parameter."""

    name: str
    """Name on the wire (``video_description``, ``generation_ids[]``)."""
    var: str
    """Template variable holding its value (``videoDescription``); empty for file parts."""
    value: Any
    where: str
    """``body``, ``file``, ``query`` or ``path``."""
    filename: str = ""
    """File parts: the fixture uploaded (``image.png``)."""
    content_type: str = ""


@dataclass
class Request:
    """The call an example makes: its operation, body kind, fields and what comes back."""

    op: Operation
    body: str | None
    """``json``, ``multipart`` or None."""
    fields: list[Field]
    response: str
    """``json``, ``text``, ``sse``, ``binary`` or ``none``."""
    output_file: str | None = None
    """Where a binary answer is saved."""

    def of(self, *where: str) -> list[Field]:
        return [f for f in self.fields if f.where in where]


@dataclass
class Poll:
    """How a job example polls: the poll operation and where the job id and its status are."""

    op: Operation
    id_pointer: list[str | int]
    """Where the job id sits in the create call's answer (``["clip_ids", 0]``)."""
    id_type: str
    """``string`` or ``integer``."""
    param: str
    """Name of the poll operation's parameter that takes the id."""
    param_in: str
    """``query``, ``path`` or ``header``."""
    local: str
    """snake_case name of the id in the code (``generation_id``; ``job_id`` for a bare ``id``)."""
    status_field: str | None
    done: list[str]
    failed: list[str]
    extra: list[Field] = field(default_factory=list)
    """Other required parameters of the poll call."""


@dataclass
class Plan:
    """Everything the templates need, decided once from the spec."""

    api: str
    base_url: str
    auth: tuple[str, str] | None
    """``("bearer", "Authorization")`` or ``("header", "X-API-Key")``; None for open operations."""
    request: Request
    poll: Poll | None
    fixtures: list[str]


# --- the operations: create and poll -------------------------------------------------------------


def resolve(specs: SpecSet, ref: str) -> Operation:
    """The operation ``ref`` names; an unknown one suggests close names (or lists the APIs)."""
    op = specs.resolve(ref)
    if op is not None:
        return op
    close = specs.suggest(ref)
    apis = ", ".join(sorted(specs.apis)) or "(none: no specs were found)"
    hint = (
        f"did you mean {' or '.join(map(repr, close))}?"
        if close
        else f"write api:operationId or 'api:METHOD /path'; the APIs are: {apis}"
    )
    raise UsageError(f"unknown operation {ref!r}", hint=hint)


def _x(op: Operation) -> dict:
    x = op.raw.get("x-mock")
    return x if isinstance(x, dict) else {}


def _success_responses(op: Operation) -> list[tuple[str, dict]]:
    responses = op.raw.get("responses") or {}
    return [
        (str(code), r)
        for code, r in sorted(responses.items(), key=lambda kv: str(kv[0]))
        if str(code).startswith("2") and isinstance(r, dict)
    ]


def _links(op: Operation) -> list[dict]:
    return [
        link
        for _, r in _success_responses(op)
        for link in (r.get("links") or {}).values()
        if isinstance(link, dict)
    ]


def _find(specs: SpecSet, api: str, op_id: str) -> Operation | None:
    return specs.resolve(f"{api}:{op_id}")


def create_and_poll(specs: SpecSet, op: Operation) -> tuple[Operation, Operation | None]:
    """(create, poll) for a job operation asked by either end; (op, None) otherwise."""
    poll = _poll_of(specs, op)
    if poll is not None:
        return op, poll
    polled = (_x(op).get("job-poll") or {}).get("of") or []
    creators = [c for c in (_find(specs, op.api, name) for name in polled) if c is not None]
    for other in specs.apis[op.api].operations:
        linked = any(link.get("operationId") == op.operation_id for link in _links(other))
        if linked and other not in creators:
            creators.append(other)
    for create in creators:
        if _poll_of(specs, create) == op:
            return create, op
    return op, None


def _poll_of(specs: SpecSet, op: Operation) -> Operation | None:
    for link in _links(op):
        target = _find(specs, op.api, str(link.get("operationId", "")))
        if target is not None and target.method == "GET":
            return target
    if "job-create" in _x(op):
        for other in specs.apis[op.api].operations:
            if op.operation_id in ((_x(other).get("job-poll") or {}).get("of") or []):
                return other
    return None


# --- the plan ------------------------------------------------------------------------------------


def make_plan(specs: SpecSet, op: Operation, poll_op: Operation | None) -> Plan:
    api = specs.apis[op.api]
    taken: set[str] = set(RESERVED_VARS)
    fields = _request_fields(op, taken)
    response, output = _response_kind(op)
    body = None
    if op.request_schema is not None or op.request_content_type:
        ctype = (op.request_content_type or "").lower()
        body = "multipart" if ctype.startswith("multipart/") else "json"
    request = Request(op, body, fields, response, output)
    poll = _make_poll(op, poll_op, taken) if poll_op is not None else None
    fixtures = sorted({f.filename for f in fields if f.where == "file"})
    return Plan(op.api, api.base_url.rstrip("/"), _auth(api.document, op), request, poll, fixtures)


def _auth(document: dict, op: Operation) -> tuple[str, str] | None:
    if not op.secured:
        return None
    security = op.raw.get("security", document.get("security")) or []
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    for requirement in security:
        for name in requirement or {}:
            scheme = schemes.get(name) or {}
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header" and scheme.get("name"):
                return ("header", str(scheme["name"]))
    return ("bearer", "Authorization")


def _request_example(op: Operation) -> dict:
    body = op.raw.get("requestBody") or {}
    media = (body.get("content") or {}).get(op.request_content_type or "", {}) or {}
    if isinstance(media.get("example"), dict):
        return media["example"]
    for example in (media.get("examples") or {}).values():
        if isinstance(example, dict) and isinstance(example.get("value"), dict):
            return example["value"]
    schema = media.get("schema") or {}
    return schema["example"] if isinstance(schema.get("example"), dict) else {}


def _required_body(schema: dict, has_example: bool) -> list[str]:
    names = list(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        if isinstance(part, dict):
            names += [n for n in part.get("required") or [] if n not in names]
    if not names and not has_example:  # "one of these is required": take the first alternative
        for key in ("anyOf", "oneOf"):
            for part in schema.get(key) or []:
                if isinstance(part, dict) and part.get("required"):
                    return list(part["required"])
    return names


def _request_fields(op: Operation, taken: set[str]) -> list[Field]:
    fields: list[Field] = []
    schema = op.request_schema if isinstance(op.request_schema, dict) else None
    if schema is not None:
        example = _request_example(op)
        props = schema_properties(schema)
        content = (op.raw.get("requestBody") or {}).get("content") or {}
        encoding = (content.get(op.request_content_type or "") or {}).get("encoding") or {}
        names = list(example)
        names += [n for n in _required_body(schema, bool(example)) if n not in names]
        names += [n for n, s in props.items() if n not in names and "default" in s and enum_values(s)]
        multipart = (op.request_content_type or "").startswith("multipart/")
        for name in names:
            sub = props.get(name) or {}
            if multipart and _is_binary(sub):
                ctype = _part_type(name, sub, encoding.get(name) or {})
                filename = f"{_media_word(ctype)}.{MEDIA_EXT.get(ctype, 'bin')}"
                fields.append(Field(name, "", None, "file", filename, ctype))
                continue
            value = example[name] if name in example else value_for(name, sub)
            fields.append(Field(name, _var(name, taken), _tidy(value), "body"))
    for param in op.raw.get("parameters") or []:
        if not isinstance(param, dict) or param.get("in") not in ("query", "path"):
            continue
        sub = param.get("schema") or {}
        wanted = param.get("required") or param["in"] == "path" or ("default" in sub and enum_values(sub))
        if wanted:
            value = param["example"] if "example" in param else value_for(param["name"], sub)
            fields.append(Field(param["name"], _var(param["name"], taken), _tidy(value), param["in"]))
    return fields


def _is_binary(schema: dict) -> bool:
    if schema.get("format") == "binary" or "contentMediaType" in schema:
        return True
    items = schema.get("items")
    return schema.get("type") == "array" and isinstance(items, dict) and _is_binary(items)


def _part_type(name: str, schema: dict, encoding: dict) -> str:
    declared = str(encoding.get("contentType") or schema.get("contentMediaType") or "")
    allowed = [t.strip() for t in declared.split(",") if t.strip()]
    for preferred in ("image/png", "audio/mpeg", "video/mp4"):
        if preferred in allowed:
            return preferred
    for candidate in allowed:
        if candidate in MEDIA_EXT:
            return candidate.replace(
                "/*",
                "/png"
                if candidate.startswith("image")
                else "/mpeg"
                if candidate.startswith("audio")
                else "/mp4",
            )
    word = name.lower()
    if "audio" in word or "voice" in word:
        return "audio/mpeg"
    return "video/mp4" if "video" in word else "image/png"


def _media_word(ctype: str) -> str:
    major = ctype.split("/", 1)[0]
    return {"image": "image", "audio": "audio", "video": "video", "model": "model"}.get(major, "file")


def _response_kind(op: Operation) -> tuple[str, str | None]:
    for _, response in _success_responses(op):
        content = response.get("content") or {}
        for ctype in content:
            base = ctype.split(";")[0].strip().lower()
            if base == "text/event-stream":
                return "sse", None
            if base.endswith("json"):
                return "json", None
            if base.startswith("text/"):
                return "text", None
            ext = MEDIA_EXT.get(base) or re.sub(r"[^a-z0-9]+", "", base.split("/")[-1])[:12] or "bin"
            return "binary", f"{_media_word(base)}.{ext}"  # a safe file name, whatever the spec says
    return "none", None


def _make_poll(create: Operation, poll: Operation, taken: set[str]) -> Poll:
    pointer: list[str | int] | None = None
    param = None
    for link in _links(create):
        if link.get("operationId") != poll.operation_id:
            continue
        for name, expr in (link.get("parameters") or {}).items():
            if isinstance(expr, str) and expr.startswith("$response.body#"):
                param = str(name)
                if param.startswith(("path.", "query.", "header.")):
                    param = param.split(".", 1)[1]
                pointer = _pointer(expr.split("#", 1)[1])
                break
    job_poll = _x(poll).get("job-poll") or {}
    if pointer is None:
        pointer = _pointer(str((_x(create).get("job-create") or {}).get("id") or "/id"))
    if param is None:
        param = str(job_poll.get("id") or "query:id").partition(":")[2] or "id"
    param_in = "query"
    for p in poll.raw.get("parameters") or []:
        if isinstance(p, dict) and p.get("name") == param:
            param_in = p.get("in", "query")
    local = snake(param) if param != "id" else "job_id"
    extra = [f for f in _request_fields(poll, taken) if f.name != param and f.where in ("query", "path")]
    extra = [
        f
        for f in extra
        if any(
            p.get("name") == f.name and p.get("required")
            for p in poll.raw.get("parameters") or []
            if isinstance(p, dict)
        )
    ]
    status_field, states = _status_states(poll)
    done = [s for s in states if SUCCESS_STATES.match(s)]
    failed = [s for s in states if FAILURE_STATES.search(s) and s not in done]
    if status_field and not done:
        last = _last_phase_status(poll, status_field)
        done = [last] if last else []
        if not done:
            status_field = None
    return Poll(
        poll, pointer, _id_type(create, pointer), param, param_in, local, status_field, done, failed, extra
    )


def _status_states(poll: Operation) -> tuple[str | None, list[str]]:
    for name in ("status", "state"):
        states: list[str] = []
        for _, response in _success_responses(poll):
            for media in (response.get("content") or {}).values():
                schema = (media or {}).get("schema") or {}
                sub = schema_properties(schema).get(name)
                if isinstance(sub, dict):
                    values = enum_values(sub) or sub.get("examples") or []
                    states += [str(v) for v in values if str(v) not in states]
        if states:
            return name, states
    return None, []


def _last_phase_status(poll: Operation, status_field: str) -> str | None:
    phases = (_x(poll).get("job-poll") or {}).get("phases") or []
    if not phases:
        return None
    last = phases[-1]
    response = (poll.raw.get("responses") or {}).get(str(last.get("status"))) or {}
    for media in (response.get("content") or {}).values():
        example = ((media or {}).get("examples") or {}).get(last.get("example")) or {}
        value = example.get("value") if isinstance(example, dict) else None
        if isinstance(value, dict) and isinstance(value.get(status_field), str):
            return value[status_field]
    return None


def _id_type(create: Operation, pointer: list[str | int]) -> str:
    for _, response in _success_responses(create):
        for media in (response.get("content") or {}).values():
            node: Any = (media or {}).get("schema") or {}
            for part in pointer:
                if isinstance(part, int):
                    node = node.get("items") or {} if isinstance(node, dict) else {}
                else:
                    node = schema_properties(node).get(part) or {} if isinstance(node, dict) else {}
            if isinstance(node, dict) and node.get("type") == "integer":
                return "integer"
    return "string"


def _pointer(text: str) -> list[str | int]:
    parts: list[str | int] = []
    for token in text.strip().lstrip("#").split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        parts.append(int(token) if token.isdigit() else token)
    return parts


# --- values --------------------------------------------------------------------------------------


def value_for(name: str, schema: dict, depth: int = 0) -> Any:
    """A default for a field with no example in the request: the schema's, else a placeholder."""
    schema = schema if isinstance(schema, dict) else {}
    enum = enum_values(schema)
    if enum:
        for key in ("default", "example"):
            if key in schema and schema[key] in enum:
                return schema[key]
        examples = [e for e in schema.get("examples") or [] if e in enum]
        return examples[0] if examples else enum[0]
    if "example" in schema:
        return schema["example"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    for key in ("allOf", "anyOf", "oneOf"):
        parts = [p for p in schema.get(key) or [] if isinstance(p, dict)]
        if parts and depth < 8:
            return value_for(name, {**{k: v for k, v in schema.items() if k != key}, **parts[0]}, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    word = name.lower()
    if kind == "integer" or kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        low = low if isinstance(low, int | float) and not isinstance(low, bool) else 0
        value = max(1, int(low) + (1 if "exclusiveMinimum" in schema else 0))
        high = schema.get("maximum")
        return min(value, high) if isinstance(high, int | float) else value
    if kind == "boolean":
        return False
    if kind == "array":
        return [value_for(name.rstrip("s[]") or name, schema.get("items") or {}, depth + 1)]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if depth >= 8:
            return {}
        return {k: value_for(k, props.get(k) or {}, depth + 1) for k in schema.get("required") or []}
    if schema.get("format") in ("uri", "url") or word.endswith("url"):
        ext = "mp3" if "audio" in word else "mp4" if "video" in word else "jpg"
        return f"https://example.com/{kebab(name).removesuffix('-url') or 'file'}.{ext}"
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    if re.search(r"prompt|text|description|lyrics|input|query|message|content", word):
        return PLACEHOLDER_TEXT
    if re.search(r"(^|_)ids?(\[\])?$", word):
        return f"your-{kebab(name.rstrip('[]'))}"
    return f"example-{kebab(name)}" if kebab(name) else "example"


def _tidy(value: Any) -> Any:
    """Integral floats become ints, so every language writes (and sends) the same number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    return value


# --- names ---------------------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def snake(name: str) -> str:
    """``videoDescription`` / ``video-description`` -> ``video_description`` (a valid identifier)."""
    words = _words(name)
    text = "_".join(words) or "value"
    return f"v_{text}" if text[0].isdigit() else text


def kebab(name: str) -> str:
    """``video_description`` -> ``video-description``."""
    return "-".join(_words(name))


def camel(name: str) -> str:
    """``video_description`` -> ``videoDescription`` (a valid identifier)."""
    words = _words(name) or ["value"]
    text = words[0] + "".join(w.capitalize() for w in words[1:])
    return f"v{text[0].upper()}{text[1:]}" if text[0].isdigit() else text


def _var(name: str, taken: set[str]) -> str:
    base = camel(name)
    var = base if base not in taken else f"{base}Value"
    n = 2
    while var in taken:
        var, n = f"{base}{n}", n + 1
    taken.add(var)
    return var


def api_key_env(api: str) -> str:
    """``aimlapi`` -> ``AIMLAPI_API_KEY`` (always a valid environment variable name)."""
    stem = re.sub(r"[^A-Z0-9]+", "_", api.upper()).strip("_")
    return ("API_" + stem if stem[:1].isdigit() else stem or "API") + "_API_KEY"
