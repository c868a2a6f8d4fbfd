"""Checks of one loaded OpenAPI document beyond parsing: the OpenAPI schema, house rules,
examples against their schemas, and the ``x-mock`` vocabulary of docs/reference/mock-extensions.md.

Every finding is a :class:`~snippetgen.model.Problem` at the line of the offending node.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ..model import Problem
from ..pointers import escape, join, pointer_get, tokens, unescape
from .model import Api, Document, Operation
from .refs import KEEP
from .xmock import VALIDATORS

# --- $ref ------------------------------------------------------------------------------------


def iter_refs(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every ``$ref`` in a document as ``(pointer of the $ref key, target)``."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{pointer}/{escape(key)}"
            if key == "$ref" and isinstance(value, str):
                yield child, value
            else:
                yield from iter_refs(value, child)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from iter_refs(value, f"{pointer}/{i}")


def check_refs(api: Document) -> list[Problem]:
    """One problem per remote or broken ``$ref``, located at the ``$ref`` line."""
    problems = []
    for pointer, target in iter_refs(api.document):
        loc = api.location(pointer)
        if not target.startswith("#"):
            problems.append(
                Problem(
                    loc,
                    f"$ref '{target}' points outside this file; only local "
                    "references ('#/components/...') are allowed",
                    "spec-ref",
                    hint="copy the definition into components/ of this file",
                )
            )
            continue
        try:
            pointer_get(api.document, target)
        except KeyError:
            parts = tokens(target)
            depth = next(i for i in range(len(parts)) if not _exists(api.document, parts[: i + 1]))
            missing, parent = parts[depth], "#" + join(parts[:depth])
            problems.append(
                Problem(
                    loc,
                    f"$ref '{target}' does not resolve: no '{missing}' under '{parent}'",
                    "spec-ref",
                    hint=_ref_hint(api.document, target),
                )
            )
    return problems


def _exists(document: dict, parts: list[str]) -> bool:
    try:
        pointer_get(document, join(parts))
    except KeyError:
        return False
    return True


def _ref_hint(document: dict, target: str) -> str | None:
    parent, _, name = target.rpartition("/")
    try:
        siblings = pointer_get(document, parent)
    except KeyError:
        return None
    if isinstance(siblings, dict):
        close = difflib.get_close_matches(unescape(name), list(siblings), n=1)
        if close:
            return f"did you mean '{parent}/{escape(close[0])}'?"
    return None


def _spec_validator(version: str, dialect: str | None = None) -> Any:
    """openapi-spec-validator's class for ``version``, adapted in two ways.

    Its ``allOf`` check collects the properties of every part, recursively, again at each use: on
    schemas shared through ``$ref`` (an ``allOf`` of two parts that share a part, 30 deep) that is
    exponential, and a reference cycle never ends. Memoised per schema object, with a cycle giving
    no names where it closes, it is linear.

    Its keyword validators (a schema's meta-schema check, a ``default`` against its schema, an
    operation's parameters) report errors located only within the node they check; each error is
    given the path of that node in the document (see :func:`_locate`), so it is reported at its line.
    """
    # openapi-spec-validator costs ~0.25 s to import: only a validating load pays it (not render, new, mock)
    from openapi_spec_validator import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )

    base = {"3.0": OpenAPIV30SpecValidator, "3.2": OpenAPIV32SpecValidator}.get(
        version[:3], OpenAPIV31SpecValidator
    )
    keywords = {name: _located(name, cls) for name, cls in base.keyword_validators.items()}
    schema_validator = keywords["schema"]
    # lazily, like the validator above: only a validating load pays for these imports
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    class OncePerSchema(schema_validator):  # type: ignore[valid-type, misc]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            # Lists the validator searches once per schema: quadratic on thousands of schemas.
            self.visited_schema_ids = _Ids()
            self.meta_checked_schema_ids = _Ids()

        def __call__(self, schema: Any, require_properties: bool = True, meta_checked: bool = False) -> Any:
            """The meta-schema check of each schema object, with every error (the validator's own
            stops at the first), by :func:`_meta_validator` when the schema is of the version's
            default dialect; the rest as the validator does it."""
            value = schema.read_value() if not meta_checked else None
            checker = _meta_validator(version, value, dialect) if not meta_checked else None
            if checker is not None:
                done = self.__dict__.setdefault("_snippetgen_meta", {})
                if id(value) not in done:
                    done[id(value)] = value  # keeps the id taken while the check runs
                    errors = []
                    for found in checker.iter_errors(value):
                        error = OpenAPIValidationError(
                            found.message,
                            validator=type(found.kind).__name__.lower(),
                            path=[*schema.parts, *found.instance_path],
                            instance=found.instance,
                        )
                        setattr(error, LOCATED, True)
                        errors.append(error)
                    if errors:  # as the validator: a schema that fails its meta-schema is not walked
                        yield from errors
                        return
                meta_checked = True
            yield from super().__call__(schema, require_properties, meta_checked)

        def _collect_properties(self, schema: Any) -> set[str]:
            value = schema.read_value()
            memo = self.__dict__.setdefault("_snippetgen_properties", {})
            hit = memo.get(id(value))
            if hit is None:
                memo[id(value)] = (value, frozenset())  # in progress: a cycle closes here
                hit = memo[id(value)] = (value, frozenset(super()._collect_properties(schema)))
            return set(hit[1])

    return type(base.__name__, (base,), {"keyword_validators": {**keywords, "schema": OncePerSchema}})


class _Ids(list):
    """The validator's list of visited schema ids, with a set for ``in``."""

    def __init__(self) -> None:
        super().__init__()
        self._set: set[int] = set()

    def append(self, item: int) -> None:
        self._set.add(item)

    def __contains__(self, item: object) -> bool:
        return item in self._set


@functools.cache
def _meta_validators() -> dict[str, Any]:
    """version -> a jsonschema_rs validator of the meta-schema every schema object of that OpenAPI
    version must fit when it names no other dialect: draft-04 for 3.0 (as openapi-schema-validator
    checks it), the OAS base dialects for 3.1 and 3.2, with their vocabularies from the same registry
    openapi-schema-validator uses. Rust: on openai.yaml's 2,000 schemas 0.04 s instead of 6 s, with
    the same verdicts (tests/test_spec_tolerance.py compares them)."""
    # lazily, like the validator above: only a validating load pays for these imports
    import jsonschema_rs

    # lazily, like the validator above: only a validating load pays for these imports
    from openapi_schema_validator._dialects import (
        OAS31_BASE_DIALECT_METASCHEMA,
        OAS32_BASE_DIALECT_METASCHEMA,
    )

    # lazily, like the validator above: only a validating load pays for these imports
    from openapi_schema_validator._specifications import REGISTRY

    registry = jsonschema_rs.Registry([(uri, REGISTRY.contents(uri)) for uri in REGISTRY])
    draft4 = REGISTRY.contents("http://json-schema.org/draft-04/schema#")

    def build(schema: Any) -> Any:
        return jsonschema_rs.validator_for(schema, registry=registry, validate_formats=True)

    return {
        "3.0": build(draft4),
        "3.1": build(OAS31_BASE_DIALECT_METASCHEMA),
        "3.2": build(OAS32_BASE_DIALECT_METASCHEMA),
    }


_DEFAULT_DIALECTS = {
    "3.1": "https://spec.openapis.org/oas/3.1/dialect/base",
    "3.2": "https://spec.openapis.org/oas/3.2/dialect/2025-09-17",
}


def _meta_validator(version: str, value: Any, dialect: str | None) -> Any:
    """The fast meta-schema validator for a schema object, or None when the validator's own check
    must run: a schema of another dialect (its ``$schema``, else the document's ``jsonSchemaDialect``)."""
    if not isinstance(value, (dict, bool)):
        return None
    key = version[:3]
    if key != "3.0":
        own = value.get("$schema", dialect) if isinstance(value, dict) else dialect
        if own is not None and own != _DEFAULT_DIALECTS.get(key):
            return None
    return _meta_validators().get(key)


LOCATED = "_snippetgen_located"
"""Set on an error once its path is made absolute (by the innermost keyword validator it crossed)."""
DEFAULT = "_snippetgen_default"
"""Set on an error about a ``default`` value that does not fit its schema (a lint, not validity)."""


def _located(name: str, cls: Any) -> Any:
    """``cls`` (a keyword validator) whose errors carry their place in the document.

    A keyword validator is called with a ``SchemaPath`` (the node it checks, whose ``parts`` are its
    path from the document's root) and yields errors whose path is relative to that node. The
    innermost validator an error comes out of prefixes the node's path, so ``absolute_path`` is the
    document's path. The ``default`` validator checks the value under the node's ``default``.
    """

    # lazily, like the validator above: only a validating load pays for these imports
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        node = next((a for a in args if hasattr(a, "parts") and hasattr(a, "read_value")), None)
        for error in cls.__call__(self, *args, **kwargs):
            if node is not None and not getattr(error, LOCATED, False):
                if not isinstance(error, OpenAPIValidationError):  # as the validator would wrap it later
                    error = OpenAPIValidationError.create_from(error)
                parts = [*node.parts, "default"] if name == "default" else list(node.parts)
                error.path.extendleft(reversed(parts))
                setattr(error, LOCATED, True)
                if name == "default":
                    setattr(error, DEFAULT, True)
            yield error

    return type(cls.__name__, (cls,), {"__call__": __call__})


def validate_document(api: Api) -> list[Problem]:
    """openapi-spec-validator findings, one per error, at the line of the offending node.

    A ``default`` that does not fit its schema is a ``spec-example`` finding (like an example that
    does not: JSON Schema only recommends that it fit); everything else is ``spec-invalid``.
    """
    version = str(api.document.get("openapi", ""))
    if not version.startswith(("3.0", "3.1", "3.2")):  # the reader refuses these; a caller may not
        found = f"openapi: {version}" if version else "no 'openapi' field"
        return [
            Problem(
                api.location("/openapi"),
                "not an OpenAPI 3.0, 3.1 or 3.2 document",
                "spec-version",
                expected="openapi: 3.1.0 (or 3.0.x)",
                found=found,
            )
        ]
    dialect = api.document.get("jsonSchemaDialect")
    validator_class = _spec_validator(version, dialect if isinstance(dialect, str) else None)
    problems = []
    try:
        for error in validator_class(api.document).iter_errors():
            if "is not unique" in error.message and error.message.startswith("Operation ID"):
                continue  # lint_operations reports it at the operation's line
            problems.append(_validation_problem(api, error))
    except Exception as exc:  # the validator gave up half-way; report (unless already explained), never crash
        if not problems:
            problems.append(
                Problem(
                    api.location(""),
                    f"the OpenAPI validator stopped: {type(exc).__name__}: {_short(str(exc))}",
                    "spec-invalid",
                )
            )
    return problems


def _validation_problem(api: Api, error: Any) -> Problem:
    path = [str(p) for p in getattr(error, "absolute_path", None) or []]
    detail = error
    if getattr(error, "context", None):
        detail = best_match(error.context) or error
        path += [str(p) for p in detail.relative_path]
    pointer = real_pointer(api.document, path)
    pointer = _anchor(api, pointer, error.instance)
    try:
        instance = pointer_get(api.document, pointer)
    except KeyError:
        instance = detail.instance
    if getattr(error, DEFAULT, False) or getattr(detail, DEFAULT, False):
        where = pointer.rpartition("/default")[0] or "/"
        return Problem(
            api.location(pointer),
            f"default does not match its schema at {where}: {_describe(detail, instance)}",
            "spec-example",
        )
    return Problem(
        api.location(pointer),
        f"invalid OpenAPI at {pointer or '/'}: {_describe(detail, instance)}",
        "spec-invalid",
    )


def real_pointer(document: Any, parts: list[str]) -> str:
    """The pointer of the node at ``parts`` where it is written: a path that goes through a local
    ``$ref`` (as the validator's does) continues from the ``$ref``'s target."""
    node, where = document, []
    for part in parts:
        if isinstance(node, dict) and part not in node and isinstance(node.get("$ref"), str):
            seen = 0
            while (
                isinstance(node, dict)
                and part not in node
                and isinstance(node.get("$ref"), str)
                and node["$ref"].startswith("#")
                and seen < 64
            ):
                try:
                    node, where = pointer_get(document, node["$ref"]), tokens(node["$ref"])
                except KeyError:
                    break
                seen += 1
        where = [*where, part]
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            node = None
    return "".join(f"/{escape(p)}" for p in where)


def _anchor(api: Api, pointer: str, instance: Any) -> str:
    """The absolute pointer of a node the validator located only relative to a sub-schema."""
    if not pointer or pointer in api.lines:
        return pointer
    for candidate in api.lines:
        if candidate.endswith(pointer):
            try:
                if pointer_get(api.document, candidate) == instance:
                    return candidate
            except KeyError:
                continue
    return pointer


def _describe(error: Any, instance: Any) -> str:
    """The validator's sentence without the instance dump it may carry."""
    message = str(error.message).split("\n\n")[0]
    if error.validator == "type" and isinstance(instance, (dict, list)):
        found = "a mapping" if isinstance(instance, dict) else "a list"
        return f"expected {error.validator_value}, found {found}"
    dumped = re.match(r"^\s*[\[{].*?[\]}] (is (?:not |too ).*)$", message, re.S)
    if dumped and isinstance(instance, (dict, list)):
        return _short(f"this {'mapping' if isinstance(instance, dict) else 'list'} {dumped.group(1)}")
    return _short(message)


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split("\n\n")[0].split())
    for cut in (" for validator with schema", " Failed validating"):
        message = message.split(cut)[0]
    return message if len(message) <= limit else message[: limit - 3] + "..."


