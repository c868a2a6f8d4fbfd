"""Read the OpenAPI documents of a directory: YAML or JSON, local ``$ref`` resolved, errors with lines.

Only what the mock needs; ``snippetgen.spec`` is the project's full reader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import SpecError
from ..model import Location

SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def spec_files(spec_dir: Path) -> list[Path]:
    """The OpenAPI documents of ``spec_dir``, sorted by API name (the file stem)."""
    spec_dir = Path(spec_dir)
    if not spec_dir.is_dir():
        raise SpecError(f"spec directory not found: {spec_dir}", Location(str(spec_dir)))
    files = sorted(
        (p for p in spec_dir.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file()), key=lambda p: p.stem
    )
    if not files:
        raise SpecError(
            "no OpenAPI document (*.yaml, *.yml, *.json) in the directory", Location(str(spec_dir))
        )
    return files


def read_document(path: Path) -> dict[str, Any]:
    """Parse one document; a syntax error or a non-mapping top level raises SpecError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the document: {exc}", Location(str(path))) from None
    try:
        doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise SpecError(f"invalid YAML: {exc.problem or exc}", Location(str(path), line, col)) from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", 0)
        raise SpecError(f"cannot parse the document: {exc}", Location(str(path), line)) from None
    if not isinstance(doc, dict) or "paths" not in doc:
        raise SpecError("not an OpenAPI document (no top-level `paths`)", Location(str(path), 1))
    return doc


def location(path: Path, pointer: str) -> Location:
    """``path:line`` of a JSON pointer in a YAML/JSON document (line of the nearest existing parent)."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except Exception:
        return Location(str(path))
    best = node
    for part in [unescape(p) for p in pointer.split("/")[1:]] if pointer else []:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if str(k.value) == part), None)
            if nxt is not None:
                best = next(k for k, v in node.value if v is nxt)
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            nxt = node.value[int(part)]
            best = nxt
        if nxt is None:
            break
        node = nxt
    return Location(str(path), best.start_mark.line + 1 if best is not None else 0)


def unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def escape(part: str) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


class Resolver:
    """Inlines local ``$ref``s (``#/...``). A reference cycle becomes ``{}`` (accept anything) at the
    point where it closes; siblings of ``$ref`` are merged over the target (OpenAPI 3.1 semantics)."""

    def __init__(self, doc: dict[str, Any], path: Path):
        self.doc = doc
        self.path = path
        self._done: dict[str, Any] = {}

    def target(self, ref: str, where: str) -> Any:
        if not ref.startswith("#"):
            raise SpecError(f"only local $ref are supported, found {ref!r}", location(self.path, where))
        node: Any = self.doc
        for part in [unescape(p) for p in ref[1:].split("/")[1:]]:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SpecError(f"$ref {ref!r} points at nothing", location(self.path, where))
        return node

    def resolve(self, node: Any, where: str, stack: tuple[str, ...] = ()) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref in stack:
                    return {}
                if ref in self._done:
                    out = self._done[ref]
                else:
                    out = self.resolve(self.target(ref, where), ref[1:], stack + (ref,))
                    self._done[ref] = out
                extra = {k: v for k, v in node.items() if k != "$ref"}
                if extra and isinstance(out, dict):
                    out = {**out, **self.resolve(extra, where, stack)}
                return out
            return {k: self.resolve(v, f"{where}/{escape(k)}", stack) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, f"{where}/{i}", stack) for i, v in enumerate(node)]
        return node


def to_json_schema(schema: Any, *, request: bool = True) -> Any:
    """An OpenAPI 3.0/3.1 schema object as a JSON Schema 2020-12 one (``nullable``, boolean
    ``exclusiveMinimum``, ``readOnly`` properties not required in requests)."""
    if not isinstance(schema, dict):
        return schema if isinstance(schema, bool) else {}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
            out[key] = {k: to_json_schema(v, request=request) for k, v in (value or {}).items()}
        elif key in (
            "items",
            "additionalProperties",
            "not",
            "if",
            "then",
            "else",
            "contains",
            "propertyNames",
            "unevaluatedProperties",
            "unevaluatedItems",
            "additionalItems",
        ):
            if isinstance(value, list):  # draft-4 style tuple items
                out["prefixItems" if key == "items" else key] = [
                    to_json_schema(v, request=request) for v in value
                ]
            else:
                out[key] = to_json_schema(value, request=request)
        elif key in ("allOf", "anyOf", "oneOf", "prefixItems"):
            out[key] = [to_json_schema(v, request=request) for v in value or []]
        elif key in ("discriminator", "xml", "externalDocs", "example", "examples", "nullable", "deprecated"):
            continue
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in schema:
                out[key] = schema[bound]
        elif key in ("minimum", "maximum") and schema.get("exclusive" + key[:1].upper() + key[1:]) is True:
            continue
        else:
            out[key] = value
    if schema.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if request and isinstance(out.get("required"), list) and isinstance(out.get("properties"), dict):
        props = out["properties"]
        out["required"] = [
            r for r in out["required"] if not (isinstance(props.get(r), dict) and props[r].get("readOnly"))
        ]
    return out
