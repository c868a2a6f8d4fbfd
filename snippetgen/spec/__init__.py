"""Read the OpenAPI documents of ``shared/openapi/`` into operations, keeping line numbers for errors.

``load_specs`` never raises for bad content: YAML errors, broken or remote ``$ref``s, schema
violations and lint findings come back as :class:`~snippetgen.model.Problem` values located at
``file:line`` of the offending node. The lints themselves live in :mod:`snippetgen.spec.lint`.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import yaml

from ..model import Location, Problem
from ..pointers import escape
from . import lint
from .model import METHODS, Api, Operation, SpecSet
from .refs import deref

__all__ = ["Api", "Operation", "SpecSet", "load_api", "load_specs", "load_yaml_with_lines", "spec_files"]


# --- YAML with line numbers ------------------------------------------------------------------


def load_yaml_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML into JSON-like data plus ``{json_pointer: 1-based line}``.

    Mapping entries are located at their key's line. Keys become strings and timestamps become
    ISO strings, so the result is what a JSON document would hold. Raises ``yaml.YAMLError``.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when installed
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


def load_api(
    path: Path, display_root: Path | None = None, *, validate: bool = True
) -> tuple[Api | None, list[Problem]]:
    """Read, check and index one document; ``None`` when it cannot be parsed at all.

    ``validate=False`` only parses and indexes (for adapters that render; the check validates).
    """
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
    if not validate:
        api.operations, _ = build_operations(api)
        return api, []
    problems = lint.check_refs(api)
    if not problems:  # the validator would follow remote refs or drown in broken ones
        problems += lint.validate_document(api)
    api.operations, op_problems = build_operations(api)
    problems += op_problems
    if not any(p.code == "spec-ref" for p in problems):
        problems += lint.lint(api)
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


def load_specs(
    root: Path, display_root: Path | None = None, *, validate: bool = True
) -> tuple[SpecSet, list[Problem]]:
    """Load every ``*.yaml`` under ``root`` (a directory of specs, or one file).

    Problem paths are relative to ``display_root`` (default: the current directory).
    """
    root = Path(root)
    specs = SpecSet()
    problems: list[Problem] = []
    if not root.exists():
        return specs, [Problem(Location(_display(root, display_root)), "no such spec directory", "spec-yaml")]
    for path in spec_files(root):
        api, found = load_api(path, display_root, validate=validate)
        problems += found
        if api is not None:
            specs.apis[api.name] = api
    return specs, problems
