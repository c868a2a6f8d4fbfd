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

import importlib
import json
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..spec.model import Operation, SpecSet, schema_properties
from ..spec.values import check_value, enum_values

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
RESERVED_VARS = {
    "name",
    "baseUrl",
    "apiKeyEnv",
    "usernameEnv",
    "passwordEnv",
    "pollInterval",
    "pollTimeout",
}
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
    """``body``, ``file``, ``query`` or ``path``; ``document`` for a whole JSON body that is not an
    object (an array), ``upload`` for a raw body sent from a file (``application/octet-stream``)."""
    filename: str = ""
    """File parts: the fixture uploaded (``image.png``)."""
    content_type: str = ""


@dataclass
class Request:
    """The call an example makes: its operation, body kind, fields and what comes back."""

    op: Operation
    body: str | None
    """``json``, ``multipart``, ``form`` (``application/x-www-form-urlencoded``), ``binary`` (the
    raw bytes of a file, in ``content_type``) or None."""
    fields: list[Field]
    response: str
    """``json``, ``text``, ``sse``, ``binary`` or ``none``."""
    output_file: str | None = None
    """Where a binary answer is saved."""
    content_type: str = ""
    """The request body's media type (``application/octet-stream``), for a ``binary`` body."""
    accept: str = ""
    """``Accept`` to send when the answer comes in several media types: the one the code reads."""

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
    """How the key travels, from the operation's security scheme: ``("bearer", "Authorization")``
    (HTTP bearer, OAuth2, OpenID Connect), ``("basic", "Authorization")`` (user and password),
    ``("header", "X-API-Key")``, ``("query", "api_key")`` or ``("cookie", "session")`` (apiKey);
    None for open operations."""
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
    """The GET operation polling the job ``op`` starts: a link from a call that is not a read to a
    GET whose answer has a status field (a link from a read, or to a plain read, is navigation)."""
    for link in _links(op) if op.method != "GET" else []:
        target = _find(specs, op.api, str(link.get("operationId", "")))
        if target is not None and target.method == "GET" and _status_states(target)[0] is not None:
            return target
    if "job-create" in _x(op):
        for other in specs.apis[op.api].operations:
            if op.operation_id in ((_x(other).get("job-poll") or {}).get("of") or []):
                return other
    return None


# --- the plan ------------------------------------------------------------------------------------


def make_plan(specs: SpecSet, op: Operation, poll_op: Operation | None, base_url: str | None = None) -> Plan:
    api = specs.apis[op.api]
    taken: set[str] = set(RESERVED_VARS)
    fields = _request_fields(op, taken)
    response, output = _response_kind(op)
    body = body_kind(op)
    request = Request(op, body, fields, response, output)
    if body == "binary":
        request.content_type = _upload_type(op)
    request.accept = _accept(op)
    poll = _make_poll(op, poll_op, taken) if poll_op is not None else None
    fixtures = sorted({f.filename for f in fields if f.where in ("file", "upload")})
    base_url = base_url or api.base_url
    return Plan(op.api, base_url.rstrip("/"), _auth(api.document, op), request, poll, fixtures)


def _auth(document: dict, op: Operation) -> tuple[str, str] | None:
    if not op.secured:
        return None
    security = op.raw.get("security", document.get("security")) or []
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    requirements = [r for r in security if isinstance(r, dict) and r]
    # One scheme is one credential: prefer a requirement that needs only one.
    requirements.sort(key=lambda r: len(r) != 1)
    for requirement in requirements:
        for name in requirement:
            scheme = schemes.get(name)
            if isinstance(scheme, dict):
                return _scheme_auth(scheme)
    return ("bearer", "Authorization")


def _scheme_auth(scheme: dict) -> tuple[str, str]:
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie") and scheme.get("name"):
        return (str(scheme["in"]), str(scheme["name"]))
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        return ("basic", "Authorization")
    return ("bearer", "Authorization")  # http bearer, oauth2, openIdConnect: a bearer token


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
    kind = body_kind(op)
    if kind == "binary":
        ctype = _upload_type(op)
        fields.append(Field("", "", None, "upload", f"{_media_word(ctype)}.{_ext(ctype)}", ctype))
        schema = None
    elif schema is not None and kind == "json" and not _is_object(schema):
        fields.append(Field("", _var("requestBody", taken), _tidy(_document_value(op, schema)), "document"))
        schema = None
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
            value = _fitting(example[name], name, sub) if name in example else _value(name, sub)
            if kind == "form":
                fields += _form_fields(name, _tidy(value), encoding.get(name) or {}, taken)
                continue
            fields.append(Field(name, _var(name, taken), _tidy(value), "body"))
    for param in op.raw.get("parameters") or []:
        if not isinstance(param, dict) or param.get("in") not in ("query", "path"):
            continue
        sub = param.get("schema") or {}
        wanted = param.get("required") or param["in"] == "path" or ("default" in sub and enum_values(sub))
        if wanted:
            value = (
                _fitting(param["example"], param["name"], sub)
                if "example" in param
                else _value(param["name"], sub)
            )
            fields.append(Field(param["name"], _var(param["name"], taken), _tidy(value), param["in"]))
    return fields


