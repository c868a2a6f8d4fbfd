"""The mock on OpenAPI documents it was not written for: every operation of every real public spec
in ../shared/realworld/ (and of this repository's shared/openapi/) gets a valid request built from
the spec, and the mock's reply must be the declared success, of a declared media type, with a body
that an independent validator (python-jsonschema, not the mock's jsonschema_rs) finds valid against
the declared response schema, and the declared required headers.

The request builder and the reply check read the spec themselves (the project's reader and ``$ref``
resolver only); nothing here asks the mock what it expects.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jsonschema
import pytest

from snippetgen.mock import DEFAULT_KEY, MockSettings, Request, Responder, Response
from snippetgen.mock.compile import compile_api
from snippetgen.mock.samples import sample
from snippetgen.runner.verify import has_magic
from snippetgen.spec.read import read_document
from snippetgen.spec.refs import ACCEPT
from snippetgen.spec.schema import to_json_schema

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"
OWN = Path(__file__).resolve().parents[1] / "shared" / "openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PNG = (Path(__file__).resolve().parents[1] / "snippetgen" / "media" / "sample.png").read_bytes()
MAGIC_EXT = {"image/png": "x.png", "image/jpeg": "x.jpg", "image/webp": "x.webp", "audio/wav": "x.wav"}

needs_realworld = pytest.mark.skipif(
    not REALWORLD.is_dir(),
    reason=f"the real-world specs are not at {REALWORLD} (a checkout without ../shared)",
)


def specs() -> list[Path]:
    found = sorted(REALWORLD.glob("*.yaml")) if REALWORLD.is_dir() else []
    return [p for p in found if "swagger" not in p.read_text()[:200]] + sorted(OWN.glob("*.yaml"))


# --- an independent reading of the spec ----------------------------------------------------------


class Spec:
    def __init__(self, path: Path):
        src, problems = read_document(path)
        assert src is not None, problems
        self.src, self.doc = src, src.document
        self.memo: dict = {}
        self.validators: dict[int, Any] = {}

    def resolve(self, node: Any) -> Any:
        return self.src.refs.resolve(node, ACCEPT)

    def operations(self) -> list[tuple[str, str, dict[str, Any], list[Any]]]:
        out = []
        for template, item in (self.doc.get("paths") or {}).items():
            item = self.resolve(item)
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    out.append((template, method, item[method], item.get("parameters") or []))
        return out

    def valid_request(self, schema: Any, value: Any) -> bool:
        """Whether ``value`` is a valid request value for ``schema`` (guides the request builder)."""
        hit = self.validators.get(-id(schema))
        if hit is None:
            hit = self.validators[-id(schema)] = jsonschema.Draft202012Validator(
                to_json_schema(schema, request=True, memo=self.memo)
            )
        return bool(hit.is_valid(value))

    def validator(self, schema: Any) -> Any:
        """python-jsonschema, 2020-12, formats checked; OpenAPI response semantics (writeOnly
        properties not required) applied to a copy of the converted schema."""
        hit = self.validators.get(id(schema))
        if hit is None:
            converted = _response_semantics(to_json_schema(schema, request=False, memo=self.memo), set())
            hit = self.validators[id(schema)] = jsonschema.Draft202012Validator(
                converted, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
        return hit


def _response_semantics(schema: Any, seen: set[int]) -> Any:
    if isinstance(schema, dict) and id(schema) not in seen:
        seen.add(id(schema))
        props = schema.get("properties")
        if isinstance(schema.get("required"), list) and isinstance(props, dict):
            schema["required"] = [
                r
                for r in schema["required"]
                if not (isinstance(props.get(r), dict) and props[r].get("writeOnly"))
            ]
        for value in schema.values():
            if isinstance(value, dict):
                _response_semantics(value, seen)
                for sub in value.values():
                    _response_semantics(sub, seen)
            elif isinstance(value, list):
                for sub in value:
                    _response_semantics(sub, seen)
    return schema


# --- requests built from the spec ----------------------------------------------------------------


SPEC: list[Spec] = []


def request_value(schema: Any) -> Any:
    valid = SPEC[-1].valid_request if SPEC else None
    return sample(schema if isinstance(schema, dict) else {}, mode="request", valid=valid)


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)


def form_pairs(name: str, value: Any) -> list[tuple[str, str]]:
    """deepObject / bracket style for nested values, repeated keys for arrays."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in form_pairs(f"{name}[{k}]", v)]
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [(name, text(v)) for v in value]
        return [pair for i, v in enumerate(value) for pair in form_pairs(f"{name}[{i}]", v)]
    return [(name, text(value))]


