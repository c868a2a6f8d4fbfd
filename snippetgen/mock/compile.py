"""Compile OpenAPI documents into routes, precompiled validators and canned replies, once, at startup.

Documents come from the project's one reader (:mod:`snippetgen.spec.read`: same parse, same cache,
same ``path:line`` as ``snippetgen check``), with ``$ref``s resolved by :mod:`snippetgen.spec.refs`
under the :data:`~snippetgen.spec.refs.ACCEPT` policy: where a reference cycle closes, a validator
accepts anything.

Tolerance: what the mock cannot serve is skipped where it is, not for the whole project. An
operation it cannot compile becomes a *skipped* route (it answers 501 naming the reason); a
response schema it cannot compile is served unchecked; a document it cannot read at all becomes an
API whose every request answers 501. Each is reported once, as ``path:line: reason``, in
:attr:`CompiledApi.skipped` (the server prints them at start-up). Only a directory where no
document can be served at all raises :class:`~snippetgen.errors.SpecError`.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema_rs

from ..errors import SpecError
from ..model import Location
from ..pointers import escape
from ..spec import TOO_DEEP, lint
from ..spec.lint import iter_refs
from ..spec.model import METHODS, Document
from ..spec.read import Lru, read_document, spec_files
from ..spec.refs import ACCEPT
from ..spec.schema import LIST_KEYWORDS, MAP_KEYWORDS, SCHEMA_KEYWORDS, bundle, subschemas, to_json_schema
from ..spec.servers import resolve_server
from . import xmock
from .decode import schema_type
from .samples import has_example, reply_body, sample

_MEDIA_TYPE = re.compile(r"^[\w.+*-]+/[\w.+*-]+$")
NO_BODY = (204, 205, 304)
"""Statuses answered without a body and without a content type."""
FRAMING = frozenset(
    (
        "content-type",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-connection",
    )
)
"""Response headers a spec may declare but the server frames itself (never sent as declared)."""
SSE = "text/event-stream"


@dataclass
class Param:
    name: str
    where: str  # path | query | header
    required: bool
    schema: Any
    style: str
    explode: bool
    kind: str | None  # the schema's type: array, object, ...


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
    schema: Any = None  # the converted JSON schema (form fields are coerced by it)
    styles: dict[str, tuple[str, bool]] = field(default_factory=dict)  # form property -> (style, explode)
    files: dict[str, FileRule] = field(default_factory=dict)
    max_bytes: int | None = None
    types: list[str] | None = None  # a raw body: the content types its schema allows


@dataclass
class HeaderRule:
    name: str
    required: bool
    schema: Any
    validator: Any
    example: Any = None


@dataclass
class Declared:
    """One response as the spec declares it, under its key (``200``, ``4XX`` or ``default``)."""

    code: str
    pointer: str
    media: dict[str, Any] = field(default_factory=dict)
    """Declared media types (lower case, no parameters) -> validator of the body (None: unchecked)."""
    headers: dict[str, HeaderRule] = field(default_factory=dict)
    """Lower-case header name -> rule (framing headers left out)."""
    json: dict[str, Any] = field(default_factory=dict)
    """JSON media types -> their raw media type object (for error bodies in the API's shape)."""
    envelope: bool = False
    """The ``text/event-stream`` schema describes the event (``data``, ``event``, ``id``,
    ``retry``) rather than the JSON of its ``data`` line."""
    payload: Any = None
    """With ``envelope``: the validator of the ``data`` line's JSON (its ``contentSchema``)."""


@dataclass
class Reply:
    status: int
    content_type: str | None
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    encoded: bytes | None = None  # the body once serialised, when nothing in it changes per request
    events: list[Any] | None = None
    """A ``text/event-stream`` reply: the data of each event."""


@dataclass
class Route:
    """One operation as the server answers it: parameters, validators, canned replies, ``x-mock``."""

    api: str
    op_id: str
    method: str
    path: str
    """The path template (without the query a spec's path key may carry)."""
    pointer: str
    params: list[Param] = field(default_factory=list)
    validators: dict[str, Any] = field(default_factory=dict)  # path | query | header -> validator
    body_required: bool = False
    bodies: dict[str, BodyType] = field(default_factory=dict)
    security: list[list[dict[str, Any]]] | None = None
    success: Reply = field(default_factory=lambda: Reply(200, None, None))
    replies: dict[tuple[int, str | None], Reply] = field(default_factory=dict)
    validation_status: int = 422
    x: dict[str, Any] = field(default_factory=dict)
    schemas: dict[str, Any] = field(default_factory=dict)  # response property schemas for id generation
    success_by: dict[str, Reply] = field(default_factory=dict)  # x-mock.example-by: body value -> reply
    declared: dict[str, Declared] = field(default_factory=dict)
    """Every declared response by its key; what each reply is checked against."""
    alternatives: dict[str, Reply] = field(default_factory=dict)
    """The success reply per declared media type (content negotiation, ``text/event-stream``)."""
    query: list[tuple[str, str]] = field(default_factory=list)
    """Query pairs the spec's path key requires (``/responses?beta=true``)."""
    skipped: str | None = None
    """Why the mock cannot serve this operation (``path:line: reason``); it answers 501."""
    request_schema: Any = None
    """The raw JSON request body schema (``x-mock`` count fields, format hints)."""

    @property
    def key(self) -> str:
        return f"{self.api}:{self.op_id}"

    @property
    def template(self) -> str:
        return self.path + ("?" + "&".join(f"{k}={v}" for k, v in self.query) if self.query else "")

    def declared_for(self, status: int) -> Declared | None:
        """The declared response a reply of ``status`` must match: its code, its range, ``default``."""
        return (
            self.declared.get(str(status))
            or self.declared.get(f"{status // 100}XX")
            or self.declared.get(f"{status // 100}xx")
            or self.declared.get("default")
        )


@dataclass(frozen=True)
class Skip:
    """One thing the mock does not serve or check, where the document says it."""

    location: Location
    message: str
    subject: str = ""
    """What is skipped (``GET /x is not served (answers 501)``); empty when the message says it."""

    def __str__(self) -> str:
        return f"{self.location}: {self.subject + ': ' if self.subject else ''}{self.message}"


Methods = dict[str, list[Route]]
"""Upper-case method -> the routes of one path for it (more required query pairs first)."""


@dataclass
class CompiledApi:
    """One document as the server routes it (its name is the file's stem)."""

    name: str
    path: Path
    base_url: str
    prefix: str
    operations: list[Route]
    static: dict[str, Methods]
    dynamic: list[tuple[re.Pattern[str], Methods, dict[str, str]]]
    error: dict[str, Any]
    rate: dict[str, Any]
    accounts: dict[str, Any]
    skipped: list[Skip] = field(default_factory=list)
    """What the mock does not serve (or check) in this document; ``str()`` of each is
    ``path:line: reason``."""
    refused: str | None = None
    """Set when nothing of the document can be served: every request answers 501 with it."""

    def match(self, path: str) -> tuple[Methods, dict[str, str]] | None:
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
    """Every document of ``spec_dir`` compiled. A document that cannot be served at all is kept as
    a refused API (501 for every request); SpecError only when no document can be served."""
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
    apis: list[CompiledApi] = []
    errors: list[SpecError] = []
    for path in files:
        try:
            apis.append(compile_api(path, display_root))
        except SpecError as exc:
            errors.append(exc)
            apis.append(refused_api(path, exc))
    if errors and len(errors) == len(files):
        raise errors[0]
    return apis


def refused_api(path: Path, error: SpecError) -> CompiledApi:
    """A document the mock cannot serve: an API of no operations that answers 501 with ``error``."""
    where = f"{error.location}: " if error.location else ""
    reason = f"{where}{error.message}"
    subject = f"the document is not served (every request to {path.stem} answers 501)"
    return CompiledApi(
        name=path.stem,
        path=path,
        base_url="/",
        prefix="",
        operations=[],
        static={},
        dynamic=[],
        error={},
        rate={},
        accounts={},
        skipped=[Skip(error.location or Location(str(path)), error.message, subject)],
        refused=reason,
    )


def compile_api(path: Path, display_root: Path | None = None) -> CompiledApi:
    """One document compiled; locations are shown relative to ``display_root`` (default: the
    current directory), like ``snippetgen check`` shows them. SpecError when nothing of it can be
    served (unreadable, not OpenAPI 3, references nested too deep)."""
    src, problems = read_document(Path(path), display_root)
    if src is None:
        problem = problems[0]
        raise SpecError(problem.message, problem.location, problem.hint)
    key = (src.digest, src.display, str(src.path))
    hit = COMPILED.get(key)
    if isinstance(hit, SpecError):
        raise hit
    if hit is not None:
        return hit  # read-only at run time: several servers of one process share it
    try:
        compiled = _Compiler(src).compile()
    except RecursionError:
        error = SpecError(TOO_DEEP, src.location(""))
        COMPILED.put(key, error)
        raise error from None
    except SpecError as exc:
        COMPILED.put(key, exc)
        raise
    COMPILED.put(key, compiled)
    return compiled


COMPILED = Lru(8)
"""(content digest, displayed path, path) -> the compiled API (or the SpecError refusing it): the
pytest plugin's mock slots, ``snippetgen run`` after a check, compile each document once."""


class _Skip(Exception):
    """Inside the compiler: this part cannot be served (message; location pointer)."""

    def __init__(self, message: str, pointer: str):
        super().__init__(message)
        self.message, self.pointer = message, pointer


def _no_remote(uri: str) -> Any:
    raise ValueError(f"the mock does not fetch {uri!r}: only references inside the document are followed")


class _Compiler:
    """One document's compilation; collects what it skips."""

    def __init__(self, src: Document):
        self.src = src
        self.raw = src.document
        self.skipped: list[Skip] = []
        self.memo: dict = {}  # to_json_schema's: a schema shared by operations is converted once
        self.prepared: set[int] = set()
        self.checkers: dict[int, Any] = {}
        self.named: set[str] = set()

    def note(self, pointer: str, message: str) -> None:
        self.skipped.append(Skip(self.src.location(pointer), message))

    # the document ---------------------------------------------------------------------------
    def compile(self) -> CompiledApi:
        src, raw = self.src, self.raw
        version = raw.get("openapi")
        if "swagger" in raw or (version is not None and not str(version).startswith("3.")):
            what = f"Swagger {raw['swagger']}" if "swagger" in raw else f"OpenAPI {version}"
            raise SpecError(
                f"{what} is not supported: the mock serves OpenAPI 3.0 and 3.1 documents",
                src.location("/swagger" if "swagger" in raw else "/openapi"),
                hint="convert it to OpenAPI 3 (e.g. with swagger2openapi)",
            )
        if "paths" not in raw and not any(k in raw for k in ("openapi", "webhooks", "components")):
            raise SpecError("not an OpenAPI document (no `openapi` and no `paths`)", src.location(""))
        paths = raw.get("paths")
        if paths is None:
            paths = {}  # a 3.1 document of webhooks or components only: nothing to serve
        if not isinstance(paths, dict):
            raise SpecError("`paths` must be a mapping", src.location("/paths"))
        try:
            xdoc = copy.deepcopy(xmock.check(raw.get("x-mock"), "document", src, "/x-mock"))
        except SpecError as exc:
            raise exc from None
        base_url = self.server_url()
        components = raw.get("components")
        self.schemes = src.refs.resolve(
            (components.get("securitySchemes") if isinstance(components, dict) else None) or {}, ACCEPT
        )
        bad_refs = self.bad_refs()
        ops: list[Route] = []
        for template, raw_item in paths.items():
            if not isinstance(template, str) or not template.startswith("/"):
                self.note(
                    f"/paths/{escape(str(template))}", f"path {template!r} does not start with '/': skipped"
                )
                continue
            item = src.refs.resolve(raw_item, ACCEPT)
            item_pointer = f"/paths/{escape(template)}"
            if not isinstance(item, dict):
                self.note(item_pointer, f"path item {template!r} is not a mapping: skipped")
                continue
            for method in METHODS:
                if method not in item:
                    continue
                pointer = f"{item_pointer}/{method}"
                ops.append(self.operation(template, method, item, raw_item, pointer, bad_refs))
        seen: dict[str, Route] = {}
        for op in ops:
            if op.op_id in seen and op.skipped is None:
                self.skip(op, f"duplicate operationId {op.op_id!r}", op.pointer + "/operationId")
            elif op.skipped is None:
                seen[op.op_id] = op
        for op in ops:
            if op.skipped is None:
                try:
                    check_links(src, op, ops)
                except SpecError as exc:
                    self.skip_error(op, exc)
        return CompiledApi(
            name=src.path.stem,
            path=src.path,
            base_url=base_url,
            prefix=urlsplit(base_url).path.rstrip("/"),
            operations=ops,
            **routing(ops),
            error=xdoc.get("error") or {},
            rate=xdoc.get("rate-limit") or {},
            accounts=xdoc.get("accounts") or {},
            skipped=self.skipped,
        )

    def server_url(self) -> str:
        """The base URL the examples call (:func:`snippetgen.spec.servers.resolve_server`, the one
        reading of ``servers`` that check, scaffold and runner share); its path is served."""
        return resolve_server(self.raw, self.src.path.stem).url

    def bad_refs(self) -> dict[str, str]:
        """Pointer of each remote or broken ``$ref`` -> the check's finding about it. Operations
        holding one are skipped; one outside the operations is reported here (a validator accepts
        anything there, or, for a remote one, the operations reaching it are skipped)."""
        problems = lint.check_refs(self.src)
        if not problems:
            return {}
        by_line: dict[int, list[str]] = {}
        for problem in problems:
            by_line.setdefault(problem.location.line, []).append(problem.message)
        found: dict[str, str] = {}
        for pointer, _target in iter_refs(self.raw):
            line = self.src.location(pointer).line
            if by_line.get(line):
                found[pointer] = by_line[line].pop(0)
                if not pointer.startswith("/paths/"):
                    self.note(pointer, f"{found[pointer]}: validators accept anything there")
        return found

    # operations -------------------------------------------------------------------------------
    def operation(
        self,
        template: str,
        method: str,
        item: dict[str, Any],
        raw_item: Any,
        pointer: str,
        bad_refs: dict[str, str],
    ) -> Route:
        op = item[method]
        path, _, query = template.partition("?")
        op_id = (
            str(op["operationId"])
            if isinstance(op, dict) and op.get("operationId")
            else f"{method.upper()} {template}"
        )
        route = Route(self.src.path.stem, op_id, method.upper(), path, pointer)
        route.query = parse_qsl(query, keep_blank_values=True)
        for where, reason in bad_refs.items():
            if where.startswith(pointer + "/") or where.startswith(f"/paths/{escape(template)}/parameters"):
                self.skip(route, reason, where)
                return route
        try:
            raw_op = raw_item.get(method) if isinstance(raw_item, dict) else None
            x = xmock.check(
                raw_op.get("x-mock") if isinstance(raw_op, dict) else None,
                "operation",
                self.src,
                pointer + "/x-mock",
            )
            self.fill(route, op, item.get("parameters") or [], copy.deepcopy(x))
        except SpecError as exc:
            self.skip_error(route, exc)
        except _Skip as exc:
            self.skip(route, exc.message, exc.pointer)
        except RecursionError:
            raise
        except Exception as exc:  # a construct the mock does not know: this operation only
            self.skip(route, f"the mock cannot compile this operation ({type(exc).__name__}: {exc})", pointer)
        return route

    def skip(self, route: Route, reason: str, pointer: str) -> None:
        self.skip_at(route, reason, self.src.location(pointer))

    def skip_error(self, route: Route, exc: SpecError) -> None:
        self.skip_at(route, exc.message, exc.location or self.src.location(route.pointer))

    def skip_at(self, route: Route, reason: str, where: Location) -> None:
        route.skipped = f"{where}: {reason}"
        self.skipped.append(
            Skip(where, reason, f"{route.method} {route.template} is not served (answers 501)")
        )

    def fill(self, route: Route, op: Any, shared: list[Any], x: dict[str, Any]) -> None:
        pointer = route.pointer
        if not isinstance(op, dict):
            raise _Skip("the operation is not a mapping", pointer)
        route.x = x
        self.parameters(route, op, shared)
        rb = op.get("requestBody")
        if isinstance(rb, dict):
            route.body_required = bool(rb.get("required"))
            content = _map(rb.get("content"))
            for media, mt in content.items():
                where = f"{pointer}/requestBody/content/{escape(media)}"
                route.bodies[media.split(";")[0].strip().lower()] = self.body(where, media, mt or {}, x)
                if route.request_schema is None and _is_json(media) and isinstance(mt, dict):
                    route.request_schema = mt.get("schema")
        security = op.get("security", self.raw.get("security"))
        if isinstance(security, list) and security and not any(req == {} for req in security):
            route.security = []
            for j, req in enumerate(security):
                group = []
                for name in req if isinstance(req, dict) else []:
                    if name not in self.schemes:
                        raise _Skip(
                            f"security scheme {name!r} is not defined in components.securitySchemes",
                            f"{pointer}/security/{j}",
                        )
                    group.append(self.schemes[name])
                route.security.append(group)
        responses = op.get("responses")
        if responses is None:
            responses = {}  # valid in 3.1: the mock answers 200 without a body
        if not isinstance(responses, dict):
            raise _Skip("`responses` must be a mapping", pointer + "/responses")
        self.responses(route, responses)

    def parameters(self, route: Route, op: dict[str, Any], shared: list[Any]) -> None:
        pointer = route.pointer
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for i, p in enumerate(list(shared) + list(op.get("parameters") or [])):
            if not isinstance(p, dict) or "name" not in p or "in" not in p:
                raise _Skip("parameter needs `name` and `in`", f"{pointer}/parameters/{i}")
            merged[(str(p["name"]), str(p["in"]))] = p
        objects: dict[str, dict[str, Any]] = {}
        for (name, where), p in merged.items():
            if where not in ("path", "query", "header"):
                continue
            if where == "path" and "{" + name + "}" not in route.path:
                continue  # declared but not in the template: nothing to read
            if where == "header" and name.lower() in ("authorization", "content-type", "accept"):
                continue
            schema = p.get("schema")
            if schema is None and isinstance(p.get("content"), dict) and p["content"]:
                first = next(iter(p["content"].values()))
                schema = first.get("schema") if isinstance(first, dict) else None
            converted = self.convert(schema or {}, request=True)
            key = name.lower() if where == "header" else name
            obj = objects.setdefault(where, {"type": "object", "properties": {}, "required": []})
            obj["properties"][key] = converted
            required = bool(p.get("required")) or where == "path"
            if required:
                obj["required"].append(key)
            style = str(p.get("style") or ("form" if where == "query" else "simple"))
            explode = p.get("explode", style == "form")
            route.params.append(
                Param(key, where, required, converted, style, bool(explode), schema_type(converted))
            )
        for where, obj in objects.items():
            route.validators[where] = self.validator(obj, f"{pointer}/parameters")

    def body(self, pointer: str, media: str, mt: dict[str, Any], x: dict[str, Any]) -> BodyType:
        if not _MEDIA_TYPE.match(media.split(";")[0].strip()):
            raise _Skip(f"invalid media type {media!r}", pointer)
        base = media.split(";")[0].strip().lower()
        schema = _map(mt.get("schema"))
        if _is_json(base):
            converted = self.convert(schema, request=True)
            return BodyType(base, "json", self.validator(converted, pointer + "/schema"), converted)
        if base in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return self.form(pointer, base, mt, schema, x.get("files") or {})
        limit = schema.get("maxLength", schema.get("x-max-bytes"))
        types = schema.get("contentMediaType")
        return BodyType(
            base,
            "raw",
            max_bytes=int(limit) if isinstance(limit, (int, float)) and not isinstance(limit, bool) else None,
            types=[t.strip().lower() for t in types.split(",")] if isinstance(types, str) else None,
        )

    def form(
        self, pointer: str, base: str, mt: dict[str, Any], schema: dict[str, Any], limits: dict[str, Any]
    ) -> BodyType:
        """A form body; file parts get their limits from ``encoding.<name>.contentType``, the
        property's ``contentMediaType`` and ``maxLength`` (bytes), and ``x-mock.files``, which wins."""
        props = dict(schema.get("properties") or {}) if isinstance(schema.get("properties"), dict) else {}
        encoding = _map(mt.get("encoding"))
        files: dict[str, FileRule] = {}
        styles: dict[str, tuple[str, bool]] = {}
        plain: dict[str, Any] = {}
        for name, prop in props.items():
            prop = prop if isinstance(prop, dict) else {}
            enc = _map(encoding.get(name))
            style = str(enc.get("style") or "form")
            styles[name] = (style, bool(enc.get("explode", style == "form")))
            item = prop.get("items") if schema_type(prop) == "array" else None
            target = item if isinstance(item, dict) else _file_branch(prop)
            declared = limits.get(name)
            if base == "multipart/form-data" and (declared or (target is not None and _is_file(target))):
                target = target or {}
                ctype = enc.get("contentType") or target.get("contentMediaType")
                types = [t.strip().lower() for t in str(ctype).split(",")] if ctype else None
                limit = target.get("maxLength", target.get("x-max-bytes"))
                if declared:
                    types = [t.lower() for t in declared.get("types", [])] or types
                    limit = declared.get("max-bytes", limit)
                files[name] = FileRule(
                    types,
                    int(limit) if isinstance(limit, (int, float)) and not isinstance(limit, bool) else None,
                    item is not None,
                )
                plain[name] = {}
            else:
                plain[name] = prop
        stripped = {**schema, "properties": plain} if props else schema
        converted = self.convert(stripped, request=True)
        return BodyType(
            base,
            "multipart" if base.startswith("multipart") else "form",
            self.validator(converted, pointer + "/schema"),
            converted,
            styles,
            files,
        )

    # responses ------------------------------------------------------------------------------
    def responses(self, route: Route, responses: dict[str, Any]) -> None:
        pointer = route.pointer
        x = route.x
        self.named = {x["example"]} if isinstance(x.get("example"), str) else set()
        self.named |= set((x.get("example-by") or {}).get("values", {}).values())
        self.named |= {
            p.get("example") for p in (x.get("job-poll") or {}).get("phases", []) if p.get("example")
        }
        for code, resp in responses.items():
            text = str(code)
            status = None if text == "default" else _status(text)
            if status is None and text != "default":
                continue
            where = f"{pointer}/responses/{escape(text)}"
            resp = resp if isinstance(resp, dict) else {}
            content = _map(resp.get("content"))
            for media in content:
                if not _MEDIA_TYPE.match(str(media).split(";")[0].strip()):
                    raise _Skip(f"invalid media type {media!r}", f"{where}/content/{escape(str(media))}")
            declared = Declared(text, where)
            declared.headers = self.headers(route, resp, where)
            for media, mt in content.items():
                mt = mt if isinstance(mt, dict) else {}
                base = str(media).split(";")[0].strip().lower()
                declared.media[base] = self.response_validator(route, text, media, mt, where)
                if _is_json(base):
                    declared.json[base] = mt
                if base == SSE:
                    declared.envelope, payload = sse_envelope(mt.get("schema"))
                    if isinstance(payload, dict):
                        declared.payload = self.response_validator(
                            route, text, media, {"schema": payload}, where + "/contentSchema"
                        )
            route.declared[text] = declared
            if status is None:
                continue
            headers = {h.name: header_value(h.schema, h.example) for h in declared.headers.values()}
            chosen = pick_media(content)
            mt = _map(content.get(chosen)) if chosen else {}
            examples: dict[str, Any] = mt["examples"] if isinstance(mt.get("examples"), dict) else {}
            for example in [None, *examples]:
                if status in NO_BODY or chosen is None:
                    route.replies[(status, example)] = Reply(status, None, None, headers)
                    continue
                body = self.reply_value(route, declared, chosen, mt, example)
                route.replies[(status, example)] = self.reply(status, chosen, mt, body, headers, declared)
        self.success(route, responses)
        codes = {s for s, _ in route.replies}
        route.validation_status = 422 if 422 in codes else 400 if 400 in codes else 422

    def headers(self, route: Route, resp: dict[str, Any], where: str) -> dict[str, HeaderRule]:
        out: dict[str, HeaderRule] = {}
        declared = _map(resp.get("headers"))
        for name, header in declared.items():
            if not isinstance(header, dict) or str(name).lower() in FRAMING:
                continue
            schema = _map(header.get("schema"))
            converted = self.convert(schema, request=False)
            try:
                validator = self.validator(converted, f"{where}/headers/{escape(str(name))}")
            except _Skip as exc:
                self.note(exc.pointer, f"response header {name} of {route.key} is not checked: {exc.message}")
                validator = None
            example = header.get("example", schema.get("example"))
            out[str(name).lower()] = HeaderRule(
                str(name), bool(header.get("required")), schema, validator, example
            )
        return out

    def response_validator(self, route: Route, code: str, media: str, mt: dict[str, Any], where: str) -> Any:
        schema = mt.get("schema")
        base = media.split(";")[0].strip().lower()
        if not isinstance(schema, dict) or not (_is_json(base) or base == SSE or base.startswith("text/")):
            return None
        try:
            return self.validator(
                self.convert(schema, request=False), f"{where}/content/{escape(media)}/schema"
            )
        except _Skip as exc:
            self.note(exc.pointer, f"the {code} {base} response of {route.key} is not checked: {exc.message}")
            return None

    def reply_value(
        self, route: Route, declared: Declared, media: str, mt: dict[str, Any], example: str | None
    ) -> Any:
        """The body of one reply: the spec's example when it matches the schema; otherwise (for the
        default reply) a value built from the schema, noting the example skipped."""
        body = reply_body(mt, example)
        base = media.split(";")[0].strip().lower()
        validator = declared.media.get(base)
        schema = mt.get("schema")
        if example is not None and example not in self.named:
            return body  # an example no x-mock answers with
        if validator is None or not isinstance(schema, dict) or not checked(base, body):
            return body
        if validator.is_valid(body):
            return body
        first = _first_error(validator, body)
        if example is None:
            built = sample(schema, valid=self.is_valid)
            if validator.is_valid(built):
                if has_example(mt):
                    self.note(
                        f"{declared.pointer}/content/{escape(media)}",
                        f"the {declared.code} example of {route.key} does not match its schema ({first}): "
                        "the mock answers a value built from the schema",
                    )
                return built
        what = "example" if has_example(mt) or example else "value built from the schema"
        self.note(
            f"{declared.pointer}/content/{escape(media)}",
            f"the {declared.code} {what}{f' {example!r}' if example else ''} of {route.key} does not match "
            f"its schema ({first}): answers of it are reported as not declared",
        )
        return body

    def reply(
        self,
        status: int,
        media: str,
        mt: dict[str, Any],
        body: Any,
        headers: dict[str, str],
        declared: Declared,
    ) -> Reply:
        base = media.split(";")[0].strip().lower()
        if base != SSE:
            return Reply(status, media, body, headers)
        examples = _map(mt.get("examples"))
        events: list[Any]
        if "example" in mt:
            events = [mt["example"]]
        elif examples:
            events = [
                e.get("value") if isinstance(e, dict) and "value" in e else e for e in examples.values()
            ]
        else:
            return Reply(status, SSE, None, headers, events=[body])
        if declared.envelope:
            events = [_payload(e) for e in events]
        return Reply(status, SSE, None, headers, events=events)

    def success(self, route: Route, responses: dict[str, Any]) -> None:
        """The success reply: the lowest declared 2xx (else ``default`` as 200, else the lowest
        declared status under 400, else 200 without a body), and its alternatives by media type."""
        numeric = sorted({s for s, _ in route.replies})
        ok = [s for s in numeric if 200 <= s < 300]
        if ok:
            status, key = ok[0], next(k for k in responses if _status(str(k)) == ok[0])
        elif "default" in route.declared:
            status, key = 200, "default"
        elif [s for s in numeric if s < 400]:
            status = next(s for s in numeric if s < 400)
            key = next(k for k in responses if _status(str(k)) == status)
        else:
            route.success = Reply(200, None, None)
            self.pick_named(route)
            return
        declared = route.declared[str(key)]
        resp = _map(responses.get(key))
        content = _map(resp.get("content"))
        headers = {h.name: header_value(h.schema, h.example) for h in declared.headers.values()}
        if status in NO_BODY or not content:
            route.success = Reply(status, None, None, headers)
        else:
            for media, mt in content.items():
                mt = mt if isinstance(mt, dict) else {}
                base = str(media).split(";")[0].strip().lower()
                if (status, None) in route.replies and route.replies[(status, None)].content_type == media:
                    route.alternatives[base] = route.replies[(status, None)]
                    continue
                body = self.reply_value(route, declared, media, mt, None) if base != SSE else None
                if base == SSE:
                    body = self.sse_body(route, declared, mt)
                route.alternatives[base] = self.reply(status, media, mt, body, headers, declared)
            preferred = pick_media(content)
            route.success = route.alternatives[str(preferred).split(";")[0].strip().lower()]
        self.pick_named(route)
        if "stream" in route.x:
            route.success = Reply(route.success.status, SSE, None, route.success.headers)

    def sse_body(self, route: Route, declared: Declared, mt: dict[str, Any]) -> Any:
        """The payload of a built event (when the spec gives no example of its stream)."""
        schema = mt.get("schema")
        if has_example(mt) or not isinstance(schema, dict):
            return reply_body(mt, None)
        validator = declared.media.get(SSE)
        if declared.envelope:
            payload = sse_envelope(schema)[1]
            if not isinstance(payload, dict):
                return _payload(sample(schema))
            schema, validator = payload, declared.payload
        built = sample(schema)
        if validator is not None and not validator.is_valid(built):
            built = sample(schema, valid=self.is_valid)
        return built

    def pick_named(self, route: Route) -> None:
        name = route.x.get("example")
        if name is not None:
            hit = next((r for (s, n), r in route.replies.items() if n == name), None)
            if hit is None:
                raise _Skip(
                    f"x-mock example {name!r} is not among the response examples",
                    route.pointer + "/x-mock/example",
                )
            route.success = hit
        rule = route.x.get("example-by")
        if rule:
            for value, example in rule["values"].items():
                hit = next((r for (s, n), r in route.replies.items() if n == example), None)
                if hit is None:
                    raise _Skip(
                        f"x-mock example-by names {example!r}, which is not among the response examples",
                        route.pointer + "/x-mock/example-by/values",
                    )
                route.success_by[value] = hit

    # schemas and validators -------------------------------------------------------------------
    def convert(self, schema: Any, *, request: bool) -> Any:
        converted = to_json_schema(schema, request=request, memo=self.memo)
        prepare(converted, response=not request, seen=self.prepared)
        return converted

    def validator(self, schema: Any, pointer: str) -> Any:
        """A validator for a converted schema; bundled first, as jsonschema_rs copies its input."""
        try:
            return jsonschema_rs.validator_for(bundle(schema), validate_formats=True, retriever=_no_remote)
        except RecursionError:
            raise
        except Exception as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise _Skip(f"invalid schema: {first}", pointer) from None

    def is_valid(self, schema: Any, value: Any) -> bool:
        """Whether ``value`` matches a raw (OpenAPI) response schema; for samples choosing branches."""
        if id(schema) not in self.checkers:
            try:
                self.checkers[id(schema)] = self.validator(self.convert(schema, request=False), "")
            except _Skip:
                self.checkers[id(schema)] = None  # a schema it cannot check: any value will do
        checker = self.checkers[id(schema)]
        return checker is None or bool(checker.is_valid(value))


_SCHEMA_LISTS = (*LIST_KEYWORDS, "items")  # a draft-4 tuple `items` is a list of schemas too


def prepare(schema: Any, *, response: bool, seen: set[int]) -> None:
    """Finish a converted schema for jsonschema_rs, in place, visiting each node once.

    ``$recursiveRef`` (2019-09) becomes a reference to the nearest enclosing ``$recursiveAnchor``
    schema (the node itself: the graph gets a cycle, which :func:`bundle` writes as ``$defs``), and
    the anchor is dropped; a ``$recursiveRef`` without an anchor accepts anything. In responses,
    ``writeOnly`` properties are not required.
    """
    stack: list[tuple[Any, Any]] = [(schema, None)]
    while stack:
        node, anchor = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        if "$recursiveAnchor" in node and node.pop("$recursiveAnchor") is True:
            anchor = node
        for same in ("allOf", "anyOf"):  # [A, A] is A, and validating it twice doubles per level
            parts = node.get(same)
            if isinstance(parts, list) and len(parts) > 1 and len({id(p) for p in parts}) < len(parts):
                node[same] = list({id(p): p for p in parts}.values())
        for unique in ("required", "enum", "type"):  # duplicates make the schema invalid: drop them
            if isinstance(node.get(unique), list) and len(node[unique]) > 1:
                items = node[unique]
                kept = [
                    v
                    for i, v in enumerate(items)
                    if not any(v == w and type(v) is type(w) for w in items[:i])
                ]
                if len(kept) != len(items):
                    node[unique] = kept
        if response and isinstance(node.get("required"), list) and isinstance(node.get("properties"), dict):
            props = node["properties"]
            node["required"] = [
                r
                for r in node["required"]
                if not (isinstance(props.get(r), dict) and props[r].get("writeOnly"))
            ]
        for key, value in list(node.items()):
            if key in MAP_KEYWORDS and isinstance(value, dict):
                if any(_is_recursive(v) for v in value.values()):
                    node[key] = {k: _recursive(v, anchor) for k, v in value.items()}
            elif key in _SCHEMA_LISTS and isinstance(value, list):
                if any(_is_recursive(v) for v in value):
                    node[key] = [_recursive(v, anchor) for v in value]
            elif key in SCHEMA_KEYWORDS and _is_recursive(value):
                node[key] = _recursive(value, anchor)
        for sub in subschemas(node):
            stack.append((sub, anchor))


def sse_envelope(schema: Any) -> tuple[bool, Any]:
    """Whether a ``text/event-stream`` schema describes the event itself (properties among
    ``data``, ``event``, ``id``, ``retry``, as OpenAPI 3.2 does) rather than the JSON of its
    ``data`` line (as most 3.0/3.1 documents do); with the ``contentSchema`` of ``data``."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if isinstance(props, dict) and "data" in props and set(props) <= {"data", "event", "id", "retry"}:
        data = props["data"]
        return True, data.get("contentSchema") if isinstance(data, dict) else None
    return False, None


def _payload(event: Any) -> Any:
    """The JSON of an event's ``data`` (an event written as ``{event, data}``)."""
    data = event.get("data") if isinstance(event, dict) else event
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return data
    return data


def _is_recursive(node: Any) -> bool:
    return isinstance(node, dict) and "$recursiveRef" in node


def _recursive(node: Any, anchor: Any) -> Any:
    if not _is_recursive(node):
        return node
    rest = {k: v for k, v in node.items() if k != "$recursiveRef"}
    target = anchor if anchor is not None else {}
    return target if not rest else {**rest, "allOf": [*rest.get("allOf", []), target]}


def routing(ops: list[Route]) -> dict[str, Any]:
    """Static and templated lookup tables: literal paths win, then templates with more literal
    segments; for one path and method, routes that require more query pairs are tried first."""
    static: dict[str, Methods] = {}
    dynamic: list[tuple[int, int, re.Pattern[str], Methods, dict[str, str]]] = []
    dyn_index: dict[str, Methods] = {}
    for i, op in enumerate(ops):
        if "{" not in op.path:
            methods = static.setdefault(op.path, {})
        else:
            if op.path not in dyn_index:
                dyn_index[op.path] = {}
                literals = sum(1 for s in op.path.split("/") if s and "{" not in s)
                names = {_group(n): n for n in re.findall(r"\{([^}]+)\}", op.path)}
                dynamic.append((-literals, i, path_regex(op.path), dyn_index[op.path], names))
            methods = dyn_index[op.path]
        methods.setdefault(op.method, []).append(op)
    for table in [*static.values(), *dyn_index.values()]:
        for routes in table.values():
            routes.sort(key=lambda r: -len(r.query))
    dynamic.sort(key=lambda t: (t[0], t[1]))
    return {"static": static, "dynamic": [(r, m, n) for _, _, r, m, n in dynamic]}


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


def _status(code: Any) -> int | None:
    text = str(code)
    if text.isdigit() and 100 <= int(text) <= 599:
        return int(text)
    if len(text) == 3 and text[0] in "12345" and text[1:].upper() == "XX":
        return int(text[0]) * 100
    return None


def _is_json(media: str) -> bool:
    base = media.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def checked(base: str, body: Any) -> bool:
    """Whether a reply body of media type ``base`` is checked against its schema (JSON, events,
    text held as a string)."""
    return _is_json(base) or base == SSE or (base.startswith("text/") and isinstance(body, str))


def _first_error(validator: Any, value: Any) -> str:
    for error in validator.iter_errors(value):
        return describe(error)
    return "invalid"


def describe(error: Any) -> str:
    """One validation error as ``/data/0/url is missing`` or ``/n: 'x' is not of type 'integer'``."""
    parts = [escape(str(p)) for p in error.instance_path]
    prop = getattr(error.kind, "property", None)
    kind = type(error.kind).__name__
    if isinstance(prop, str) and "Required" in kind:
        return "/" + "/".join([*parts, escape(prop)]) + " is missing"
    where = "/" + "/".join(parts) if parts else "the body"
    return f"{where}: {error.message}"


def pick_media(content: dict[str, Any]) -> str | None:
    """The media type answered when the request does not ask for one: JSON first, then the first
    declared one that is not a stream."""
    if not content:
        return None
    for media in content:
        if _is_json(str(media)):
            return str(media)
    return next(
        (str(m) for m in content if str(m).split(";")[0].strip().lower() != SSE), str(next(iter(content)))
    )


def header_value(schema: Any, example: Any = None) -> str:
    """A declared response header's value: its example, else a sample of its schema."""
    value = example if example is not None else sample(schema if isinstance(schema, dict) else {})
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    text = "" if value is None else str(value)
    return "".join(c for c in text if c >= " " and c != "\x7f")


def _file_branch(prop: dict[str, Any]) -> dict[str, Any] | None:
    """The file schema of a property: itself, or a branch of its ``anyOf``/``oneOf``."""
    if _is_file(prop):
        return prop
    for key in ("anyOf", "oneOf"):
        for sub in prop.get(key) or []:
            if isinstance(sub, dict) and _is_file(sub):
                return sub
    return prop


def _is_file(schema: dict[str, Any]) -> bool:
    return (schema.get("format") in ("binary", "byte") and schema_type(schema) in ("string", None)) or (
        "contentMediaType" in schema and "contentEncoding" not in schema
    )


def check_links(src: Document, op: Route, ops: list[Route]) -> None:
    """Cross-references inside ``x-mock``: poll targets exist, phases name declared responses."""
    ids = {o.op_id for o in ops if o.skipped is None}
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


def _map(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (a spec may hold anything anywhere)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
