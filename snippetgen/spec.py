"""Read the OpenAPI documents of ``shared/openapi/`` into operations, keeping line numbers for errors.

``load_specs`` never raises for bad content: YAML errors, broken or remote ``$ref``s, schema
violations and lint findings come back as :class:`~snippetgen.model.Problem` values located at
``file:line`` of the offending node. The lints themselves live in :mod:`snippetgen.spec_lint`.
"""

from __future__ import annotations

import datetime
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .model import Location, Problem

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# --- JSON pointers ---------------------------------------------------------------------------


def escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer_get(document: Any, pointer: str) -> Any:
    """Value at a JSON pointer (``""`` or ``"#/a/b"`` or ``"/a/b"``); raises KeyError if absent."""
    node = document
    for token in [unescape(t) for t in pointer.lstrip("#").split("/")[1:]]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(token)
    return node


# --- YAML with line numbers ------------------------------------------------------------------


def load_yaml_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML into JSON-like data plus ``{json_pointer: 1-based line}``.

    Mapping entries are located at their key's line. Keys become strings and timestamps become
    ISO strings, so the result is what a JSON document would hold. Raises ``yaml.YAMLError``.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    constructor = yaml.SafeLoader("")

    def build(node: yaml.Node, pointer: str, line: int, depth: int) -> Any:
        lines.setdefault(pointer, line)
        if depth > 200:  # alias cycles
            return None
        if isinstance(node, yaml.MappingNode):
            constructor.flatten_mapping(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                key = _jsonable(key)
                key = key if isinstance(key, str) else json.dumps(key)
                child = f"{pointer}/{escape(key)}"
                out[key] = build(value_node, child, key_node.start_mark.line + 1, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [
                build(item, f"{pointer}/{i}", item.start_mark.line + 1, depth + 1)
                for i, item in enumerate(node.value)
            ]
        return _jsonable(constructor.construct_object(node, deep=True))

    if root is None:
        return None, {"": 1}
    return build(root, "", root.start_mark.line + 1, 0), lines


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


# --- model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One method on one path of one API, with its local ``$ref``s resolved."""

    api: str
    operation_id: str
    method: str
    """Upper-case HTTP method."""
    path: str
    summary: str
    description: str
    location: Location
    """Where the operation starts in the YAML file."""
    secured: bool
    request_content_type: str | None
    """First media type of the request body: ``application/json``, ``multipart/form-data`` or None."""
    raw: dict = field(compare=False, hash=False, repr=False)

    @property
    def ref(self) -> str:
        return f"{self.api}:{self.operation_id}"

    @property
    def request_schema(self) -> dict | None:
        body = self.raw.get("requestBody") or {}
        media = (body.get("content") or {}).get(self.request_content_type or "", {})
        return media.get("schema")

    def request_fields(self) -> dict[str, dict]:
        """Body properties, then query and path parameters: name -> resolved JSON Schema.

        Properties of ``allOf``/``oneOf``/``anyOf`` variants are merged; when variants define the
        same property with different ``enum``s, the field's enum is their union.
        """
        fields: dict[str, dict] = {}
        schema = self.request_schema
        if isinstance(schema, dict):
            for name, sub in _properties(schema).items():
                fields[name] = sub
        for param in self.raw.get("parameters") or []:
            if isinstance(param, dict) and param.get("in") in ("query", "path") and "name" in param:
                fields.setdefault(param["name"], dict(param.get("schema") or {}))
        return fields

    def required_fields(self) -> set[str]:
        """Names a request must carry: required body properties and required parameters."""
        names: set[str] = set()
        schema = self.request_schema
        if isinstance(schema, dict):
            names.update(schema.get("required") or [])
            for part in schema.get("allOf") or []:
                if isinstance(part, dict):
                    names.update(part.get("required") or [])
        for param in self.raw.get("parameters") or []:
            if isinstance(param, dict) and param.get("required") and param.get("in") in ("query", "path"):
                names.add(param["name"])
        return names


def _properties(schema: dict, depth: int = 0) -> dict[str, dict]:
    out: dict[str, dict] = (
        dict(schema.get("properties") or {}) if isinstance(schema.get("properties"), dict) else {}
    )
    if depth > 10:
        return out
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key) or []:
            if not isinstance(part, dict):
                continue
            for name, sub in _properties(part, depth + 1).items():
                if name not in out:
                    out[name] = sub
                elif "enum" in out[name] and "enum" in sub and out[name]["enum"] != sub["enum"]:
                    merged = list(out[name]["enum"]) + [v for v in sub["enum"] if v not in out[name]["enum"]]
                    out[name] = {**out[name], "enum": merged}
    return out


@dataclass
class Api:
    """One OpenAPI document: ``shared/openapi/<name>.yaml``."""

    name: str
    path: Path
    document: dict
    base_url: str
    operations: list[Operation] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict, repr=False)
    display: str = ""
    """The path as shown in problems (relative to the display root)."""

    def line_of(self, pointer: str) -> int:
        """1-based line of a JSON pointer in the YAML (falls back to its nearest parent)."""
        pointer = pointer.lstrip("#")
        while pointer:
            if pointer in self.lines:
                return self.lines[pointer]
            pointer = pointer.rsplit("/", 1)[0]
        return self.lines.get("", 1)

    def location(self, pointer: str) -> Location:
        return Location(self.display or str(self.path), self.line_of(pointer))


