"""The OpenAPI model every part of snippetgen shares: :class:`Document`, :class:`Api`, :class:`Operation`,
:class:`SpecSet`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Location
from .refs import Refs

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


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
            for name, sub in schema_properties(schema).items():
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


def schema_properties(schema: dict, depth: int = 0, _seen: set[int] | None = None) -> dict[str, dict]:
    """Properties of ``schema`` and of its ``allOf``/``oneOf``/``anyOf`` parts (the first definition
    of a name wins; differing ``enum``s are united). A part shared by several variants (resolved
    schemas are DAGs) is read once: reading it again adds nothing."""
    seen = set() if _seen is None else _seen
    out: dict[str, dict] = (
        dict(schema.get("properties") or {}) if isinstance(schema.get("properties"), dict) else {}
    )
    if depth > 10:
        return out
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key) or []:
            if not isinstance(part, dict) or id(part) in seen:
                continue
            seen.add(id(part))
            for name, sub in schema_properties(part, depth + 1, seen).items():
                if name not in out:
                    out[name] = sub
                elif "enum" in out[name] and "enum" in sub and out[name]["enum"] != sub["enum"]:
                    merged = list(out[name]["enum"]) + [v for v in sub["enum"] if v not in out[name]["enum"]]
                    out[name] = {**out[name], "enum": merged}
    return out


@dataclass(eq=False)
class Document:
    """One parsed OpenAPI file (see :mod:`snippetgen.spec.read`): its data, the line of every node
    and its ``$ref`` resolver, shared by every reader of the same content. Never mutate ``document``."""

    path: Path
    document: dict
    lines: dict[str, int] = field(repr=False)
    display: str
    """The path as shown in problems (relative to the display root)."""
    digest: str = field(repr=False)
    """Hash of the file's content: the parse cache's key."""
    refs: Refs = field(repr=False)

    def line_of(self, pointer: str) -> int:
        """1-based line of a JSON pointer in the file (falls back to its nearest parent)."""
        pointer = pointer.lstrip("#")
        while pointer:
            if pointer in self.lines:
                return self.lines[pointer]
            pointer = pointer.rsplit("/", 1)[0]
        return self.lines.get("", 1)

    def location(self, pointer: str) -> Location:
        return Location(self.display or str(self.path), self.line_of(pointer))


@dataclass(eq=False)
class Api(Document):
    """One OpenAPI document as an API: ``shared/openapi/<name>.yaml`` and its operations."""

    name: str = ""
    base_url: str = ""
    operations: list[Operation] = field(default_factory=list)

    @classmethod
    def of(cls, source: Document, name: str, base_url: str) -> Api:
        return cls(
            source.path,
            source.document,
            source.lines,
            source.display,
            source.digest,
            source.refs,
            name,
            base_url,
        )


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