def _is_binary(schema: dict, depth: int = 0) -> bool:
    """A file: ``format: binary`` or a ``contentMediaType``, also as array items or as one of the
    ``anyOf``/``oneOf``/``allOf`` alternatives (``anyOf: [{format: binary}, {type: string}]``)."""
    if not isinstance(schema, dict) or depth > 8:
        return False
    if schema.get("format") == "binary" or "contentMediaType" in schema:
        return True
    items = schema.get("items")
    if isinstance(items, dict) and _is_binary(items, depth + 1):
        return True
    return any(
        _is_binary(part, depth + 1)
        for key in ("anyOf", "oneOf", "allOf")
        for part in schema.get(key) or []
        if isinstance(part, dict)
    )


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


def body_kind(op: Operation) -> str | None:
    """How the request body is sent: ``json``, ``multipart``, ``form``, ``binary`` or None."""
    if op.request_schema is None and not op.request_content_type:
        return None
    ctype = (op.request_content_type or "").split(";")[0].strip().lower()
    if ctype.startswith("multipart/"):
        return "multipart"
    if ctype == "application/x-www-form-urlencoded":
        return "form"
    if not ctype or ctype.endswith("json") or ctype.endswith("+json"):
        return "json"
    return "binary"  # application/octet-stream, image/png, application/xml...: the bytes of a file


def _upload_type(op: Operation) -> str:
    ctype = (op.request_content_type or "application/octet-stream").split(";")[0].strip()
    if ctype.endswith("/*"):
        return _part_type("", {}, {"contentType": ctype})
    return ctype


def _ext(ctype: str) -> str:
    if ctype in MEDIA_EXT:
        return MEDIA_EXT[ctype]
    sub = ctype.split("/")[-1].split("+")[-1]
    return {"octet-stream": "bin", "plain": "txt"}.get(
        sub, sub if re.fullmatch(r"[a-z0-9]{1,8}", sub) else "bin"
    )


def _is_object(schema: dict) -> bool:
    kind = schema.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in schema:
        return True
    if kind is None and not schema.get("items"):
        parts = [p for k in ("allOf", "anyOf", "oneOf") for p in schema.get(k) or [] if isinstance(p, dict)]
        return not parts or any(_is_object(p) for p in parts)
    return False


def _document_value(op: Operation, schema: dict) -> Any:
    """A whole body that is not an object (an array of pets): its example, else a generated one."""
    body = op.raw.get("requestBody") or {}
    media = (body.get("content") or {}).get(op.request_content_type or "", {}) or {}
    if "example" in media:
        return media["example"]
    for example in (media.get("examples") or {}).values():
        if isinstance(example, dict) and "value" in example:
            return example["value"]
    return value_for("body", schema)


def _form_fields(name: str, value: Any, encoding: dict, taken: set[str]) -> list[Field]:
    """A form-urlencoded property as the keys it travels as, by its ``style`` and ``explode``.

    ``deepObject``: ``metadata[order_id]=...`` and ``expand[]=a&expand[]=b``; ``form`` (the default,
    exploded): an object's own keys, an array's repeated name; not exploded: ``name=a,b``.
    """
    style = str(encoding.get("style") or "form")
    explode = bool(encoding.get("explode", style == "form"))
    if isinstance(value, dict):
        if style == "deepObject":
            out: list[Field] = []
            for key, sub in value.items():
                out += _form_fields(f"{name}[{key}]", sub, encoding, taken)
            return out
        if explode:
            return [Field(str(k), _var(str(k), taken), v, "body") for k, v in value.items()]
        flat = ",".join(f"{k},{_form_text(v)}" for k, v in value.items())
        return [Field(name, _var(name, taken), flat, "body")]
    if isinstance(value, list):
        if style == "deepObject" or (explode and not name.endswith("]")):
            key = f"{name}[]" if style == "deepObject" else name
            return [Field(key, _var(name, taken), [_form_text(v) for v in value], "body")]
        sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return [Field(name, _var(name, taken), sep.join(_form_text(v) for v in value), "body")]
    return [Field(name, _var(name, taken), value, "body")]


def _form_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


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