class SpecSet:
    """All loaded APIs; operations are addressed as ``api:operationId`` or ``api:METHOD /path``."""

    def __init__(self, apis: dict[str, Api] | None = None):
        self.apis: dict[str, Api] = dict(apis or {})

    def operations(self) -> list[Operation]:
        return [op for api in self.apis.values() for op in api.operations]

    def refs(self) -> list[str]:
        return [r for op in self.operations() for r in (op.ref, f"{op.api}:{op.method} {op.path}")]

    def resolve(self, ref: str) -> Operation | None:
        api_name, sep, rest = ref.strip().partition(":")
        if not sep:  # a bare operationId is accepted when it is unique across APIs
            found = [op for op in self.operations() if op.operation_id == api_name]
            return found[0] if len(found) == 1 else None
        api = self.apis.get(api_name)
        if api is None:
            return None
        rest = rest.strip()
        method, _, path = rest.partition(" ")
        for op in api.operations:
            if op.operation_id == rest:
                return op
            if path and op.method == method.upper() and op.path == path.strip():
                return op
        return None

    def suggest(self, ref: str) -> list[str]:
        """Close matches for an unknown reference, for "did you mean" hints."""
        candidates = self.refs()
        found = difflib.get_close_matches(ref, candidates, n=3, cutoff=0.6)
        if not found and ":" in ref:  # try the part after "api:" against every operationId
            tail = ref.split(":", 1)[1]
            ids = {op.operation_id: op.ref for op in self.operations()}
            found = [ids[i] for i in difflib.get_close_matches(tail, list(ids), n=3, cutoff=0.6)]
        return found


# --- $ref handling ---------------------------------------------------------------------------


def deref(node: Any, document: dict, _stack: tuple[str, ...] = ()) -> Any:
    """A copy of ``node`` with local ``$ref``s replaced by their targets.

    A cyclic reference is left as ``{"$ref": ...}``; a ``$ref`` with siblings (allowed in 3.1
    schemas) is merged, the siblings winning. Broken references resolve to ``{}``.
    """
    if isinstance(node, list):
        return [deref(v, document, _stack) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        if ref in _stack:
            return dict(node)
        try:
            target = pointer_get(document, ref)
        except KeyError:
            target = {}
        resolved = deref(target, document, _stack + (ref,))
        siblings = {k: deref(v, document, _stack) for k, v in node.items() if k != "$ref"}
        if siblings and isinstance(resolved, dict):
            return {**resolved, **siblings}
        return resolved
    return {k: deref(v, document, _stack) for k, v in node.items()}


# --- loading ---------------------------------------------------------------------------------


def _display(path: Path, display_root: Path | None) -> str:
    base = (display_root or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return str(path)


def spec_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_api(path: Path, display_root: Path | None = None) -> tuple[Api | None, list[Problem]]:
    """Read, check and index one document; ``None`` when it cannot be parsed at all."""
    from . import spec_lint

    display = _display(path, display_root)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(Location(display), f"cannot read the spec: {exc}", "spec-yaml")]
    try:
        document, lines = load_yaml_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(Location(display, line, col), f"YAML syntax error: {what}", "spec-yaml")]
    if not isinstance(document, dict):
        return None, [Problem(Location(display, 1), "an OpenAPI document must be a mapping", "spec-invalid")]
    servers = document.get("servers") or [{}]
    base_url = str(servers[0].get("url", "")) if isinstance(servers[0], dict) else ""
    api = Api(path.stem, path, document, base_url, lines=lines, display=display)
    problems = spec_lint.check_refs(api)
    if not problems:  # the validator would follow remote refs or drown in broken ones
        problems += spec_lint.validate_document(api)
    api.operations, op_problems = build_operations(api)
    problems += op_problems
    if not any(p.code == "spec-ref" for p in problems):
        problems += spec_lint.lint(api)
    return api, problems


