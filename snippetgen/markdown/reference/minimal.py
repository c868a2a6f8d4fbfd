"""The minimal request of an operation: one copyable ``curl`` command with only what the spec
requires, generated from the spec with the scaffold's planner (its auth, media types and values).

The same command runs against the mock like every other example (see
:func:`snippetgen.runner.collect.collect_examples`): :attr:`MinimalRequest.run` is the command with
``--fail-with-body`` (an error answer fails the run) and, for a poll whose id comes from another
call, that call first, its id read from its answer.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ...scaffold.plan import Field, Plan, api_key_env, create_and_poll, make_plan, value_for
from ...spec.model import Operation, SpecSet
from ...spec.values import check_value
from .fields import flatten

RUN_FLAGS = "-sS --fail-with-body"
_VAR = "\x00"
"""Marks a shell variable in a URL being built (the spec's own text never holds it)."""


@dataclass(frozen=True)
class MinimalRequest:
    shown: str
    """The command a reader copies."""
    run: str
    """What runs against the mock: the command (and the call whose id it needs) failing on errors."""
    operations: tuple[str, ...]
    """``api:operationId`` of every operation :attr:`run` calls."""
    key_envs: tuple[str, ...]
    """Environment variables holding the credentials."""
    fixtures: tuple[str, ...]
    """Files the command uploads (built-in sample files of the runner)."""
    needs: str = ""
    """Plain text: where a ``$VARIABLE`` of the command comes from (a poll's job id)."""


def minimal_request(op: Operation, specs: SpecSet, base_url: str | None = None) -> MinimalRequest | None:
    """The minimal ``curl`` request of ``op``; None when the planner cannot plan it."""
    try:
        create, poll = create_and_poll(specs, op)
        own = make_plan(specs, op, None, base_url)
    except Exception:  # a malformed spec: the reference renders without it
        return None
    job: tuple[str, str, Operation] | None = None
    if poll is op and create is not op:
        plan = make_plan(specs, create, op, base_url)
        assert plan.poll is not None
        variable = re.sub(r"[^A-Z0-9_]", "_", plan.poll.param.upper()) or "JOB_ID"
        job = (variable, plan.poll.param, create)
    shown = _command(own, op, variable_for=job[1] if job else None, variable=job[0] if job else "")
    keys = _key_envs(own)
    fixtures = tuple(sorted({f.filename for f in _minimal_fields(own, op) if f.filename}))
    run = "set -eo pipefail\n" + _with_flags(shown)
    operations = [op.ref]
    needs = ""
    if job is not None:
        variable, param, create_op = job
        create_plan = make_plan(specs, create_op, op, base_url)
        assert create_plan.poll is not None
        first = _with_flags(_command(make_plan(specs, create_op, None, base_url), create_op))
        read = _reader(create_plan.poll.id_pointer, create_plan.poll.id_type == "integer")
        run = run.replace("\n", f"\n{variable}=$({first} | {read})\n", 1)
        operations.insert(0, create_op.ref)
        fixtures = tuple(
            sorted({*fixtures, *(f.filename for f in _minimal_fields(create_plan, create_op) if f.filename)})
        )
        needs = f"${variable}: the {param} that {create_op.operation_id} answered"
    return MinimalRequest(shown, run, tuple(operations), keys, fixtures, needs)


def _with_flags(command: str) -> str:
    return re.sub(r"^curl ", f"curl {RUN_FLAGS} ", command, flags=re.M)


def _reader(pointer: list[str | int], integer: bool) -> str:
    """A ``sed`` filter printing the id at ``pointer`` of the JSON on its input (the cURL tabs'
    own way: curl, sed, grep and sleep, no jq, no Python)."""
    keys = [p for p in pointer if isinstance(p, str)]
    key = re.sub(r"([][.*^$/\\])", r"\\\1", keys[-1] if keys else "id")
    value = r"\([0-9][0-9]*\)" if integer else r'"\([^"]*\)"'
    bracket = r"\[ *" if pointer and isinstance(pointer[-1], int) else ""
    return "sed -n " + shlex.quote(f's/.*"{key}": *{bracket}{value}.*/\\1/p')


def _key_envs(plan: Plan) -> tuple[str, ...]:
    if plan.auth is None:
        return ()
    if plan.auth[0] == "basic":
        return (api_key_env(plan.api, "USERNAME"), api_key_env(plan.api, "PASSWORD"))
    return (api_key_env(plan.api),)


def _minimal_fields(plan: Plan, op: Operation) -> list[Field]:
    """The plan's fields cut to what the spec requires (when that alone is a valid body)."""
    required = op.required_fields()
    fields = plan.request.fields
    keep = [
        f
        for f in fields
        if f.where in ("path", "document", "upload") or f.name in required or _base(f.name) in required
    ]
    body = [f for f in fields if f.where in ("body", "file")]
    kept_body = [f for f in keep if f.where in ("body", "file")]
    if body and not kept_body:
        # "one of these is required": the first alternative the planner chose
        schema = flatten(op.request_schema or {})
        for key in ("anyOf", "oneOf"):
            for part in schema.get(key) or []:
                names = set(part.get("required") or []) if isinstance(part, dict) else set()
                if names:
                    keep += [f for f in body if _base(f.name) in names]
                    break
            else:
                continue
            break
    request_schema = op.request_schema
    if plan.request.body == "json" and isinstance(request_schema, dict):
        value = {f.name: f.value for f in keep if f.where == "body"}
        if check_value(request_schema, value):  # conditional requirements: the planner's full body instead
            return fields
    return keep


def _base(name: str) -> str:
    return name.split("[", 1)[0]


def _dq(text: str) -> str:
    """Text for inside a shell ``"..."`` word."""
    return re.sub(r'([\\"$`])', r"\\\1", text)


def _command(plan: Plan, op: Operation, *, variable_for: str | None = None, variable: str = "") -> str:
    fields = _minimal_fields(plan, op)
    path = op.path
    for f in fields:
        if f.where == "path":
            value = f"{_VAR}{variable}" if f.name == variable_for else quote(_text(f.value), safe="")
            path = path.replace("{" + f.name + "}", value)
    query = []
    for f in fields:
        if f.where == "query":
            name = quote(f.name, safe="[]")
            if f.name == variable_for:
                query.append(f"{name}={_VAR}{variable}")
            else:
                values = f.value if isinstance(f.value, list) else [f.value]
                query += [f"{name}={quote(_text(v), safe='')}" for v in values]
    if plan.auth is not None and plan.auth[0] == "query":
        query.append(f"{quote(plan.auth[1], safe='')}={_VAR}{api_key_env(plan.api)}")
    url = plan.base_url + path + ("?" + "&".join(query) if query else "")
    if _VAR in url:  # the spec's text escaped, then our own $VARIABLEs put in
        url_word = '"' + _dq(url).replace(_VAR, "$") + '"'
    else:
        url_word = shlex.quote(url)
    method = op.method
    body = plan.request.body
    head = "curl"
    if plan.request.response == "sse":
        head += " -N"
    if "[" in url or "]" in url:
        head += " -g"  # brackets in the query are names (ids[]=), not curl's URL globbing
    if method != "GET" or body is not None:
        head += f" -X {method}"
    args = [f"{head} {url_word}"]
    if plan.auth is not None:
        kind, name = plan.auth
        env = api_key_env(plan.api)
        if kind == "bearer":
            args.append(f'-H "{_dq(name)}: Bearer ${env}"')
        elif kind == "header":
            args.append(f'-H "{_dq(name)}: ${env}"')
        elif kind == "cookie":
            args.append(f'-b "{_dq(name)}=${env}"')
        elif kind == "basic":
            user, password = api_key_env(plan.api, "USERNAME"), api_key_env(plan.api, "PASSWORD")
            args.append(f'-u "${user}:${password}"')
    for param in op.raw.get("parameters") or []:
        if isinstance(param, dict) and param.get("in") == "header" and param.get("required"):
            schema = param["schema"] if isinstance(param.get("schema"), dict) else {}
            given = param["example"] if "example" in param else value_for(str(param.get("name")), schema)
            args.append("-H " + shlex.quote(f"{param.get('name')}: {_text(given)}"))
    if plan.request.accept:
        args.append("-H " + shlex.quote(f"Accept: {plan.request.accept}"))
    if body == "json":
        args.append('-H "Content-Type: application/json"')
        document = [f for f in fields if f.where == "document"]
        payload: Any = (
            document[0].value if document else {f.name: f.value for f in fields if f.where == "body"}
        )
        # an apostrophe as \u0027 keeps the body one single-quoted word, as the cURL tabs write it
        text = json.dumps(payload, ensure_ascii=False).replace("'", "\\u0027")
        args.append("-d " + shlex.quote(text))
    elif body == "multipart":
        for f in fields:
            if f.where == "file":
                args.append("-F " + shlex.quote(f"{f.name}=@{f.filename};type={f.content_type}"))
            elif f.where == "body":
                args.append("--form-string " + shlex.quote(f"{f.name}={_text(f.value)}"))
    elif body == "form":
        for f in fields:
            if f.where == "body":
                values = f.value if isinstance(f.value, list) else [f.value]
                args += ["--data-urlencode " + shlex.quote(f"{f.name}={_text(v)}") for v in values]
    elif body == "binary":
        for f in fields:
            if f.where == "upload":
                args.append("-H " + shlex.quote(f"Content-Type: {f.content_type}"))
                args.append("--data-binary " + shlex.quote(f"@{f.filename}"))
    if plan.request.output_file:
        args.append("-o " + shlex.quote(plan.request.output_file))
    return " \\\n  ".join(args)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