def _accept(op: Operation) -> str:
    """The media type the example reads, when its first success answer offers more than one (a
    server picks by ``Accept``: ``video/mp4`` rather than the preview image or the JSON)."""
    for _, response in _success_responses(op):
        content = [str(c).split(";")[0].strip() for c in response.get("content") or {}]
        return content[0] if len(content) > 1 and "*" not in content[0] else ""
    return ""


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


def value_for(name: str, schema: dict, depth: int = 0, *, given: bool = True) -> Any:
    """A default for a field with no example in the request: the schema's, else a placeholder.

    ``given=False`` ignores the schemas' own ``example``/``examples``/``default`` at every level
    (for when those break the schema) and builds the value from its shape.
    """
    schema = schema if isinstance(schema, dict) else {}
    enum = enum_values(schema)
    if enum:
        for key in ("default", "example"):
            if key in schema and schema[key] in enum:
                return schema[key]
        examples = [e for e in schema.get("examples") or [] if e in enum]
        return examples[0] if examples else enum[0]
    if given and "example" in schema:
        return schema["example"]
    if given and isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if given and "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    for key in ("allOf", "anyOf", "oneOf"):
        parts = [p for p in schema.get(key) or [] if isinstance(p, dict)]
        if parts and depth < 8:
            merged = {**{k: v for k, v in schema.items() if k != key}, **parts[0]}
            return value_for(name, merged, depth + 1, given=given)
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
        return [value_for(name.rstrip("s[]") or name, schema.get("items") or {}, depth + 1, given=given)]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if depth >= 8:
            return {}
        return {
            k: value_for(k, props.get(k) or {}, depth + 1, given=given) for k in schema.get("required") or []
        }
    return _fit_length(_string_for(name, schema, word), schema)


FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "duration": "P1D",
    "byte": "ZXhhbXBsZQ==",
    "phone": "+15555550100",
    "e164": "+15555550100",
}


def _string_for(name: str, schema: dict, word: str) -> str:
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        value = pattern_value(pattern)
        if value is not None:
            return value
    fmt = schema.get("format")
    if fmt in ("uri", "url", "uri-reference", "iri") or word.endswith("url"):
        ext = "mp3" if "audio" in word else "mp4" if "video" in word else "jpg"
        return f"https://example.com/{kebab(name).removesuffix('-url') or 'file'}.{ext}"
    if isinstance(fmt, str) and fmt in FORMATS:
        return FORMATS[fmt]
    if re.search(r"prompt|text|description|lyrics|input|query|message|content", word):
        return PLACEHOLDER_TEXT
    if re.search(r"(^|_)ids?(\[\])?$", word):
        return f"your-{kebab(name.rstrip('[]'))}"
    return f"example-{kebab(name)}" if kebab(name) else "example"


def _fit_length(value: str, schema: dict) -> str:
    """Pad or cut a generated string to ``minLength``/``maxLength`` (a pattern's own length wins)."""
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(high, int) and not isinstance(high, bool) and len(value) > high:
        value = value[: max(high, 0)]
    if isinstance(low, int) and not isinstance(low, bool) and len(value) < low:
        value = value + "x" * (low - len(value))
    return value


def pattern_value(pattern: str) -> str | None:
    """A readable string matching ``pattern`` (``^VA[0-9a-f]{32}$`` -> ``VA000...0``), or None.

    Covers the subset specs use for ids and codes: literals, classes and ranges, ``\\d``/``\\w``,
    groups, alternation and bounded repeats; each repeat takes its least count (at least one for
    ``+``), each class its first member. The result is checked against the pattern, so an unusual
    construct gives None (the caller falls back), never a value that does not match.
    """
    try:
        parser = importlib.import_module("re._parser")  # the standard library's regex parser (3.11+)
        tree = parser.parse(pattern)
    except Exception:
        return None
    try:
        text = _emit(list(tree), parser)
    except (_NoValue, RecursionError):
        return None
    try:
        return text if re.search(pattern, text) else None
    except re.error:
        return None


class _NoValue(Exception):
    pass