def build(spec: Spec, template: str, method: str, op: dict[str, Any], shared: list[Any]) -> Request:
    path, _, fixed = template.partition("?")
    query: list[tuple[str, str]] = []
    headers = {"Accept": "*/*"}
    params = {
        (p.get("name"), p.get("in")): p
        for p in [*shared, *(op.get("parameters") or [])]
        if isinstance(p, dict)
    }
    for (name, where), p in params.items():
        schema = p.get("schema") or {}
        if where == "path":
            value = request_value(schema)
            path = path.replace("{" + name + "}", quote(text(value), safe=""))
        elif where == "query" and (p.get("required") or p.get("style") == "deepObject"):
            value = request_value(schema)
            if p.get("style") == "deepObject" and isinstance(value, dict):
                query += form_pairs(name, value)
            elif isinstance(value, list):
                query += [(name, text(v)) for v in value]
            else:
                query.append((name, text(value)))
        elif where == "header" and p.get("required"):
            headers[name] = text(request_value(schema))
    query += [(k, v) for k, v in (pair.partition("=")[::2] for pair in fixed.split("&") if pair)]
    security = op.get("security", spec.doc.get("security")) or []
    schemes = spec.resolve((spec.doc.get("components") or {}).get("securitySchemes") or {})
    if security and {} not in security:
        for name in security[0]:
            scheme = schemes.get(name) or {}
            if scheme.get("type") == "apiKey" and scheme.get("in") == "query":
                query.append((scheme["name"], DEFAULT_KEY))
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "cookie":
                headers["Cookie"] = f"{scheme['name']}={DEFAULT_KEY}"
            elif scheme.get("type") == "apiKey":
                headers[scheme["name"]] = DEFAULT_KEY
            elif scheme.get("type") == "http" and str(scheme.get("scheme")).lower() == "basic":
                headers["Authorization"] = (
                    "Basic " + base64.b64encode(f"user:{DEFAULT_KEY}".encode()).decode()
                )
            else:
                headers["Authorization"] = f"Bearer {DEFAULT_KEY}"
    body = b""
    content = (op.get("requestBody") or {}).get("content") or {}
    if content:
        media = next((m for m in content if "json" in m), next(iter(content)))
        mt = content[media] or {}
        schema = mt.get("schema") or {}
        base = media.split(";")[0].lower()
        headers["Content-Type"] = media
        if "json" in base:
            body = json.dumps(request_value(schema)).encode()
        elif base == "application/x-www-form-urlencoded":
            value = request_value(schema)
            body = urlencode([pair for k, v in (value or {}).items() for pair in form_pairs(k, v)]).encode()
        elif base == "multipart/form-data":
            body, headers["Content-Type"] = multipart(schema, mt.get("encoding") or {})
        else:
            body = PNG if base.startswith("image/") else b"raw bytes of the request"
    return Request(method.upper(), path, urlencode(query), headers, body)