def build_operations(api: Api) -> tuple[list[Operation], list[Problem]]:
    doc = api.document
    ops: list[Operation] = []
    problems: list[Problem] = []
    global_security = doc.get("security") or []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        item = deref(item, doc)
        shared = [p for p in item.get("parameters") or [] if isinstance(p, dict)]
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            pointer = f"/paths/{escape(path)}/{method}"
            own = [p for p in op.get("parameters") or [] if isinstance(p, dict)]
            keys = {(p.get("name"), p.get("in")) for p in own}
            raw = {**op, "parameters": own + [p for p in shared if (p.get("name"), p.get("in")) not in keys]}
            op_id = op.get("operationId")
            if not isinstance(op_id, str) or not op_id:
                problems.append(
                    Problem(
                        api.location(pointer),
                        f"{method.upper()} {path} has no operationId",
                        "spec-lint",
                        hint="add a unique camelCase operationId",
                    )
                )
                op_id = f"{method.upper()} {path}"
            security = op.get("security", global_security) or []
            secured = any(isinstance(req, dict) and req for req in security)
            content = (op.get("requestBody") or {}).get("content") or {}
            ops.append(
                Operation(
                    api=api.name,
                    operation_id=op_id,
                    method=method.upper(),
                    path=path,
                    summary=str(op.get("summary") or ""),
                    description=str(op.get("description") or ""),
                    location=api.location(pointer),
                    secured=secured,
                    request_content_type=next(iter(content), None),
                    raw=raw,
                )
            )
    return ops, problems


def load_specs(root: Path, display_root: Path | None = None) -> tuple[SpecSet, list[Problem]]:
    """Load every ``*.yaml`` under ``root`` (a directory of specs, or one file).

    Problem paths are relative to ``display_root`` (default: the current directory).
    """
    root = Path(root)
    specs = SpecSet()
    problems: list[Problem] = []
    if not root.exists():
        return specs, [Problem(Location(_display(root, display_root)), "no such spec directory", "spec-yaml")]
    for path in spec_files(root):
        api, found = load_api(path, display_root)
        problems += found
        if api is not None:
            specs.apis[api.name] = api
    return specs, problems


# --- values against schemas ------------------------------------------------------------------


def _allows_string(schema: dict) -> bool:
    kind = schema.get("type")
    if kind is not None:
        return kind == "string" or (isinstance(kind, list) and "string" in kind)
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        return any(isinstance(v, str) for v in values)
    parts = [p for k in ("anyOf", "oneOf", "allOf") for p in schema.get(k) or [] if isinstance(p, dict)]
    return any(_allows_string(p) for p in parts) if parts else True


def _enum_values(schema: dict) -> list | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    parts = [p for k in ("anyOf", "oneOf") for p in schema.get(k) or [] if isinstance(p, dict)]
    if parts:
        values = [_enum_values(p) for p in parts]
        if all(v is not None for v in values):
            return [x for v in values for x in v]
    if len(schema.get("allOf") or []) == 1 and isinstance(schema["allOf"][0], dict):
        return _enum_values(schema["allOf"][0])
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
        enum = _enum_values(error.schema) if error.validator in ("enum", "const", "anyOf", "oneOf") else None
        if enum is not None:
            messages.append(f"{prefix}{error.instance!r} is not one of: {_show(enum)}")
        else:
            messages.append(prefix + _shorten(error.message))
    return messages


def _shorten(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