def _emit(items: list, parser: Any, depth: int = 0) -> str:
    if depth > 40:
        raise _NoValue
    c = parser  # opcode names live in re._constants, re-exported by the parser
    out = []
    for op, arg in items:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.NOT_LITERAL:
            out.append("a" if arg != ord("a") else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_class_char(arg, c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            count = low
            out.append(_emit(list(sub), c, depth + 1) * count)
        elif op is c.SUBPATTERN:
            out.append(_emit(list(arg[-1]), c, depth + 1))
        elif op is c.BRANCH:
            out.append(_emit(list(arg[1][0]), c, depth + 1))
        elif op is c.AT:
            continue
        elif op is c.CATEGORY:
            out.append(_category_char(arg, c))
        elif op in (c.ASSERT, c.ASSERT_NOT):
            continue
        else:
            raise _NoValue
    return "".join(out)


def _class_char(items: list, c: Any) -> str:
    if items and items[0][0] is c.NEGATE:
        banned = {chr(a) for op, a in items[1:] if op is c.LITERAL}
        return next(ch for ch in "a0xA_" if ch not in banned)
    for op, arg in items:
        if op is c.LITERAL:
            return chr(arg)
        if op is c.RANGE:
            return chr(arg[0])
        if op is c.CATEGORY:
            return _category_char(arg, c)
    raise _NoValue


def _category_char(arg: Any, c: Any) -> str:
    name = str(arg)
    if "NOT_DIGIT" in name or "WORD" in name and "NOT" not in name:
        return "a"
    if "DIGIT" in name:
        return "0"
    if "NOT_SPACE" in name:
        return "a"
    if "SPACE" in name:
        return " "
    return "a"


def _fitting(example: Any, name: str, schema: dict) -> Any:
    """The spec's example, unless it breaks the field's own schema (vendor specs have such
    examples, and ``check`` refuses a default that does not fit): then a generated value that fits."""
    if not isinstance(schema, dict) or not schema or not check_value(schema, example):
        return example
    generated = _value(name, schema)
    return generated if not check_value(schema, generated) else example


def _value(name: str, schema: dict) -> Any:
    """:func:`value_for`; when that is the schema's own example and it breaks the schema, a value
    generated from the schema's shape instead (if that one fits)."""
    value = value_for(name, schema)
    if not isinstance(schema, dict) or not check_value(schema, value):
        return value
    shaped = value_for(name, schema, given=False)
    return shaped if not check_value(schema, shaped) else value


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


# Names the emitted code already uses (modules, locals) or cannot use (keywords): a parameter
# called ``json``, ``class`` or ``in`` gets a suffix rather than shadowing or breaking them.
_SNAKE_TAKEN = frozenset(keyword.kwlist) | {
    "sys", "os", "json", "time", "requests", "response", "upload", "job", "status", "deadline",
    "output", "created", "poll", "line", "value", "print", "open", "seconds",
}  # fmt: skip
_CAMEL_TAKEN = frozenset(keyword.kwlist) | {
    # JavaScript reserved words and the names the JavaScript examples declare
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
    "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "implements",
    "import", "in", "instanceof", "interface", "let", "new", "null", "package", "private",
    "protected", "public", "return", "static", "super", "switch", "this", "throw", "true", "try",
    "typeof", "var", "void", "while", "with", "yield", "await", "async", "arguments", "eval",
    "undefined", "process", "console", "fetch", "baseUrl", "apiKey", "username", "password",
    "response", "form", "url", "created", "job", "poll", "pollUrl", "deadline", "decoder",
    "buffer", "lines", "line", "chunk", "value", "readFile", "writeFile", "pollInterval",
    "pollTimeout", "none", "not", "and", "or", "is", "loop", "range", "self",
}  # fmt: skip


def snake(name: str) -> str:
    """``videoDescription`` / ``video-description`` -> ``video_description`` (a valid identifier)."""
    words = _words(name)
    text = "_".join(words) or "value"
    text = f"v_{text}" if text[0].isdigit() else text
    return f"{text}_value" if text in _SNAKE_TAKEN else text


def kebab(name: str) -> str:
    """``video_description`` -> ``video-description``."""
    return "-".join(_words(name))


def camel(name: str) -> str:
    """``video_description`` -> ``videoDescription`` (a valid identifier)."""
    words = _words(name) or ["value"]
    text = words[0] + "".join(w.capitalize() for w in words[1:])
    text = f"v{text[0].upper()}{text[1:]}" if text[0].isdigit() else text
    return f"{text}Value" if text in _CAMEL_TAKEN else text


def _var(name: str, taken: set[str]) -> str:
    base = camel(name)
    var = base if base not in taken else f"{base}Value"
    n = 2
    while var in taken:
        var, n = f"{base}{n}", n + 1
    taken.add(var)
    return var


def api_key_env(api: str, what: str = "API_KEY") -> str:
    """``aimlapi`` -> ``AIMLAPI_API_KEY`` (``what``: ``USERNAME``, ``PASSWORD`` for HTTP basic); always
    a valid environment variable name."""
    prefix = re.sub(r"[^A-Z0-9]+", "_", api.upper()).strip("_") or "API"
    if prefix[0].isdigit():
        prefix = f"API_{prefix}"
    return f"{prefix}_{what}"
