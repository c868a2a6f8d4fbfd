"""Request validation with the validators compiled at startup (every violation has a location),
and the check of the mock's own replies against the responses the spec declares."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from . import decode
from .compile import SSE, BodyType, Declared, Param, Route, checked, describe
from .multipart import MalformedMultipart, parse_multipart

Violation = dict[str, Any]
"""``{"location": "body/model", "message": ...}``; ``"status"`` when the violation has its own
answer (413 for a file over its limit, 415 for a file of a type the spec does not accept)."""


class BadRequest(Exception):
    """The body cannot be parsed at all (answered 400)."""


def violations(validator: Any, instance: Any, where: str) -> list[Violation]:
    if validator is None or validator.is_valid(instance):
        return []
    out = []
    for error in validator.iter_errors(instance):
        parts = [str(p) for p in error.instance_path]
        prop = getattr(error.kind, "property", None)
        if isinstance(prop, str):
            parts.append(prop)
        out.append({"location": "/".join([where, *parts]), "message": error.message})
    return out


# --- parameters ----------------------------------------------------------------------------------


def check_params(
    op: Route, path_params: dict[str, str], query: list[tuple[str, str]], headers: dict[str, str]
) -> list[Violation]:
    if not op.params:
        return []
    values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
    for p in op.params:
        if p.where == "query":
            raw = query_value(p, query)
        else:
            found = path_params.get(p.name) if p.where == "path" else headers.get(p.name)
            raw = None if found is None else simple_value(p, found)
        if raw is not None:
            values[p.where][p.name] = decode.coerce(raw, p.schema)
    out: list[Violation] = []
    for where, validator in op.validators.items():
        out += violations(validator, values[where], where)
    return out


def query_value(p: Param, query: list[tuple[str, str]]) -> Any:
    """A query parameter's value by its ``style`` and ``explode`` (``deepObject``, ``form`` objects
    and arrays, space/pipe delimited; ``name[]`` is accepted for arrays)."""
    name = p.name
    if p.kind == "object" or p.style == "deepObject":
        nested: dict[str, Any] = {}
        for key, value in query:
            split = decode.split_key(key)
            if split is not None and split[0] == name:
                decode.put(nested, split[1], value)
        if nested:
            return nested
        if p.style == "deepObject":
            return None
        direct = [v for k, v in query if k == name]
        if direct and not p.explode:
            return decode.object_pairs(direct[0], False)
        if p.explode and p.kind == "object":
            props = p.schema.get("properties") if isinstance(p.schema, dict) else None
            if isinstance(props, dict):
                spread = {k: v for k, v in query if k in props}
                return spread or None
        return direct[0] if direct else None
    if p.kind == "array":
        items: list[str] = []
        for key, value in query:
            if key in (name, name + "[]"):
                items.extend(decode.split_values(value, p.style, p.explode))
        return items if any(k in (name, name + "[]") for k, _ in query) else None
    return next((v for k, v in query if k == name), None)


def simple_value(p: Param, value: str) -> Any:
    """A path or header parameter (``simple``, ``label`` or ``matrix`` style)."""
    if p.style == "label" and value.startswith("."):
        value = value[1:]
        sep = "." if p.explode else ","
        if p.kind == "array":
            return value.split(sep) if value else []
    elif p.style == "matrix" and value.startswith(";"):
        parts = value[1:].split(";")
        if p.kind == "array" and p.explode:
            return [part.partition("=")[2] for part in parts]
        value = parts[0].partition("=")[2]
    if p.kind == "array":
        return value.split(",") if value else []
    if p.kind == "object":
        return decode.object_pairs(value, p.explode)
    return value


# --- bodies --------------------------------------------------------------------------------------


def match_body(op: Route, content_type: str) -> BodyType | None:
    base = content_type.split(";")[0].strip().lower()
    hit = op.bodies.get(base)
    if hit is not None:
        return hit
    family = base.split("/")[0] + "/*"
    return op.bodies.get(family) or op.bodies.get("*/*")


def parse_body(body_type: BodyType, content_type: str, raw: bytes) -> tuple[Any, Any, list[Violation]]:
    """(value to validate, value to log, violations) for one body; BadRequest when unparseable."""
    if body_type.kind == "json":
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise BadRequest(f"the body is not valid JSON: {exc}") from None
        return value, value, violations(body_type.validator, value, "body")
    if body_type.kind == "raw":
        found: list[Violation] = []
        if body_type.max_bytes is not None and len(raw) > body_type.max_bytes:
            found.append(
                {
                    "location": "body",
                    "message": f"{len(raw)} bytes is over the limit of {body_type.max_bytes}",
                    "status": 413,
                }
            )
        return None, {"content_type": content_type, "size": len(raw)}, found
    if body_type.kind == "form":
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise BadRequest("the form body is not UTF-8") from None
        fields = decode.fields(pairs, body_type.schema, body_type.styles)
        return fields, fields, violations(body_type.validator, fields, "body")
    return _multipart(body_type, content_type, raw)


def _multipart(body_type: BodyType, content_type: str, raw: bytes) -> tuple[Any, Any, list[Violation]]:
    try:
        parts = parse_multipart(content_type, raw)
    except MalformedMultipart as exc:
        raise BadRequest(f"malformed multipart body: {exc}") from None
    pairs: list[tuple[str, str]] = []
    files: list[dict[str, Any]] = []
    found: list[Violation] = []
    present: dict[str, Any] = {}
    for part in parts:
        name = part.name
        if part.filename is not None:
            ctype = (part.content_type or "application/octet-stream").lower()
            files.append({"field": name, "filename": part.filename, "content_type": ctype, "size": part.size})
            rule = body_type.files.get(name) or body_type.files.get(name.removesuffix("[]"))
            if rule is None:
                pairs.append((name, part.filename))
                continue
            present[name.removesuffix("[]")] = "<file>"
            if rule.types and not any(type_matches(ctype, t) for t in rule.types):
                found.append(
                    {
                        "location": f"body/{name}",
                        "message": f"file content type {ctype!r} is not one of {', '.join(rule.types)}",
                        "status": 415,
                    }
                )
            if rule.max_bytes is not None and part.size > rule.max_bytes:
                found.append(
                    {
                        "location": f"body/{name}",
                        "message": f"file of {part.size} bytes is over the limit of {rule.max_bytes} bytes",
                        "status": 413,
                    }
                )
        else:
            if name in body_type.files:
                found.append(
                    {"location": f"body/{name}", "message": "expected a file part (with a filename)"}
                )
                continue
            pairs.append((name, part.text))
    fields = decode.fields(pairs, body_type.schema, body_type.styles)
    logged = {"fields": dict(fields), "files": files}
    fields.update(present)
    return fields, logged, found + violations(body_type.validator, fields, "body")


def type_matches(actual: str, allowed: str) -> bool:
    actual = actual.split(";")[0].strip().lower()
    allowed = allowed.split(";")[0].strip().lower()
    if allowed in ("*/*", actual):
        return True
    if allowed.endswith("/*"):
        return actual.startswith(allowed[:-1])
    return actual == "image/jpg" and allowed == "image/jpeg"


# --- replies -------------------------------------------------------------------------------------


def reply_problems(
    declared: Declared | None,
    status: int,
    content_type: str | None,
    value: Any,
    headers: Mapping[str, str],
    events: list[Any] | None = None,
    *,
    check_body: bool = True,
    check_headers: bool = True,
) -> list[str]:
    """What in one reply the spec does not declare for its status, one phrase each ([] when it
    matches, or when the status is not declared at all): ``a body the spec does not declare:
    /data/0/url is missing``, ``no header X-Request-Id``, ``content type text/plain ...``.

    ``value`` is the body before encoding (JSON value, text) or None for bytes; ``events`` the data
    of each event of a stream.
    """
    if declared is None:
        return []
    out: list[str] = []
    code = declared.code
    if not check_body or (status >= 400 and not declared.media):
        pass  # an error the spec declares without content: its body is not described, any will do
    elif content_type is None:
        if declared.media and status not in (204, 205, 304):
            out.append(f"no body, where the spec declares {', '.join(declared.media)} for {code}")
    else:
        base = content_type.split(";")[0].strip().lower()
        match = next((m for m in declared.media if type_matches(base, m)), None)
        if match is None:
            declared_types = ", ".join(declared.media) or "no body"
            out.append(
                f"content type {base}, which the spec does not declare for {code} (it declares {declared_types})"
            )
        else:
            validator = declared.media[match]
            if validator is not None:
                if base == SSE:
                    for i, event in enumerate(events or []):
                        if declared.envelope:  # the schema describes the event: its data is the JSON
                            line = {"data": json.dumps(event)}
                            out += [f"event {i}: {describe(e)}" for e in _errors(validator, line)]
                            if declared.payload is not None:
                                out += [
                                    f"event {i} data: {describe(e)}" for e in _errors(declared.payload, event)
                                ]
                        else:
                            out += [f"event {i}: {describe(e)}" for e in _errors(validator, event)]
                elif checked(base, value):
                    out += [
                        f"a body the spec does not declare: {describe(e)}" for e in _errors(validator, value)
                    ]
    for name, rule in declared.headers.items() if check_headers else ():
        sent = headers.get(name)
        if sent is None:
            if rule.required:
                out.append(f"no {rule.name} header, which the spec requires")
            continue
        if rule.validator is not None:
            parsed = decode.coerce(sent, _converted(rule))
            for error in _errors(rule.validator, parsed):
                out.append(f"header {rule.name}: {error.message}")
    return out


def _errors(validator: Any, value: Any, limit: int = 5) -> list[Any]:
    if validator.is_valid(value):
        return []
    out = []
    for error in validator.iter_errors(value):
        out.append(error)
        if len(out) >= limit:
            break
    return out


def _converted(rule: Any) -> Any:
    return rule.schema if isinstance(rule.schema, dict) else {}