def lint(api: Api) -> list[Problem]:
    problems: list[Problem] = []
    for check in (lint_operations, lint_examples, lint_extensions):
        try:
            problems += check(api)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:  # malformed spec, already reported
            problems.append(
                Problem(
                    api.location(""),
                    f"{check.__name__} stopped on a malformed spec: {_short(str(exc))}",
                    "spec-lint",
                )
            )
    return problems


def lint_operations(api: Api) -> list[Problem]:
    problems = []
    seen: dict[str, Any] = {}
    for op in api.operations:
        if op.operation_id in seen:
            first = seen[op.operation_id]
            problems.append(
                Problem(
                    op.location,
                    f"duplicate operationId '{op.operation_id}' "
                    f"(also {first.method} {first.path} at line {first.location.line})",
                    "spec-lint",
                    hint="operationIds must be unique within a spec",
                )
            )
        else:
            seen[op.operation_id] = op
        if "responses" not in op.raw:  # valid in 3.1 (3.0's validator reports it): one finding, not three
            problems.append(
                Problem(
                    op.location,
                    f"{op.method} {op.path} declares no responses",
                    "spec-lint",
                    hint="document at least its success response, so examples and the mock know what it answers",
                )
            )
            continue
        responses = op.raw.get("responses")
        codes = [str(code).upper() for code in (responses if isinstance(responses, dict) else {})]
        if not any(code.startswith("2") for code in codes):
            problems.append(
                Problem(op.location, f"{op.method} {op.path} declares no 2xx response", "spec-lint")
            )
        if not any(code[:1] in ("4", "5") or code == "DEFAULT" for code in codes):
            problems.append(
                Problem(
                    op.location,
                    f"{op.method} {op.path} declares no 4xx/5xx response",
                    "spec-lint",
                    hint="document the errors the API answers",
                )
            )
        if op.secured and "401" not in codes:
            problems.append(
                Problem(
                    op.location, f"{op.method} {op.path} is secured but declares no 401 response", "spec-lint"
                )
            )
    return problems


