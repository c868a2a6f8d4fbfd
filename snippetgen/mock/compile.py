"""Compile OpenAPI documents into routes, precompiled validators and canned replies, once, at startup.

Documents come from the project's one reader (:mod:`snippetgen.spec.read`: same parse, same cache,
same ``path:line`` as ``snippetgen check``), with ``$ref``s resolved by :mod:`snippetgen.spec.refs`
under the :data:`~snippetgen.spec.refs.ACCEPT` policy: where a reference cycle closes, a validator
accepts anything. The compiled :class:`CompiledApi` and :class:`Route` are the server's own, mutable
per server (it rewrites canned replies onto its origin), unlike the shared spec model.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs

from ..errors import SpecError
from ..model import Location, Problem
from ..pointers import escape
from ..spec import TOO_DEEP, lint
from ..spec.model import METHODS, Document
from ..spec.read import read_document, spec_files
from ..spec.refs import ACCEPT
from ..spec.schema import bundle, to_json_schema
from . import xmock
from .samples import reply_body, sample

_MEDIA_TYPE = re.compile(r"^[\w.+*-]+/[\w.+*-]+$")


@dataclass
class Param:
    name: str
    where: str  # path | query | header
    required: bool
    coerce: Callable[[Any], Any]
    array: bool = False
    explode: bool = True


@dataclass
class FileRule:
    types: list[str] | None
    max_bytes: int | None
    many: bool


@dataclass
class BodyType:
    media: str
    kind: str  # json | form | multipart | raw
    validator: Any = None
    coercers: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    arrays: set[str] = field(default_factory=set)
    files: dict[str, FileRule] = field(default_factory=dict)
    max_bytes: int | None = None


@dataclass
class Reply:
    status: int
    content_type: str | None
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    encoded: bytes | None = None  # the body once serialised, when nothing in it changes per request


@dataclass
class Route:
    """One operation as the server answers it: parameters, validators, canned replies, ``x-mock``."""

    api: str
    op_id: str
    method: str
    path: str
    pointer: str
    params: list[Param]
    validators: dict[str, Any]  # path | query | header -> validator
    body_required: bool
    bodies: dict[str, BodyType]
    security: list[list[dict[str, Any]]] | None
    success: Reply
    replies: dict[tuple[int, str | None], Reply]
    validation_status: int
    x: dict[str, Any]
    schemas: dict[str, Any] = field(default_factory=dict)  # response property schemas for id generation
    success_by: dict[str, Reply] = field(default_factory=dict)  # x-mock.example-by: body value -> reply

    @property
    def key(self) -> str:
        return f"{self.api}:{self.op_id}"


@dataclass
class CompiledApi:
    """One document as the server routes it (its name is the file's stem)."""

    name: str
    path: Path
    base_url: str
    prefix: str
    operations: list[Route]
    static: dict[str, dict[str, Route]]
    dynamic: list[tuple[re.Pattern[str], dict[str, Route], dict[str, str]]]
    error: dict[str, Any]
    rate: dict[str, Any]
    accounts: dict[str, Any]

    def match(self, path: str) -> tuple[dict[str, Route], dict[str, str]] | None:
        candidates = [path]
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            candidates.insert(0, path[len(self.prefix) :] or "/")
        for p in candidates:
            hit = self.static.get(p)
            if hit is not None:
                return hit, {}
            if len(p) > 1 and p.endswith("/"):
                hit = self.static.get(p.rstrip("/"))
                if hit is not None:
                    return hit, {}
            for regex, methods, names in self.dynamic:
                m = regex.match(p)
                if m:
                    return methods, {names[g]: v for g, v in m.groupdict().items()}
        return None

    def by_id(self, op_id: str) -> Route | None:
        return next((op for op in self.operations if op.op_id == op_id), None)


def load_apis(spec_dir: Path, display_root: Path | None = None) -> list[CompiledApi]:
    """Every document of ``spec_dir`` compiled; SpecError at the first thing the mock cannot serve."""
    spec_dir = Path(spec_dir)
    if not spec_dir.is_dir():
        raise SpecError(f"spec directory not found: {spec_dir}", Location(str(spec_dir)))
    files = spec_files(spec_dir)
    if not files:
        raise SpecError(
            "no OpenAPI document (*.yaml, *.yml, *.json) in the directory", Location(str(spec_dir))
        )
    for first, second in zip(files, files[1:], strict=False):
        if first.stem == second.stem:
            raise SpecError(
                f"two documents for API {first.stem!r}: {first.name}, {second.name}", Location(str(spec_dir))
            )
    return [compile_api(path, display_root) for path in files]


def _refusal(problem: Problem) -> SpecError:
    """The reader's finding as the error that stops the mock, worded and located the same."""
    return SpecError(problem.message, problem.location, problem.hint)


def compile_api(path: Path, display_root: Path | None = None) -> CompiledApi:
    """One document compiled; locations are shown relative to ``display_root`` (default: the
    current directory), like ``snippetgen check`` shows them."""
    src, problems = read_document(Path(path), display_root)
    if src is None:
        raise _refusal(problems[0])
    try:
        return _compile(src)
    except RecursionError:
        raise SpecError(TOO_DEEP, src.location("")) from None


def _compile(src: Document) -> CompiledApi:
    path, raw = src.path, src.document
    if "paths" not in raw:
        raise SpecError("not an OpenAPI document (no top-level `paths`)", src.location(""))
    for problem in lint.check_refs(src):
        raise _refusal(problem)
    xdoc = copy.deepcopy(xmock.check(raw.get("x-mock"), "document", src, "/x-mock"))
    base_url = server_url(raw, src)
    prefix = urlsplit(base_url).path.rstrip("/")
    components = raw.get("components")
    schemes = src.refs.resolve(
        (components.get("securitySchemes") if isinstance(components, dict) else None) or {}, ACCEPT
    )
    memo: dict = {}  # to_json_schema's: a schema shared by operations is converted once
    ops: list[Route] = []
    if not isinstance(raw.get("paths"), dict):
        raise SpecError("`paths` must be a mapping", src.location("/paths"))
    for template, raw_item in raw["paths"].items():
        item = src.refs.resolve(raw_item, ACCEPT)
        if not isinstance(item, dict):
            raise SpecError(
                f"path item {template!r} must be a mapping", src.location(f"/paths/{escape(template)}")
            )
        shared = item.get("parameters") or []
        for method in METHODS:
            if method in item:
                pointer = f"/paths/{escape(template)}/{method}"
                raw_op = raw_item.get(method) if isinstance(raw_item, dict) else None
                x = xmock.check(
                    raw_op.get("x-mock") if isinstance(raw_op, dict) else None,
                    "operation",
                    src,
                    pointer + "/x-mock",
                )
                ops.append(
                    compile_operation(
                        src,
                        raw,
                        template,
                        method,
                        item[method],
                        shared,
                        copy.deepcopy(x),
                        schemes,
                        pointer,
                        memo,
                    )
                )
    seen: dict[str, str] = {}
    for op in ops:
        if op.op_id in seen:
            raise SpecError(f"duplicate operationId {op.op_id!r}", src.location(op.pointer + "/operationId"))
        seen[op.op_id] = op.pointer
    for op in ops:
        check_links(src, op, ops)
    static: dict[str, dict[str, Route]] = {}
    dynamic: list[tuple[int, int, re.Pattern[str], dict[str, Route], dict[str, str]]] = []
    dyn_index: dict[str, dict[str, Route]] = {}
    for i, op in enumerate(ops):
        if "{" not in op.path:
            static.setdefault(op.path, {})[op.method.upper()] = op
        else:
            if op.path not in dyn_index:
                dyn_index[op.path] = {}
                literals = sum(1 for s in op.path.split("/") if s and "{" not in s)
                names = {_group(n): n for n in re.findall(r"\{([^}]+)\}", op.path)}
                dynamic.append((-literals, i, path_regex(op.path), dyn_index[op.path], names))
            dyn_index[op.path][op.method.upper()] = op
    dynamic.sort(key=lambda t: (t[0], t[1]))
    return CompiledApi(
        name=path.stem,
        path=path,
        base_url=base_url,
        prefix=prefix,
        operations=ops,
        static=static,
        dynamic=[(r, m, n) for _, _, r, m, n in dynamic],
        error=xdoc.get("error") or {},
        rate=xdoc.get("rate-limit") or {},
        accounts=xdoc.get("accounts") or {},
    )


def server_url(doc: dict[str, Any], src: Document) -> str:
    servers = doc.get("servers") or [{"url": "/"}]
    first = servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], dict) else {}
    url = str(first.get("url") or "/")
    for name, var in (first.get("variables") or {}).items():
        url = url.replace("{" + name + "}", str((var or {}).get("default", "")))
    if "{" in url:
        raise SpecError(
            f"server URL {url!r} has a variable without a default", src.location("/servers/0/url")
        )
    return url


