"""Read the OpenAPI documents of ``shared/openapi/`` into operations, keeping line numbers for errors.

The one reader of OpenAPI files for every command and the mock: :mod:`.read` parses YAML or JSON
(once per content per process), :mod:`.refs` resolves ``$ref``s, :mod:`.schema` turns schemas into
JSON Schema for validators, :mod:`.lint` checks documents.

``load_specs`` never raises for bad content: syntax errors, broken or remote ``$ref``s, schema
violations and lint findings come back as :class:`~snippetgen.model.Problem` values located at
``file:line`` of the offending node.
"""

from __future__ import annotations

from pathlib import Path

from .. import progress
from ..model import Location, Problem
from ..pointers import escape
from . import lint
from .model import METHODS, Api, Document, Operation, SpecSet
from .read import (
    FINDINGS,
    MAX_SPEC_BYTES,
    display_path,
    load_yaml_with_lines,
    read_document,
    spec_files,
)
from .refs import KEEP
from .servers import resolve_server

__all__ = [
    "Api",
    "Document",
    "Operation",
    "SpecSet",
    "TOO_DEEP",
    "load_api",
    "load_specs",
    "load_yaml_with_lines",
    "read_document",
    "spec_files",
]


TOO_DEEP = "$refs nest too deep to resolve (a chain of hundreds of schemas, each referencing the next)"


def load_api(
    path: Path,
    display_root: Path | None = None,
    *,
    validate: bool = True,
    max_bytes: int = MAX_SPEC_BYTES,
) -> tuple[Api | None, list[Problem]]:
    """Read, check and index one document; ``None`` when it cannot be used at all (see
    :func:`~.read.read_document`: syntax, limits, duplicate keys, not OpenAPI 3).

    ``validate=False`` only parses and indexes (for adapters that render; the check validates).
    The validation's findings are cached with the parse: they depend on the content, the API's
    name and the displayed path only.
    """
    source, problems = read_document(path, display_root, max_bytes=max_bytes)
    if source is None:
        return None, problems
    name = Path(path).stem
    api = Api.of(source, name, resolve_server(source.document, name).url)
    try:
        api.operations, op_problems = build_operations(api)
    except RecursionError:
        return None, [Problem(api.location(""), TOO_DEEP, "spec-limit")]
    if not validate:
        return api, []
    key = (api.digest, api.name, api.display)
    cached = FINDINGS.get(key)
    if cached is not None:
        return api, list(cached)
    problems = lint.check_refs(api)
    if not problems:  # the validator would follow remote refs or drown in broken ones
        problems += lint.validate_document(api)
    problems += op_problems
    if not any(p.code == "spec-ref" for p in problems):
        problems += lint.lint(api)
    FINDINGS.put(key, list(problems))
    return api, problems


def build_operations(api: Api) -> tuple[list[Operation], list[Problem]]:
    doc = api.document
    ops: list[Operation] = []
    problems: list[Problem] = []
    global_security = doc.get("security") or []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        item = api.refs.resolve(item, KEEP)
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
    root: Path,
    display_root: Path | None = None,
    *,
    validate: bool = True,
    max_bytes: int = MAX_SPEC_BYTES,
) -> tuple[SpecSet, list[Problem]]:
    """Load every ``*.yaml``, ``*.yml`` and ``*.json`` under ``root`` (a directory of specs, or one file).

    Problem paths are relative to ``display_root`` (default: the current directory); a file larger
    than ``max_bytes`` is refused.
    """
    root = Path(root)
    specs = SpecSet()
    problems: list[Problem] = []
    if not root.exists():
        return specs, [
            Problem(Location(display_path(root, display_root)), "no such spec directory", "spec-yaml")
        ]
    for path in progress.step("reading specs", spec_files(root)):
        api, found = load_api(path, display_root, validate=validate, max_bytes=max_bytes)
        problems += found
        if api is None:
            continue
        if api.name in specs.apis:
            other = specs.apis[api.name].display
            problems.append(
                Problem(
                    api.location(""), f"a second document for API '{api.name}' (also {other})", "spec-invalid"
                )
            )
            continue
        specs.apis[api.name] = api
    return specs, problems