def is_file(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("format") == "binary" or ("contentMediaType" in schema and "contentEncoding" not in schema):
        return True
    return any(is_file(s) for s in schema.get("anyOf") or schema.get("oneOf") or [])


def multipart(schema: dict[str, Any], encoding: dict[str, Any]) -> tuple[bytes, str]:
    parts: list[bytes] = []
    value = request_value(schema) or {}
    props = schema.get("properties") or {}
    for name, prop in props.items():
        many = isinstance(prop, dict) and prop.get("type") == "array" and is_file(prop.get("items"))
        if is_file(prop) or many:
            allowed = (encoding.get(name) or {}).get("contentType") or "image/png"
            ctype = (
                allowed.split(",")[0]
                .strip()
                .replace("*", "png" if allowed.startswith("image") else "octet-stream")
            )
            data = PNG if ctype.startswith("image/") else b"file bytes"
            parts.append(
                f'Content-Disposition: form-data; name="{name}"; filename="upload"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
                + data
            )
        elif name in value:
            # arrays of scalars: one part per item; objects (and arrays of them): JSON text
            item = value[name]
            many_parts = isinstance(item, list) and all(not isinstance(v, (dict, list)) for v in item)
            for one in item if many_parts else [item]:
                parts.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{text(one)}'.encode())
    boundary = "snippetgen-boundary"
    body = (
        b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
        + f"--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


# --- the reply check -----------------------------------------------------------------------------


def declared_success(responses: dict[str, Any]) -> tuple[int, str | None]:
    codes = sorted(int(c) for c in responses if str(c).isdigit() and 200 <= int(c) < 300)
    if codes:
        return codes[0], str(codes[0])
    ranges = [c for c in responses if str(c).upper() == "2XX"]
    if ranges:
        return 200, ranges[0]
    if "default" in responses:
        return 200, "default"
    return 200, None


def events_of(response: Response) -> list[Any]:
    async def collect() -> list[bytes]:
        return [chunk async for chunk in response.body]  # type: ignore[union-attr]

    chunks = asyncio.run(collect())
    text = b"".join(chunks).decode()
    return [json.loads(line[6:]) for line in text.split("\n") if line.startswith("data: ")]


def reply_failures(spec: Spec, op: dict[str, Any], answer: Response, *, stream: bool = False) -> list[str]:
    responses = spec.resolve(op.get("responses") or {})
    status, key = declared_success(responses)
    phases = {p["status"] for p in ((op.get("x-mock") or {}).get("job-poll") or {}).get("phases", [])}
    if answer.status in phases and str(answer.status) in responses:  # a job poll: its phase's response
        status, key = answer.status, str(answer.status)
    if answer.status != status:
        body = answer.body[:300] if isinstance(answer.body, bytes) else b"(stream)"
        return [f"answered {answer.status}, the spec's success is {status}: {body!r}"]
    if key is None:
        return []
    declared = responses[key] or {}
    content = declared.get("content") or {}
    failures: list[str] = []
    ctype = answer.header("content-type")
    if status in (204, 205, 304) or not content:
        if answer.body or ctype:
            failures.append(f"a body or content type for a response declared without content ({ctype})")
        return failures
    media = next((m for m in content if m.split(";")[0].lower() == (ctype or "").split(";")[0].lower()), None)
    if media is None:
        return [f"content type {ctype!r} is not declared ({', '.join(content)})"]
    schema = (content[media] or {}).get("schema")
    base = media.split(";")[0].lower()
    stream = stream or (base == "text/event-stream" and answer.streaming)
    if stream:
        if base != "text/event-stream":
            return [f"asked for a stream, answered {ctype}"]
        values = events_of(answer)
        if not values:
            failures.append("a stream without events")
    elif "json" in base:
        values = [answer.json()]
    else:
        values = []
        assert isinstance(answer.body, bytes)
        if not answer.body and base != "text/plain":
            failures.append(f"an empty {base} body")
        if base in MAGIC_EXT and not has_magic(MAGIC_EXT[base], answer.body[:16]):
            failures.append(f"{base} bytes that are not a {base} file")
    if isinstance(schema, dict):
        validator = spec.validator(schema)
        props = schema.get("properties") or {}
        if stream and "data" in props and set(props) <= {"data", "event", "id", "retry"}:
            # the schema describes the event (OpenAPI 3.2 style): each data line is its `data`
            payload = props["data"].get("contentSchema")
            if isinstance(payload, dict):
                failures += [
                    f"event data: {e.message}" for v in values for e in spec.validator(payload).iter_errors(v)
                ]
            values = [{"data": json.dumps(v)} for v in values]
        for value in values:
            for error in list(validator.iter_errors(value))[:3]:
                where = "/" + "/".join(str(p) for p in error.absolute_path)
                failures.append(f"body {where}: {error.message[:200]}")
    for name, header in (declared.get("headers") or {}).items():
        if (header or {}).get("required") and name.lower() not in ("content-type", "transfer-encoding"):
            if answer.header(name) is None:
                failures.append(f"required header {name} is missing")
    return failures


def sse_declared(spec: Spec, op: dict[str, Any]) -> bool:
    responses = spec.resolve(op.get("responses") or {})
    _, key = declared_success(responses)
    return key is not None and "text/event-stream" in ((responses[key] or {}).get("content") or {})


# --- the tests -----------------------------------------------------------------------------------


def served(path: Path) -> tuple[int, int, list[str]]:
    """(operations, operations whose reply validates, failures) for one document."""
    spec = Spec(path)
    SPEC[:] = [spec]
    responder = Responder([compile_api(path)], MockSettings(stream_interval=0))
    total = ok = 0
    failures: list[str] = []
    operations = spec.operations()
    for template, method, op, shared in operations:
        total += 1
        request = build(spec, template, method, op, shared)
        poll = (op.get("x-mock") or {}).get("job-poll")
        if poll:  # a job poll answers for a job an earlier call created (x-mock job-create)
            request = with_job(spec, responder, operations, poll, request, template)
        answer = responder.respond(request)
        found = reply_failures(spec, op, answer)
        entry = responder.state.entries()[-1]
        if entry["errors"]:
            found.append(f"the built request was refused: {entry['errors'][:2]}")
        if not found and answer.reply_errors:
            found.append(f"the mock's own check disagrees: {answer.reply_errors}")
        if not found and sse_declared(spec, op):
            streamed = responder.respond(
                Request(
                    request.method,
                    request.path,
                    request.query,
                    {**request.headers, "Accept": "text/event-stream"},
                    request.body,
                )
            )
            found += [f"stream: {f}" for f in reply_failures(spec, op, streamed, stream=True)]
        if found:
            failures.append(f"{path.name} {method.upper()} {template}: " + "; ".join(found))
        else:
            ok += 1
    return total, ok, failures


def with_job(
    spec: Spec,
    responder: Responder,
    operations: list[Any],
    poll: dict[str, Any],
    request: Request,
    template: str,
) -> Request:
    from snippetgen.pointers import lookup

    creator = next(o for o in operations if o[2].get("operationId") == poll["of"][0])
    created = responder.respond(build(spec, *creator))
    job_id = str(lookup(created.json(), creator[2]["x-mock"]["job-create"]["id"]))
    where, _, name = poll["id"].partition(":")
    if where == "path":
        path = template.partition("?")[0].replace("{" + name + "}", job_id)
        for other in re.findall(r"\{[^}]+\}", path):
            path = path.replace(other, "x")
        return Request(request.method, path, request.query, request.headers, request.body)
    if where == "header":
        return Request(
            request.method, request.path, request.query, {**request.headers, name: job_id}, request.body
        )
    query = [(k, v) for k, v in (p.partition("=")[::2] for p in request.query.split("&") if p) if k != name]
    return Request(
        request.method, request.path, urlencode([*query, (name, job_id)]), request.headers, request.body
    )


@needs_realworld
@pytest.mark.parametrize("name", [p.name for p in specs()] or ["(none)"])
def test_every_operation_answers_its_declared_success_with_a_valid_body(name):
    path = REALWORLD / name if (REALWORLD / name).exists() else OWN / name
    total, ok, failures = served(path)
    assert failures == [], "\n".join(failures[:40])
    assert ok == total


@needs_realworld
def test_the_real_world_specs_are_all_there():
    counts = {p.name: len(Spec(p).operations()) for p in specs() if p.parent == REALWORLD}
    assert counts == {
        "callback-example.yaml": 1,
        "link-example.yaml": 6,
        "non-oauth-scopes.yaml": 1,
        "openai.yaml": 288,
        "petstore-expanded.yaml": 4,
        "petstore3.yaml": 19,
        "twilio_verify_v2.yaml": 57,
        "webhook-example.yaml": 0,
    }


def test_the_reply_check_catches_a_wrong_body(tmp_path):
    path = tmp_path / "pets.yaml"
    path.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json:\n              schema: {type: array, items: {type: object, required: [id], "
        "properties: {id: {type: integer}}}}\n"
    )
    spec = Spec(path)
    [(template, method, op, shared)] = spec.operations()
    good = Response(200, [("content-type", "application/json")], b'[{"id": 1}]')
    bad = Response(200, [("content-type", "application/json")], b'[{"name": "x"}]')
    error = Response(200, [("content-type", "application/json")], b'{"code": 1, "message": "m"}')
    assert reply_failures(spec, op, good) == []
    assert reply_failures(spec, op, bad) and reply_failures(spec, op, error)
    assert reply_failures(spec, op, Response(201, [], b""))
    assert re.search(
        "content type",
        " ".join(reply_failures(spec, op, Response(200, [("content-type", "text/plain")], b"x"))),
    )


# --- what the issue saw on these specs, one by one ------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Responder:
    if not REALWORLD.is_dir():
        pytest.skip(f"the real-world specs are not at {REALWORLD}")
    return Responder.load(REALWORLD, MockSettings(stream_interval=0))


def ask(mock: Responder, api: str, method: str, path: str, query: str = "", body: Any = None, **headers: str):
    headers = {"Authorization": f"Bearer {DEFAULT_KEY}", **headers}
    raw = b""
    if body is not None:
        raw, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    return mock.respond(Request(method, path, query, headers, raw, api=api))


@needs_realworld
def test_the_directory_with_swagger_2_serves_the_others_and_says_why_not_that_one(real):
    assert "swagger2-petstore" in real.apis and "openai" in real.apis
    [line] = [s for s in real.skipped if "swagger2" in s]
    assert "swagger2-petstore.yaml:1: " in line and "Swagger 2.0 is not supported" in line
    answer = ask(real, "swagger2-petstore", "GET", "/v1/pets")
    assert answer.status == 501 and "Swagger 2.0" in answer.json()["detail"]
    assert [s for s in real.skipped if "openai" in s] == []  # $recursiveAnchor is translated, not skipped


@needs_realworld
def test_petstore_list_is_pets_not_the_default_error(real):
    pets = ask(real, "petstore-expanded", "GET", "/v2/pets")
    assert pets.status == 200 and pets.reply_errors == []
    assert isinstance(pets.json(), list) and {"id", "name"} <= set(pets.json()[0])


@needs_realworld
def test_petstore_delete_is_204_without_body_or_content_type(real):
    gone = ask(real, "petstore-expanded", "DELETE", "/v2/pets/7")
    assert gone.status == 204 and gone.body == b"" and gone.header("content-type") is None


@needs_realworld
def test_petstore_errors_take_the_default_response_shape(real):
    bad = ask(real, "petstore-expanded", "GET", "/v2/pets", "limit=many")
    assert bad.status == 422 and bad.header("content-type") == "application/json"
    error = bad.json()
    assert set(error) == {"code", "message"} and error["code"] == 422 and "query/limit" in error["message"]
    assert bad.reply_errors == []


@needs_realworld
def test_head_mirrors_get_without_a_body(real):
    got = ask(real, "petstore-expanded", "GET", "/v2/pets")
    head = ask(real, "petstore-expanded", "HEAD", "/v2/pets")
    assert head.status == got.status and head.body == b""
    assert head.header("content-type") == got.header("content-type")
    assert head.header("content-length") == str(len(got.body))  # type: ignore[arg-type]


@needs_realworld
def test_a_path_key_with_a_query_routes_only_requests_with_that_query(real):
    body = {"model": "gpt-4o", "input": "hi"}
    plain = ask(real, "openai", "POST", "/v1/responses", body=body)
    beta = ask(real, "openai", "POST", "/v1/responses", "beta=true", body=body)
    log = real.state.entries("openai")
    assert plain.status == beta.status == 200
    assert [e["operation"] for e in log[-2:]] == ["openai:createResponse", "openai:beta_createResponse"]


@needs_realworld
def test_speech_answers_real_audio_without_the_declared_transfer_encoding(real):
    speech = ask(
        real, "openai", "POST", "/v1/audio/speech", body={"model": "tts-1", "input": "hi", "voice": "alloy"}
    )
    assert speech.status == 200 and speech.header("content-type") == "application/octet-stream"
    assert speech.header("transfer-encoding") is None
    assert isinstance(speech.body, bytes) and has_magic("speech.mp3", speech.body[:16])  # the default format
    wav = ask(
        real,
        "openai",
        "POST",
        "/v1/audio/speech",
        body={"model": "tts-1", "input": "hi", "voice": "alloy", "response_format": "wav"},
    )
    assert isinstance(wav.body, bytes) and has_magic("speech.wav", wav.body[:16])


@needs_realworld
def test_stream_true_answers_server_sent_events_of_the_declared_schema(real):
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    plain = ask(real, "openai", "POST", "/v1/chat/completions", body=body)
    assert plain.header("content-type") == "application/json" and plain.json()["object"] == "chat.completion"
    streamed = ask(real, "openai", "POST", "/v1/chat/completions", body={**body, "stream": True})
    assert streamed.status == 200 and streamed.header("content-type") == "text/event-stream"
    assert streamed.reply_errors == []
    events = events_of(streamed)
    assert events and all(e["object"] == "chat.completion.chunk" for e in events)
    accepted = ask(real, "openai", "POST", "/v1/chat/completions", body=body, Accept="text/event-stream")
    assert accepted.streaming


@needs_realworld
def test_recursive_filters_are_validated_to_any_depth(real):
    deep = {"type": "and", "filters": [{"type": "or", "filters": [{"key": "k", "type": "eq", "value": 1}]}]}
    ok = ask(real, "openai", "POST", "/v1/vector_stores/vs_1/search", body={"query": "q", "filters": deep})
    assert ok.status == 200, ok.body
    wrong = {
        "type": "and",
        "filters": [{"type": "or", "filters": [{"key": "k", "type": "eq", "value": 1, "x": 2}]}],
    }
    bad = ask(real, "openai", "POST", "/v1/vector_stores/vs_1/search", body={"query": "q", "filters": wrong})
    assert bad.status == 400 or bad.status == 422
    assert "body/filters" in json.dumps(bad.json())


@needs_realworld
def test_twilio_form_bodies_basic_auth_and_sid_patterns(real):
    auth = "Basic " + base64.b64encode(f"ACxxx:{DEFAULT_KEY}".encode()).decode()
    created = real.respond(
        Request(
            "POST",
            "/v2/Services",
            headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"},
            body=b"FriendlyName=My+Service&CodeLength=6&DoNotShareWarningEnabled=true",
            api="twilio_verify_v2",
        )
    )
    assert created.status == 201 and created.reply_errors == [], created.body
    assert re.fullmatch(r"VA[0-9a-f]{32}", created.json()["sid"])
    denied = real.respond(Request("GET", "/v2/Services", api="twilio_verify_v2"))
    assert denied.status == 401
