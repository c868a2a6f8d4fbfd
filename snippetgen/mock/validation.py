"""Request validation with the validators compiled at startup; every violation has a location."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from .compile import BodyType, Route
from .multipart import MalformedMultipart, parse_multipart

Violation = dict[str, str]


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


def check_params(
    op: Route, path_params: dict[str, str], query: list[tuple[str, str]], headers: dict[str, str]
) -> list[Violation]:
    if not op.params:
        return []
    values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
    for p in op.params:
        if p.where == "path":
            raw: Any = path_params.get(p.name)
        elif p.where == "header":
            raw = headers.get(p.name)
        elif p.array:
            raw = [v for k, v in query if k == p.name]
            if not p.explode:
                raw = [x for v in raw for x in v.split(",")]
            raw = raw or None
        else:
            raw = next((v for k, v in query if k == p.name), None)
        if raw is not None:
            values[p.where][p.name] = p.coerce(raw)
    out: list[Violation] = []
    for where, validator in op.validators.items():
        out += violations(validator, values[where], where)
    return out


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
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"the body is not valid JSON: {exc}") from None
        return value, value, violations(body_type.validator, value, "body")
    if body_type.kind == "raw":
        found: list[Violation] = []
        if body_type.max_bytes is not None and len(raw) > body_type.max_bytes:
            found.append(
                {
                    "location": "body",
                    "message": f"{len(raw)} bytes is over the limit of {body_type.max_bytes}",
                }
            )
        return None, {"content_type": content_type, "size": len(raw)}, found
    if body_type.kind == "form":
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise BadRequest("the form body is not UTF-8") from None
        fields = _fields(body_type, pairs)
        return fields, fields, violations(body_type.validator, fields, "body")
    return _multipart(body_type, content_type, raw)


def _fields(body_type: BodyType, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in body_type.arrays:
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    for name, value in out.items():
        conv = body_type.coercers.get(name)
        if conv is not None:
            out[name] = conv(value)
    return out


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
            rule = body_type.files.get(name)
            if rule is None:
                pairs.append((name, part.filename))
                continue
            present[name] = "<file>"
            if rule.types and not any(_type_matches(ctype, t) for t in rule.types):
                found.append(
                    {
                        "location": f"body/{name}",
                        "message": f"file content type {ctype!r} is not one of {', '.join(rule.types)}",
                    }
                )
            if rule.max_bytes is not None and part.size > rule.max_bytes:
                found.append(
                    {
                        "location": f"body/{name}",
                        "message": f"file of {part.size} bytes is over the limit of {rule.max_bytes} bytes",
                    }
                )
        else:
            if name in body_type.files:
                found.append(
                    {"location": f"body/{name}", "message": "expected a file part (with a filename)"}
                )
                continue
            pairs.append((name, part.text))
    fields = _fields(body_type, pairs)
    logged = {"fields": dict(fields), "files": files}
    fields.update(present)
    return fields, logged, found + violations(body_type.validator, fields, "body")


def _type_matches(actual: str, allowed: str) -> bool:
    actual = actual.split(";")[0].strip()
    if allowed in ("*/*", actual):
        return True
    if allowed.endswith("/*"):
        return actual.startswith(allowed[:-1])
    return actual == "image/jpg" and allowed == "image/jpeg"