def path_regex(template: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in re.finditer(r"\{([^}]+)\}", template):
        out.append(re.escape(template[pos : m.start()]))
        out.append(f"(?P<{_group(m.group(1))}>[^/]+)")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(out) + "/?$")


def _group(name: str) -> str:
    """A regex group name for a path parameter (names like ``task-id`` are not identifiers)."""
    return "p_" + "".join(c if c.isalnum() else f"_{ord(c):x}_" for c in name)


def compile_validator(schema: Any, src: Document, pointer: str) -> Any:
    """A validator for a converted schema; bundled first, as jsonschema_rs copies its input."""
    try:
        return jsonschema_rs.validator_for(bundle(schema), validate_formats=True)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"invalid schema: {first}", src.location(pointer)) from None


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
    return kind


def coercer(schema: Any) -> Callable[[Any], Any]:
    """Turn a string from a URL, header or form field into the type the schema asks for, when it can."""
    kind = schema_type(schema)
    if kind == "integer":
        return _to_int
    if kind == "number":
        return _to_number
    if kind == "boolean":
        return _to_bool
    if kind == "array":
        inner = coercer((schema or {}).get("items") or {})
        return lambda v: [inner(x) for x in v] if isinstance(v, list) else [inner(v)]
    if kind == "null":
        return lambda v: None if v in ("", "null") else v
    return _same