# --- examples ------------------------------------------------------------------------------


def _holders(node: Any, pointer: str = "") -> Iterator[tuple[str, dict]]:
    """Media type, parameter and header objects: dicts with a ``schema`` and examples."""
    if isinstance(node, dict):
        if "schema" in node and ("example" in node or "examples" in node):
            yield pointer, node
        for key, value in node.items():
            if key not in ("schema", "example", "examples", "x-mock"):
                yield from _holders(value, f"{pointer}/{escape(key)}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _holders(value, f"{pointer}/{i}")


def lint_examples(api: Api) -> list[Problem]:
    doc = api.document
    base = "urn:snippetgen:spec"
    registry = Registry().with_resource(base, Resource.from_contents(doc, default_specification=DRAFT202012))
    problems = []
    for pointer, holder in _holders(doc):
        schema = holder["schema"]
        if not isinstance(schema, dict):
            continue
        # validate through the document so local "#/components/..." refs resolve
        validator = jsonschema.Draft202012Validator({"$ref": f"{base}#{pointer}/schema"}, registry=registry)
        examples: list[tuple[str, Any]] = []
        if "example" in holder:
            examples.append((f"{pointer}/example", holder["example"]))
        for name, entry in (
            (holder.get("examples") or {}).items() if isinstance(holder.get("examples"), dict) else ()
        ):
            entry = api.refs.resolve(entry, KEEP)
            if isinstance(entry, dict) and "value" in entry:
                examples.append((f"{pointer}/examples/{escape(name)}/value", entry["value"]))
        for where, value in examples:
            try:
                error = best_match(validator.iter_errors(value))
            except Exception as exc:  # an unresolvable schema; the $ref check reports the cause
                problems.append(
                    Problem(api.location(where), f"cannot check example: {_short(str(exc))}", "spec-example")
                )
                continue
            if error is not None:
                at = "/".join(escape(str(p)) for p in error.absolute_path)
                problems.append(
                    Problem(
                        api.location(f"{where}/{at}" if at else where),
                        f"example does not match its schema{' at /' + at if at else ''}: "
                        f"{_short(error.message)}",
                        "spec-example",
                    )
                )
    return problems


# --- x-mock ----------------------------------------------------------------------------------


def vocabulary_problems(api: Document, value: Any, level: str, pointer: str) -> list[Problem]:
    """``value`` (the ``x-mock`` at ``pointer``) against the vocabulary's schema for ``level``
    (``document`` or ``operation``); the mock refuses the first of these, so both say the same."""
    problems = []
    for error in VALIDATORS[level].iter_errors(value):
        where = pointer + "".join(f"/{escape(str(p))}" for p in error.instance_path)
        unexpected = (
            re.findall(r"'([^']+)'", error.message.split("(", 1)[-1]) if "unexpected" in error.message else []
        )
        if unexpected:
            for key in unexpected:
                problems.append(
                    Problem(
                        api.location(f"{where}/{escape(key)}"),
                        f"unknown x-mock key '{key}'",
                        "spec-extension",
                        found=key,
                        hint="see docs/reference/mock-extensions.md",
                    )
                )
            continue
        problems.append(
            Problem(
                api.location(where),
                f"invalid x-mock: {error.message}",
                "spec-extension",
                hint="see docs/reference/mock-extensions.md",
            )
        )
    return problems


def lint_extensions(api: Api) -> list[Problem]:
    doc = api.document
    problems = []
    allowed_places = {"/x-mock"}
    if "x-mock" in doc:
        problems += vocabulary_problems(api, doc["x-mock"], "document", "/x-mock")
    by_id = {op.operation_id: op for op in api.operations}
    for op in api.operations:
        base = f"/paths/{escape(op.path)}/{op.method.lower()}/x-mock"
        allowed_places.add(base)
        mock = op.raw.get("x-mock")
        if mock is None:
            continue
        problems += vocabulary_problems(api, mock, "operation", base)
        if isinstance(mock, dict):
            problems += _check_operation_mock(api, op, mock, base, by_id)
    for pointer in _find_key(doc, "x-mock"):
        if pointer not in allowed_places:
            problems.append(
                Problem(
                    api.location(pointer),
                    "x-mock is only read at the document root and on operations",
                    "spec-extension",
                )
            )
    return problems


def _find_key(node: Any, key: str, pointer: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            child = f"{pointer}/{escape(k)}"
            if k == key:
                yield child
            else:
                yield from _find_key(v, key, child)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _find_key(v, key, f"{pointer}/{i}")


def _check_operation_mock(
    api: Api, op: Operation, mock: dict[str, Any], base: str, by_id: dict[str, Operation]
) -> list[Problem]:
    problems = []

    def add(where: str, message: str, **extra: Any) -> None:
        problems.append(Problem(api.location(f"{base}/{where}"), message, "spec-extension", **extra))

    fields = op.request_fields()
    create = mock.get("job-create")
    if isinstance(create, dict) and not str(create.get("id", "")).startswith("/"):
        add("job-create/id", "x-mock job-create.id must be a JSON pointer into the success body, e.g. /id")
    poll = mock.get("job-poll")
    if isinstance(poll, dict):
        for i, name in enumerate(poll.get("of") or []):
            if name not in by_id:
                add(
                    f"job-poll/of/{i}",
                    f"x-mock job-poll.of names unknown operation '{name}'",
                    expected=", ".join(sorted(by_id)),
                    found=str(name),
                )
        where, _, param = str(poll.get("id", "")).partition(":")
        params = {(p.get("in"), p.get("name")) for p in op.raw.get("parameters") or [] if isinstance(p, dict)}
        if where not in ("query", "path") or (where, param) not in params:
            add(
                "job-poll/id",
                f"x-mock job-poll.id '{poll.get('id')}' does not name a query or path "
                "parameter of this operation",
                expected="query:<name> or path:<name>",
            )
        responses = op.raw.get("responses") or {}
        for i, phase in enumerate(poll.get("phases") or []):
            if not isinstance(phase, dict):
                continue
            status = str(phase.get("status"))
            names = [
                n
                for media in ((responses.get(status) or {}).get("content") or {}).values()
                for n in (media.get("examples") or {})
            ]
            if status not in responses:
                add(
                    f"job-poll/phases/{i}/status",
                    f"x-mock phase status {status} is not a response of this operation",
                )
            elif phase.get("example") not in names:
                add(
                    f"job-poll/phases/{i}/example",
                    f"x-mock phase example '{phase.get('example')}' is not an "
                    f"example of the {status} response",
                    expected=", ".join(names) or "named examples under the response's content",
                    found=str(phase.get("example")),
                )
    for key in ("stream", "cost"):
        section = mock.get(key)
        if not isinstance(section, dict) or "by" not in section:
            continue
        field = section["by"]
        if field not in fields:
            add(
                f"{key}/by",
                f"x-mock {key}.by names '{field}', which is not a request field",
                expected=", ".join(fields),
                found=str(field),
            )
            continue
        declared = fields[field].get("enum")
        enum: list[Any] = declared if isinstance(declared, list) else []
        mapping = section.get("sequences" if key == "stream" else "values") or {}
        for name in mapping if enum and isinstance(mapping, dict) else ():
            if name not in enum:
                add(
                    f"{key}/{'sequences' if key == 'stream' else 'values'}/{escape(name)}",
                    f"x-mock {key} entry '{name}' is not an allowed value of '{field}'",
                    expected=", ".join(map(str, enum)),
                    found=str(name),
                )
    return problems