def _same(v: Any) -> Any:
    return v


def _to_int(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            return v
    return v


def _to_number(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            try:
                f = float(v.strip())
            except ValueError:
                return v
            return f if math.isfinite(f) else v
    return v


def _to_bool(v: Any) -> Any:
    if isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
    return v


def compile_operation(
    src: Document,
    doc: dict[str, Any],
    template: str,
    method: str,
    op: Any,
    shared: list[Any],
    x: dict[str, Any],
    schemes: dict[str, Any],
    pointer: str,
    memo: dict,
) -> Route:
    """One resolved operation of ``src`` (raw document ``doc``) as a route; ``memo`` is
    :func:`~snippetgen.spec.schema.to_json_schema`'s, shared by the API's routes."""
    if not isinstance(op, dict):
        raise SpecError("operation must be a mapping", src.location(pointer))
    op_id = str(op.get("operationId") or f"{method.upper()} {template}")
    # parameters: operation-level ones override path-level ones with the same (name, in)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for i, p in enumerate(list(shared) + list(op.get("parameters") or [])):
        if not isinstance(p, dict) or "name" not in p or "in" not in p:
            raise SpecError("parameter needs `name` and `in`", src.location(f"{pointer}/parameters/{i}"))
        merged[(p["name"], p["in"])] = p
    params: list[Param] = []
    objects: dict[str, dict[str, Any]] = {}
    for (name, where), p in merged.items():
        if where not in ("path", "query", "header"):
            continue
        if where == "header" and name.lower() in ("authorization", "content-type", "accept"):
            continue
        schema = p.get("schema")
        if schema is None and isinstance(p.get("content"), dict) and p["content"]:
            schema = next(iter(p["content"].values())).get("schema")
        schema = to_json_schema(schema or {}, memo=memo)
        key = name.lower() if where == "header" else name
        obj = objects.setdefault(where, {"type": "object", "properties": {}, "required": []})
        obj["properties"][key] = schema
        required = bool(p.get("required")) or where == "path"
        if required:
            obj["required"].append(key)
        style_explode = p.get("explode", p.get("style", "form") == "form")
        params.append(
            Param(key, where, required, coercer(schema), schema_type(schema) == "array", bool(style_explode))
        )
    validators = {
        where: compile_validator(obj, src, f"{pointer}/parameters") for where, obj in objects.items()
    }
    bodies: dict[str, BodyType] = {}
    body_required = False
    rb = op.get("requestBody")
    if isinstance(rb, dict):
        body_required = bool(rb.get("required"))
        for media, mt in (rb.get("content") or {}).items():
            bodies[media.lower()] = compile_body(
                src, f"{pointer}/requestBody/content/{escape(media)}", media, mt or {}, memo
            )
    security = op.get("security", doc.get("security"))
    requirements: list[list[dict[str, Any]]] | None = None
    if security and not any(req == {} for req in security):
        requirements = []
        for j, req in enumerate(security):
            group = []
            for name in req:
                if name not in schemes:
                    raise SpecError(
                        f"security scheme {name!r} is not defined in components.securitySchemes",
                        src.location(f"{pointer}/security/{j}"),
                    )
                group.append(schemes[name])
            requirements.append(group)
    responses = op.get("responses")
    if not isinstance(responses, dict) or not responses:
        raise SpecError("operation has no responses", src.location(pointer))
    replies: dict[tuple[int, str | None], Reply] = {}
    for code, resp in responses.items():
        status = 200 if str(code) == "default" else _status(code)
        if status is None:
            continue
        resp = resp or {}
        content = resp.get("content") or {}
        for media in content:
            if not _MEDIA_TYPE.match(media):
                raise SpecError(
                    f"invalid media type {media!r}",
                    src.location(f"{pointer}/responses/{escape(str(code))}/content/{escape(media)}"),
                )
        headers = {
            name: header_value(h) for name, h in (resp.get("headers") or {}).items() if isinstance(h, dict)
        }
        media = pick_media(content)
        mt = content.get(media) or {} if media else {}
        examples: dict[str, Any] = mt["examples"] if isinstance(mt.get("examples"), dict) else {}
        for example in [None, *examples]:
            body = reply_body(mt, example) if media else None
            replies[(status, example)] = Reply(status, media, body, headers)
    success = pick_success(src, pointer, responses, replies, x)
    declared = {s for s, _ in replies}
    validation_status = 422 if 422 in declared else 400 if 400 in declared else 422
    out = Route(
        api=src.path.stem,
        op_id=op_id,
        method=method.upper(),
        path=template,
        pointer=pointer,
        params=params,
        validators=validators,
        body_required=body_required,
        bodies=bodies,
        security=requirements,
        success=success,
        replies=replies,
        validation_status=validation_status,
        x=x,
        success_by=pick_by_field(src, pointer, replies, x),
    )
    if "stream" in x:
        out.success = Reply(success.status, "text/event-stream", None, success.headers)
    return out


def _status(code: Any) -> int | None:
    text = str(code)
    if text.isdigit() and 100 <= int(text) <= 599:
        return int(text)
    if len(text) == 3 and text[0] in "12345" and text[1:].upper() == "XX":
        return int(text[0]) * 100
    return None


def pick_media(content: dict[str, Any]) -> str | None:
    if not content:
        return None
    for media in content:
        if media.split(";")[0].strip().lower() in ("application/json",) or media.endswith("+json"):
            return media
    return next(iter(content))


def pick_success(
    src: Document,
    pointer: str,
    responses: dict[str, Any],
    replies: dict[tuple[int, str | None], Reply],
    x: dict[str, Any],
) -> Reply:
    codes = sorted({s for s, _ in replies if 200 <= s < 300})
    status = codes[0] if codes else min(s for s, _ in replies) if replies else 200
    name = x.get("example")
    if name is not None:
        hit = next((r for (s, n), r in replies.items() if n == name), None)
        if hit is None:
            raise SpecError(
                f"x-mock example {name!r} is not among the response examples",
                src.location(pointer + "/x-mock/example"),
            )
        return hit
    return replies.get((status, None)) or Reply(status, None, None)


def pick_by_field(
    src: Document, pointer: str, replies: dict[tuple[int, str | None], Reply], x: dict[str, Any]
) -> dict[str, Reply]:
    """``x-mock.example-by``: request body value -> the reply carrying the named example."""
    rule = x.get("example-by")
    if not rule:
        return {}
    chosen = {}
    for value, name in rule["values"].items():
        hit = next((r for (s, n), r in replies.items() if n == name), None)
        if hit is None:
            raise SpecError(
                f"x-mock example-by names {name!r}, which is not among the response examples",
                src.location(pointer + "/x-mock/example-by/values"),
            )
        chosen[value] = hit
    return chosen


def header_value(header: dict[str, Any]) -> str:
    schema = header.get("schema") or {}
    value = header.get("example", schema.get("example") if isinstance(schema, dict) else None)
    if value is None:
        value = sample(schema)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def compile_body(src: Document, pointer: str, media: str, mt: dict[str, Any], memo: dict) -> BodyType:
    if not _MEDIA_TYPE.match(media.split(";")[0].strip()):
        raise SpecError(f"invalid media type {media!r}", src.location(pointer))
    base = media.split(";")[0].strip().lower()
    schema = mt.get("schema") or {}
    if base == "application/json" or base.endswith("+json"):
        return BodyType(
            base, "json", compile_validator(to_json_schema(schema, memo=memo), src, pointer + "/schema")
        )
    if base in ("multipart/form-data", "application/x-www-form-urlencoded"):
        props = dict(schema.get("properties") or {}) if isinstance(schema, dict) else {}
        files: dict[str, FileRule] = {}
        encoding = mt.get("encoding") or {}
        plain_props: dict[str, Any] = {}
        for name, prop in props.items():
            prop = prop if isinstance(prop, dict) else {}
            item = prop.get("items") if schema_type(prop) == "array" else None
            target = item if isinstance(item, dict) else prop
            if _is_file(target) and base == "multipart/form-data":
                ctype = (encoding.get(name) or {}).get("contentType") or target.get("contentMediaType")
                types = [t.strip().lower() for t in str(ctype).split(",")] if ctype else None
                limit = target.get("maxLength", target.get("x-max-bytes"))
                files[name] = FileRule(
                    types, int(limit) if isinstance(limit, (int, float)) else None, item is not None
                )
                plain_props[name] = {}
            else:
                plain_props[name] = prop
        stripped = {**schema, "properties": plain_props} if isinstance(schema, dict) else {}
        converted = to_json_schema(stripped, memo=memo)
        props_js = converted.get("properties") or {}
        body = BodyType(
            base,
            "multipart" if base.startswith("multipart") else "form",
            compile_validator(converted, src, pointer + "/schema"),
        )
        body.coercers = {n: coercer(s) for n, s in props_js.items() if n not in files}
        body.arrays = {n for n, s in props_js.items() if schema_type(s) == "array"}
        body.files = files
        return body
    limit = schema.get("maxLength") if isinstance(schema, dict) else None
    return BodyType(base, "raw", max_bytes=int(limit) if isinstance(limit, int) else None)


def _is_file(schema: dict[str, Any]) -> bool:
    return (schema.get("format") in ("binary", "byte") and schema_type(schema) in ("string", None)) or (
        "contentMediaType" in schema and "contentEncoding" not in schema
    )


def check_links(src: Document, op: Route, ops: list[Route]) -> None:
    """Cross-references inside ``x-mock``: poll targets exist, phases name declared responses."""
    ids = {o.op_id for o in ops}
    poll = op.x.get("job-poll")
    if poll:
        for target in poll["of"]:
            if target not in ids:
                raise SpecError(
                    f"job-poll.of names unknown operationId {target!r}",
                    src.location(op.pointer + "/x-mock/job-poll/of"),
                )
            if "job-create" not in next(o for o in ops if o.op_id == target).x:
                raise SpecError(
                    f"job-poll.of: {target!r} has no x-mock job-create",
                    src.location(op.pointer + "/x-mock/job-poll/of"),
                )
        where, _, name = poll["id"].partition(":")
        if where == "path" and "{" + name + "}" not in op.path:
            raise SpecError(
                f"job-poll.id: the path has no parameter {name!r}",
                src.location(op.pointer + "/x-mock/job-poll/id"),
            )
        for i, phase in enumerate(poll["phases"]):
            if (phase["status"], phase.get("example")) not in op.replies:
                what = f"response {phase['status']}" + (
                    f" example {phase['example']!r}" if phase.get("example") else ""
                )
                raise SpecError(
                    f"job-poll phase {i}: {what} is not declared",
                    src.location(op.pointer + f"/x-mock/job-poll/phases/{i}"),
                )
    stream = op.x.get("stream")
    if stream and stream.get("default") and stream["default"] not in stream["sequences"]:
        raise SpecError(
            f"stream.default {stream['default']!r} is not a sequence",
            src.location(op.pointer + "/x-mock/stream/default"),
        )
