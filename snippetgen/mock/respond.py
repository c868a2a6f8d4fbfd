"""The mock as a function: ``Responder.respond(Request) -> Response`` over the compiled specs.

    mock = Responder.load(Path("shared/openapi"))
    answer = mock.respond(Request("GET", "/api/ping", api="ainow", headers={"Authorization": f"Bearer {DEFAULT_KEY}"}))
    answer.status, answer.body  # 200, b"pong"

Every behaviour of the mock lives here: routing, auth, content type, body parsing and validation,
the error answers, cost, rate limits, jobs and polls, pagination, example-by, streams, media and the
request log. Hosts only translate: ``asgi.py`` turns ASGI messages into ``Request`` values and
``Response`` values back (``server.py`` serves it with uvicorn). Nothing here imports a web framework.

Order of checks (as Prism, then state): route 404 -> method 405 -> size 413 -> rate limit 429 ->
auth 401 -> content type 415 -> body 400/413 -> validation 4xx -> cost -> job lookup 404 -> answer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape as xml_escape

from ..pointers import lookup, replace
from ..proven import add_events, summarize
from . import media
from .compile import SSE, CompiledApi, Declared, Reply, Route, header_value, load_apis
from .samples import reply_body, sample
from .settings import DEFAULT_KEY, MockSettings
from .state import State, retry_after
from .validation import BadRequest, check_params, match_body, parse_body, reply_problems, type_matches

CONTROL = "/__mock__/"
_JSON = "application/json"


@dataclass(frozen=True)
class Request:
    """One HTTP request as the mock sees it: no socket, no framework, the body already read."""

    method: str
    path: str
    """The URL path, percent-decoded (ASGI's ``path``)."""
    query: str = ""
    """The raw query string, without the ``?``."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in any case; one value per name."""
    body: bytes = b""
    """The body as received; a host that stops reading a body over ``MockSettings.max_body`` passes
    what it read (more than the limit), and the mock answers 413."""
    api: str | None = None
    """The API asked (a host serving one port per API knows it from the port); None: the first."""
    client: str | None = None
    """The caller's address: rate limits count requests without ``Authorization`` by it."""


@dataclass
class Response:
    """One answer: ``body`` is bytes, or for an SSE stream an async iterator of chunks that waits
    ``MockSettings.stream_interval`` between events (closing it early stops the stream)."""

    status: int
    headers: list[tuple[str, str]]
    """Lower-case names, in the order to send; no ``content-length`` (the host frames the body),
    except for an answer to ``HEAD``, which carries the length of the body it leaves out."""
    body: bytes | AsyncIterator[bytes] = b""
    reply_errors: list[str] = field(default_factory=list)
    """What in this answer the spec does not declare for its status (a mock bug, or a spec whose
    example contradicts its schema); [] when it matches or the status is not declared."""

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (any case), or None."""
        name = name.lower()
        return next((v for k, v in reversed(self.headers) if k == name), None)

    @property
    def streaming(self) -> bool:
        return not isinstance(self.body, bytes)

    def json(self) -> Any:
        if not isinstance(self.body, bytes):
            raise TypeError("a streamed body has no JSON value")
        return json.loads(self.body)


class Answer(Exception):
    """Raised inside a handler to answer at once (an error, usually)."""

    def __init__(self, response: Response, errors: list[dict[str, str]] | None = None):
        self.response, self.errors = response, errors


def log_entry(api: str, request: Request) -> dict[str, Any]:
    """A request log entry before the answer is known (the mock's and the proxy's log alike)."""
    return {
        "time": time.time(),
        "api": api,
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "operation": None,
        "status": 0,
        "errors": [],
        "body": None,
        "reply_errors": [],
    }


class Responder:
    """Every API of a spec directory behind one ``respond`` function, with its state (jobs, token
    balances, rate-limit windows, the request log) in ``state``.

    Until ``use_origins`` says where it is served, each API's origin is ``http://<name>.test``: media
    URLs in answers point there. ``sleep`` is what a stream awaits between events (tests pass their
    own to see the delays without waiting for them).
    """

    def __init__(
        self,
        apis: list[CompiledApi],
        settings: MockSettings | None = None,
        keys: list[str] | None = None,
        state: State | None = None,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.apis = {a.name: a for a in apis}
        self.settings = settings if settings is not None else MockSettings()
        self.keys = set(keys) if keys else {DEFAULT_KEY}
        self.state = state if state is not None else State()
        self.state.configure(self.settings.log_size, self.settings.max_jobs, self.settings.log_body_limit)
        self.sleep = sleep
        self.origins: dict[str, str] = {name: f"http://{name}.test" for name in self.apis}
        # canned bodies with their media URLs on the API's origin, made once per reply and origin
        self._canned: dict[int, tuple[Reply, Any, bytes | None]] = {}
        self._checked: dict[int, tuple[Reply, list[str]]] = {}
        self._shapes: dict[tuple[int, str], tuple[Any, Any, list[tuple[str, str]]]] = {}
        self._sequences: dict[int, tuple[Route, dict[str, Any]]] = {}

    @classmethod
    def load(
        cls,
        spec_dir: Path,
        settings: MockSettings | None = None,
        keys: list[str] | None = None,
        state: State | None = None,
        **options: Any,
    ) -> Responder:
        """A responder for every OpenAPI document of ``spec_dir``."""
        return cls(load_apis(Path(spec_dir)), settings, keys, state, **options)

    def use_origins(self, origins: Mapping[str, str]) -> None:
        """Answer as served at ``origins`` (API name -> ``http://host:port``): media URLs in bodies and
        streams point there, and ``GET /__mock__/apis`` lists them."""
        self.origins.update(origins)
        self._canned.clear()
        self._checked.clear()
        self._sequences.clear()

    # the function ---------------------------------------------------------------------------------
    def respond(self, request: Request) -> Response:
        """The mock's answer to ``request``; every request but the control paths' is logged (before
        the answer is returned, so a client that exits right after it finds it in the log)."""
        api = self.api_for(request)
        if request.path.startswith(CONTROL):
            return self.control(request)
        entry = log_entry(api.name, request)
        try:
            response = self.handle(api, request, entry)
        except Answer as a:
            entry["errors"] = a.errors or entry["errors"]
            response = a.response
        except Exception as exc:
            # one line where tests and examples would show it; the trace stays in the request log
            where = f"{request.method} {request.path}"
            print(f"snippetgen mock: internal error on {where}: {type(exc).__name__}: {exc}", file=sys.stderr)
            entry["internal"] = traceback.format_exc()
            response = self.error(api, 500, "internal error of the mock server (see its log)").response
        entry["status"] = response.status
        entry["reply_errors"] = response.reply_errors
        entry["response"] = _summary(response)
        if request.method == "HEAD":
            response = _headless(response)
        self.state.record(entry)
        return response

    __call__ = respond

    def api_for(self, request: Request) -> CompiledApi:
        if request.api is None:
            return next(iter(self.apis.values()))
        api = self.apis.get(request.api)
        if api is None:
            raise ValueError(f"no API named {request.api!r}; the mock has {', '.join(self.apis)}")
        return api

    @property
    def skipped(self) -> list[str]:
        """What the mock does not serve or check, over every API: ``path:line: reason`` each."""
        return [str(skip) for api in self.apis.values() for skip in api.skipped]

    def handle(self, api: CompiledApi, request: Request, entry: dict[str, Any]) -> Response:
        method, path = request.method, request.path
        headers = {k.lower(): v for k, v in request.headers.items()}
        if api.refused is not None:
            entry["skipped"] = api.refused
            raise self.error(api, 501, f"the mock does not serve {api.name}: {api.refused}")
        hit = api.match(path)
        query = parse_qsl(request.query, keep_blank_values=True)
        routes = (hit[0].get(method) or (hit[0].get("GET") if method == "HEAD" else None)) if hit else None
        ext = media.extension(path) if method in ("GET", "HEAD") else None
        if ext and (routes is None or all("{" in r.path for r in routes)):
            entry["media"] = True  # a result file served by the mock itself, not an API operation
            return _response(200, media.data(ext), media.TYPES[ext])
        extra = self.rate_limit(api, headers, request.client)
        if hit is None:
            raise self.error(api, 404, f"no operation of {api.name} matches {method} {path}", extra)
        methods, path_params = hit
        if routes is None:
            allow = ", ".join(sorted(methods))
            raise self.error(
                api, 405, f"{method} is not allowed on {path}; allowed: {allow}", [*extra, ("allow", allow)]
            )
        op = next((r for r in routes if all(pair in query for pair in r.query)), None)
        if op is None:
            wanted = " or ".join(f"?{'&'.join(f'{k}={v}' for k, v in r.query)}" for r in routes)
            raise self.error(
                api, 404, f"no operation of {api.name} matches {method} {path} without {wanted}", extra
            )
        entry["operation"] = op.key
        if op.skipped is not None:
            entry["skipped"] = op.skipped
            raise self.error(api, 501, f"the mock does not serve {op.key}: {op.skipped}", extra)
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.settings.max_body:
            raise self.error(
                api,
                413,
                f"the body of {length} bytes is over the limit of {self.settings.max_body}",
                extra,
                op=op,
            )
        if extra and extra[-1][0] == "retry-after":
            status = api.rate.get("status", 429)
            raise self.error(
                api, status, "rate limit exceeded; retry after the Retry-After delay", extra, op=op
            )
        key = self.authenticate(op, headers, request.query)
        if key is None:
            raise self.error(
                api,
                401,
                "missing or invalid API key (send Authorization: Bearer <key>)",
                [*extra, ("www-authenticate", "Bearer")],
                op=op,
            )
        found = check_params(op, path_params, query, headers)
        body_value: Any = None
        ctype = headers.get("content-type", "")
        raw = request.body
        has_body = bool(raw) or bool(length and length != "0") or "transfer-encoding" in headers
        if op.bodies and (has_body or ctype):
            body_type = match_body(op, ctype) if ctype else None
            if body_type is None:
                supported = ", ".join(op.bodies)
                raise self.error(
                    api,
                    415,
                    f"content type {ctype or '(none)'!r} is not supported; send one of: {supported}",
                    extra,
                    op=op,
                )
            if len(raw) > self.settings.max_body:
                raise self.error(
                    api, 413, f"the body is over the limit of {self.settings.max_body} bytes", extra, op=op
                )
            if raw or op.body_required:
                try:
                    body_value, entry["body"], more = parse_body(body_type, ctype, raw)
                except BadRequest as exc:
                    raise self.error(api, 400, str(exc), extra, op=op) from None
                found += more
                entry["body"] = self.state.loggable(entry["body"])
        elif op.body_required:
            found.append({"location": "body", "message": "a request body is required"})
        if found:
            entry["errors"] = found
            # a file over its limit is the spec's 413, a file of another type its 415 (when declared)
            own = [v["status"] for v in found if "status" in v and str(v["status"]) in op.declared]
            status = 413 if 413 in own else own[0] if own else op.validation_status
            raise self.error(api, status, sentence(found), extra, found, op=op)
        return self.answer(api, op, key, path_params, query, headers, body_value, extra, method == "HEAD")

    def answer(
        self,
        api: CompiledApi,
        op: Route,
        key: str,
        path_params: dict[str, str],
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: Any,
        extra: list[tuple[str, str]],
        head: bool = False,
    ) -> Response:
        """The success answer (``head``: a ``HEAD`` that changes nothing: no charge, no poll step)."""
        x = op.x
        reply = self.negotiate(op, headers, body)
        if op.success_by and isinstance(body, dict):
            reply = op.success_by.get(str(body.get(x["example-by"]["by"])), reply)
        changes: list[tuple[str, Any]] = []
        optional: list[tuple[str, Any]] = []  # dropped when the answer would no longer match the spec
        accounts = api.accounts
        cost = x.get("cost") or ({"value": accounts["cost"]} if "cost" in accounts else None)
        if cost and accounts and not head:
            price = price_of(cost, body)
            start = self.settings.balance if self.settings.balance is not None else float(accounts["balance"])
            left = self.state.charge(api.name, key, start, price)
            if left is None:
                balance = self.state.balances.get((api.name, key), 0)
                raise self.error(
                    api,
                    cost.get("status", accounts.get("status", 402)),
                    f"insufficient tokens: the call costs {_num(price)}, the balance is {_num(balance)}",
                    extra,
                    op=op,
                )
            report = cost.get("report") or accounts.get("report")
            if report and lookup(self.canned(api, reply)[0], report) is not None:
                changes.append((report, _num(left)))
        poll = x.get("job-poll")
        if poll:
            where, _, name = poll["id"].partition(":")
            job_id = (
                path_params.get(name)
                if where == "path"
                else headers.get(name.lower())
                if where == "header"
                else next((v for k, v in query if k == name), None)
            )
            phase = (
                None
                if job_id is None
                else self.state.poll(
                    api.name,
                    job_id,
                    poll["of"],
                    len(poll["phases"]),
                    self.settings.polls_per_phase,
                    self.settings.phase_seconds,
                    advance=not head,
                )
            )
            if phase is None:
                raise self.error(api, 404, f"no job with id {job_id!r}", extra, op=op)
            step = poll["phases"][phase]
            reply = op.replies[(step["status"], step.get("example"))]
            target = poll.get("echo") or _echo_target(self.canned(api, reply)[0])
            if target:
                changes.append((target, job_id))
            own = media.distinct(self.canned(api, reply)[0], _segment(job_id))
            if own != self.canned(api, reply)[0]:  # each job has its own result URL
                changes.insert(0, ("", own))
        value, encoded = self.canned(api, reply)
        count = x.get("count")
        if count:
            items = count_items(count, body, query, op.request_schema, value)
            if items is not None:
                changes.append((count["at"], items))
        if x.get("paginate"):
            changes += paginate(x["paginate"], query, headers, value)
        create = x.get("job-create")
        if create:
            current = lookup(value, create["id"])
            kind = (
                "integer"
                if isinstance(current, int) and not isinstance(current, bool)
                else (
                    "uuid"
                    if isinstance(current, str) and len(current) == 36 and current.count("-") == 4
                    else "hex"
                )
            )
            changes.append((create["id"], self.state.new_job(api.name, op.op_id, kind)))
        if (
            isinstance(body, dict)
            and isinstance(body.get("model"), str)
            and isinstance(value, dict)
            and isinstance(value.get("model"), str)
        ):
            optional.append(("/model", body["model"]))
        sent = {h for h, _ in extra}
        hdrs = [*((k.lower(), str(v)) for k, v in reply.headers.items() if k.lower() not in sent), *extra]
        declared = op.declared_for(reply.status) if op.declared else None
        if "stream" in x:
            return self.stream(api, op, body, hdrs, declared)
        if reply.events is not None:
            events = [media.rewrite(e, self.origins[api.name]) for e in reply.events]
            problems = reply_problems(declared, reply.status, SSE, None, dict(hdrs), events)
            return self.events_response(reply.status, events, hdrs, problems)
        if changes or optional:
            for pointer, new in changes:
                value = replace(value, pointer, new)
            if optional and _is_json(reply.content_type):
                tried = value
                for pointer, new in optional:
                    tried = replace(tried, pointer, new)
                if not reply_problems(
                    declared, reply.status, reply.content_type, tried, {}, check_headers=False
                ):
                    value = tried
            problems = reply_problems(declared, reply.status, reply.content_type, value, dict(hdrs))
            if _is_json(reply.content_type):
                return _response(reply.status, json.dumps(value).encode(), reply.content_type, hdrs, problems)
        else:
            problems = self.body_problems(api, reply, declared) + reply_problems(
                declared, reply.status, reply.content_type, None, dict(hdrs), check_body=False
            )
        content = encoded if encoded is not None else self.encode(reply.content_type, value, op, body)
        return _response(reply.status, content, reply.content_type, hdrs, problems)

    def negotiate(self, op: Route, headers: dict[str, str], body: Any) -> Reply:
        """The success reply for what the request asks: a declared ``text/event-stream`` when it
        accepts one (or sends ``"stream": true``), else the first declared type it accepts."""
        if not op.alternatives:
            return op.success
        accept = headers.get("accept", "").lower()
        if SSE in op.alternatives and (
            SSE in accept or (isinstance(body, dict) and body.get("stream") is True)
        ):
            return op.alternatives[SSE]
        wanted = [part.split(";")[0].strip() for part in accept.split(",") if part.strip()]
        if not wanted or op.x.get("example") or op.success.content_type is None:
            return op.success
        current = op.success.content_type.split(";")[0].strip().lower()
        for kind in wanted:
            if type_matches(current, kind):
                return op.success
            hit = next((r for m, r in op.alternatives.items() if m != SSE and type_matches(m, kind)), None)
            if hit is not None:
                return hit
        return op.success

    def stream(
        self,
        api: CompiledApi,
        op: Route,
        body: Any,
        headers: list[tuple[str, str]],
        declared: Declared | None,
    ) -> Response:
        """``x-mock.stream``: the sequence the body's ``by`` field picks (else the default, else the
        first), one ``data:`` event per item."""
        spec = op.x["stream"]
        sequences = self.sequences(api, op)
        chosen = body.get(spec["by"]) if spec.get("by") and isinstance(body, dict) else None
        events = sequences.get(chosen) if isinstance(chosen, str) else None
        if events is None:
            events = sequences.get(spec.get("default")) or next(iter(sequences.values()))
        problems = reply_problems(declared, op.success.status, SSE, None, dict(headers), events)
        return self.events_response(op.success.status, events, headers, problems)

    def events_response(
        self, status: int, events: list[Any], headers: list[tuple[str, str]], problems: list[str]
    ) -> Response:
        return Response(
            status,
            [("content-type", SSE), ("cache-control", "no-cache"), *headers],
            self.events(events),
            problems,
        )

    async def events(self, events: list[Any]) -> AsyncIterator[bytes]:
        """The chunks of one stream; ``state.streams`` counts it from its first chunk until it ends
        or is closed."""
        self.state.streams += 1
        try:
            for i, event in enumerate(events):
                if i and self.settings.stream_interval > 0:
                    await self.sleep(self.settings.stream_interval)
                yield b"data: " + json.dumps(event).encode() + b"\n\n"
        finally:
            self.state.streams -= 1

    def encode(self, content_type: str | None, body: Any, op: Route, request_body: Any) -> bytes:
        """A canned body as sent: JSON, text, or real bytes for a binary media type (a sample file
        of the declared type; for ``application/octet-stream`` the one a ``*format`` field of the
        request names, e.g. ``response_format: mp3``)."""
        if content_type is None:
            return b""
        base = content_type.split(";")[0].strip().lower()
        if _is_json(content_type) or base.startswith("text/") or base.endswith("xml"):
            return _encode(content_type, body)
        file = media.for_content_type(base)
        if file is not None:
            return file[0]
        if isinstance(body, (bytes, bytearray)):
            return bytes(body)
        ext = _format_hint(request_body, op.request_schema)
        if ext is not None:
            return media.data(ext)
        if isinstance(body, str) and body:
            return body.encode()
        return BINARY

    # pieces ---------------------------------------------------------------------------------------
    def canned(self, api: CompiledApi, reply: Reply) -> tuple[Any, bytes | None]:
        """A reply's body with its media URLs on the API's origin, and its JSON bytes when it is JSON."""
        hit = self._canned.get(id(reply))
        if hit is None or hit[0] is not reply:
            body = media.rewrite(reply.body, self.origins[api.name])
            encoded = json.dumps(body).encode() if _is_json(reply.content_type) else None
            hit = self._canned[id(reply)] = (reply, body, encoded)
        return hit[1], hit[2]

    def body_problems(self, api: CompiledApi, reply: Reply, declared: Declared | None) -> list[str]:
        """The canned reply's body against its declared response, checked once per reply and origin."""
        hit = self._checked.get(id(reply))
        if hit is None or hit[0] is not reply:
            value = self.canned(api, reply)[0]
            found = reply_problems(declared, reply.status, reply.content_type, value, {}, check_headers=False)
            hit = self._checked[id(reply)] = (reply, found)
        return list(hit[1])

    def sequences(self, api: CompiledApi, op: Route) -> dict[str, Any]:
        """An operation's stream sequences with their media URLs on the API's origin."""
        hit = self._sequences.get(id(op))
        if hit is None or hit[0] is not op:
            origin = self.origins[api.name]
            rewritten = {k: media.rewrite(v, origin) for k, v in op.x["stream"]["sequences"].items()}
            hit = self._sequences[id(op)] = (op, rewritten)
        return hit[1]

    def rate_limit(
        self, api: CompiledApi, headers: dict[str, str], client: str | None
    ) -> list[tuple[str, str]]:
        """Count the request; the rate-limit headers to send, ending with Retry-After when over."""
        s = self.settings
        if s.rate_limit is not None:
            limit, window = s.rate_limit, s.rate_window or 1.0
        elif api.rate:
            limit, window = api.rate["limit"], s.rate_window or float(api.rate["window"])
        else:
            return []
        who = headers.get("authorization") or client or "anonymous"
        allowed, remaining, reset = self.state.hit(api.name, who, limit, window)
        names = (api.rate.get("headers") or {}) if api.rate else {}
        out = []
        if names.get("limit"):
            out.append((names["limit"].lower(), str(limit)))
        if names.get("remaining"):
            out.append((names["remaining"].lower(), str(remaining)))
        if names.get("reset"):
            value = (
                retry_after(reset)
                if api.rate.get("reset") == "seconds"
                else str(int(time.time() + reset + 0.999))
            )
            out.append((names["reset"].lower(), value))
        if not allowed:
            out.append(("retry-after", retry_after(reset)))
        return out

    def authenticate(self, op: Route, headers: dict[str, str], query: str) -> str | None:
        """The caller's key (or ``anonymous`` for an open operation); None when it must answer 401."""
        if op.security is None:
            return "anonymous"
        auth = headers.get("authorization", "")
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        for requirement in op.security:
            key = None
            for scheme in requirement:
                kind = scheme.get("type")
                if kind == "apiKey":
                    where, name = scheme.get("in"), str(scheme.get("name", ""))
                    if where == "header":
                        value = headers.get(name.lower())
                        if value and value[:7].lower() == "bearer ":
                            value = value[7:].strip()
                    elif where == "query":
                        value = next((v for k, v in parse_qsl(query) if k == name), None)
                    else:
                        value = _cookie(headers.get("cookie", ""), name)
                elif kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                    value = _basic(auth)
                else:  # http bearer, oauth2, openIdConnect
                    value = bearer
                if value not in self.keys:
                    key = None
                    break
                key = value
            if key is not None:
                return key
        return None

    def error_body(
        self,
        api: CompiledApi,
        status: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        op: Route | None = None,
    ) -> tuple[bytes, str | None, list[str]]:
        """An error answer's body, content type and what in it the spec does not declare.

        The API's ``x-mock.error`` shape when it matches what the operation declares for ``status``;
        else the declared response's own shape (its example or a value built from its schema, with
        the message written into its message field: ``message``, ``detail``, ``error``...); else
        (nothing declared) RFC 7807 problem+json. A declared response without content: no body.
        """
        declared = op.declared_for(status) if op is not None and op.declared else None
        body: Any
        if api.error:
            body = fill(api.error["body"], message, status)
            ctype = api.error.get("content-type", _JSON)
            found = reply_problems(declared, status, ctype, body, {}, check_headers=False)
            if not found:
                return json.dumps(body).encode(), ctype, found
        if declared is not None and op is not None and declared.json:
            value, ctype = self.error_shape(op, declared, status, message)
            found = reply_problems(declared, status, ctype, value, {}, check_headers=False)
            return json.dumps(value).encode(), ctype, found
        if declared is not None and declared.media and not api.error:
            text = next((m for m in declared.media if m.startswith("text/")), None)
            if text is not None:
                return message.encode(), text, []
        if api.error:  # the spec declares no JSON body for this status: the API's own shape
            return json.dumps(body).encode(), ctype, found
        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            title = "Error"
        problem: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": message}
        if errors:
            problem["errors"] = [{k: v for k, v in e.items() if k != "status"} for e in errors]
        ctype = "application/problem+json"
        found = reply_problems(declared, status, ctype, problem, {}, check_headers=False)
        return json.dumps(problem).encode(), ctype, found

    def error_shape(self, op: Route, declared: Declared, status: int, message: str) -> tuple[Any, str]:
        """A declared error response's body carrying ``message`` (and ``status`` where it has a
        status field) when the result still matches its schema."""
        media_type = next(iter(declared.json))
        key = (id(declared), media_type)
        hit = self._shapes.get(key)
        if hit is None or hit[0] is not declared:
            mt = declared.json[media_type]
            validator = declared.media.get(media_type)
            base = reply_body(mt, None)
            if validator is not None and not validator.is_valid(base):
                built = sample(mt.get("schema") or {})
                base = built if validator.is_valid(built) else base
            hit = self._shapes[key] = (declared, base, _message_fields(base))
        _, base, fields = hit
        validator = declared.media.get(media_type)
        for subset in (fields, [f for f in fields if f[1] == "message"]):
            if not subset:
                continue
            value = base
            for pointer, what in subset:
                value = replace(value, pointer, message if what == "message" else status)
            if validator is None or validator.is_valid(value):
                return value, media_type
        return base, media_type

    def error(
        self,
        api: CompiledApi,
        status: int,
        message: str,
        headers: Sequence[tuple[str, str]] = (),
        errors: list[dict[str, Any]] | None = None,
        *,
        op: Route | None = None,
    ) -> Answer:
        body, ctype, found = self.error_body(api, status, message, errors, op)
        declared = op.declared_for(status) if op is not None and op.declared else None
        sent = {k.lower() for k, _ in headers}
        more = list(headers)
        if declared is not None:
            more += [
                (h.name.lower(), _header_sample(h)) for n, h in declared.headers.items() if n not in sent
            ]
            found += reply_problems(declared, status, ctype, None, dict(more), check_body=False)
        return Answer(_response(status, body, ctype, more, found), errors)

    def control(self, request: Request) -> Response:
        """``/__mock__/requests`` (GET the log, ``?api=`` filters; DELETE clears), ``/__mock__/reset``
        (POST: forget jobs, balances and rate-limit windows), ``/__mock__/apis`` (GET origins)."""
        path, method = request.path, request.method
        if path == CONTROL + "requests" and method == "GET":
            wanted = dict(parse_qsl(request.query)).get("api")
            return _response(200, json.dumps(self.state.entries(wanted), default=str).encode(), _JSON)
        if path == CONTROL + "requests" and method == "DELETE":
            self.state.clear()
            return _response(204, b"", None)
        if path == CONTROL + "reset" and method == "POST":
            self.state.reset()
            return _response(204, b"", None)
        if path == CONTROL + "apis" and method == "GET":
            return _response(200, json.dumps(self.origins).encode(), _JSON)
        body = {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "mock control paths: GET|DELETE /__mock__/requests, POST /__mock__/reset, GET /__mock__/apis",
        }
        return _response(404, json.dumps(body).encode(), "application/problem+json")


def _response(
    status: int,
    body: bytes,
    content_type: str | None,
    headers: Sequence[tuple[str, str]] = (),
    problems: list[str] | None = None,
) -> Response:
    pairs = [("content-type", content_type)] if content_type else []
    return Response(status, [*pairs, *((k.lower(), str(v)) for k, v in headers)], body, problems or [])


def _summary(response: Response) -> dict[str, Any]:
    """The answer's body as the request log keeps it (:func:`snippetgen.proven.summarize`); a
    stream's ``data:`` lines are added to it as they are sent."""
    content_type = response.header("content-type") or ""
    if isinstance(response.body, bytes):
        return summarize(content_type, response.body)
    summary: dict[str, Any] = {"content_type": content_type.split(";")[0].strip().lower()}
    response.body = _tap(response.body, summary)
    return summary


async def _tap(body: AsyncIterator[bytes], summary: dict[str, Any]) -> AsyncIterator[bytes]:
    try:
        async for chunk in body:
            add_events(summary, chunk)
            yield chunk
    finally:
        close = getattr(body, "aclose", None)
        if close is not None:
            await close()


def _headless(response: Response) -> Response:
    """The answer to ``HEAD``: the same status and headers, the length of the body, no body."""
    if isinstance(response.body, bytes):
        length = [("content-length", str(len(response.body)))]
    else:
        length = []
    return Response(response.status, [*response.headers, *length], b"", response.reply_errors)


BINARY = bytes(range(256)) * 4
"""The answer of an ``application/octet-stream`` response with nothing to say which file it is."""


def _segment(job_id: Any) -> str:
    return "".join(c for c in str(job_id) if c.isalnum() or c in "-_")[:64] or "job"


def count_items(
    rule: dict[str, Any], body: Any, query: list[tuple[str, str]], schema: Any, value: Any
) -> list[Any] | None:
    """``x-mock.count``: the array at ``rule["at"]`` with as many items as the request's ``by``
    field asks (its schema default when absent), the canned items repeated, each with its own
    media URLs; None when the answer has no such array."""
    items = lookup(value, rule["at"])
    if not isinstance(items, list) or not items:
        return None
    name = rule["by"]
    if name.startswith("query:"):
        wanted: Any = next((v for k, v in query if k == name[6:]), None)
    else:
        wanted = body.get(name) if isinstance(body, dict) else None
        props = schema.get("properties") if isinstance(schema, dict) else None
        if wanted is None and isinstance(props, dict) and isinstance(props.get(name), dict):
            wanted = props[name].get("default")
    try:
        n = int(wanted) if wanted is not None else len(items)
    except (TypeError, ValueError):
        return None
    n = max(0, min(n, int(rule.get("max", 100))))
    return [
        items[i % len(items)] if i < len(items) else media.distinct(items[i % len(items)], str(i + 1))
        for i in range(n)
    ]


def _format_hint(body: Any, schema: Any) -> str | None:
    """The media extension a request names in a ``*format`` field (``response_format: mp3``), or
    the default of such a field in the request schema."""
    candidates: list[tuple[str, Any]] = []
    if isinstance(body, dict):
        candidates += list(body.items())
    props = schema.get("properties") if isinstance(schema, dict) else None
    if isinstance(props, dict):
        candidates += [(k, v.get("default")) for k, v in props.items() if isinstance(v, dict)]
    for name, value in candidates:
        if str(name).lower().endswith("format") and isinstance(value, str):
            ext = "." + value.lower().lstrip(".")
            if ext in media.TYPES:
                return ext
    return None


_MESSAGE_NAMES = (
    "message",
    "detail",
    "error_description",
    "error_message",
    "msg",
    "description",
    "title",
    "error",
)
_STATUS_NAMES = ("status", "code", "status_code", "http_status", "statusCode")


def _message_fields(value: Any) -> list[tuple[str, str]]:
    """Where an error body holds its message (the first string field by name) and its HTTP status
    (integer fields named like one), as (pointer, "message" | "status")."""
    found: list[tuple[str, str]] = []
    layer: list[tuple[str, Any]] = [("", value)]
    for _ in range(3):
        nxt: list[tuple[str, Any]] = []
        for pointer, node in layer:
            if not isinstance(node, dict):
                continue
            if not any(w == "message" for _, w in found):
                name = next((n for n in _MESSAGE_NAMES if isinstance(node.get(n), str)), None)
                if name is not None:
                    found.append((f"{pointer}/{name}", "message"))
            for n in _STATUS_NAMES:
                v = node.get(n)
                if isinstance(v, int) and not isinstance(v, bool):
                    found.append((f"{pointer}/{n}", "status"))
            nxt += [(f"{pointer}/{k}", v) for k, v in node.items() if isinstance(v, dict)]
        layer = nxt
    return found


def _header_sample(rule: Any) -> str:
    return header_value(rule.schema, rule.example)


def _is_json(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].endswith("json")


def _encode(content_type: str | None, body: Any) -> bytes:
    """A canned body as sent: JSON, XML, text, bytes, or a sample file for a binary media type."""
    if content_type is None:
        return b""
    if _is_json(content_type):
        return json.dumps(body).encode()
    base = content_type.split(";")[0].strip().lower()
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if base.endswith("xml") and not isinstance(body, str):
        return to_xml(body).encode()
    if base.startswith("text/") or base.endswith("xml") or base == "application/x-www-form-urlencoded":
        return ("" if body is None else str(body)).encode()
    file = media.for_content_type(base)
    if file is not None:
        return file[0]
    if isinstance(body, str):
        return body.encode()
    return b""


def to_xml(value: Any, name: str = "root") -> str:
    """A JSON value as XML: objects as elements per property, arrays as repeated elements."""
    tag = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "item"
    if tag[0].isdigit() or tag[0] in "-.":
        tag = "_" + tag
    if isinstance(value, dict):
        inner = "".join(to_xml(v, str(k)) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list):
        return f"<{tag}>" + "".join(to_xml(v, "item") for v in value) + f"</{tag}>"
    if value is None:
        return f"<{tag}/>"
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"<{tag}>{xml_escape(text)}</{tag}>"


def sentence(found: list[dict[str, str]]) -> str:
    head = "1 problem" if len(found) == 1 else f"{len(found)} problems"
    return f"{head}: " + "; ".join(f"{v['location']}: {v['message']}" for v in found)


def fill(template: Any, message: str, status: int) -> Any:
    if isinstance(template, str):
        if template == "{status}":
            return status
        return template.replace("{message}", message).replace("{status}", str(status))
    if isinstance(template, dict):
        return {k: fill(v, message, status) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, message, status) for v in template]
    return template


def price_of(cost: dict[str, Any], body: Any) -> float:
    values = cost.get("values") or {}
    if cost.get("by") and isinstance(body, dict):
        chosen = body.get(cost["by"])
        if isinstance(chosen, str) and chosen in values:
            return float(values[chosen])
    if "value" in cost:
        return float(cost["value"])
    return float(values.get("default", 0))


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _echo_target(body: Any) -> str | None:
    if isinstance(body, dict):
        for name in ("id", "generation_id", "job_id", "task_id"):
            if isinstance(body.get(name), str):
                return "/" + name
    return None


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


def _basic(auth: str) -> str | None:
    if auth[:6].lower() != "basic ":
        return None
    try:
        user, _, password = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return password or user


def paginate(
    rule: dict[str, Any], query: list[tuple[str, str]], headers: dict[str, str], body: Any
) -> list[tuple[str, Any]]:
    """``x-mock.paginate``: the page figures of a list answer follow the requested page and limit."""

    def read(source: str | None, fallback: int) -> int:
        if not source:
            return fallback
        where, _, name = source.partition(":")
        raw = (
            headers.get(name.lower()) if where == "header" else next((v for k, v in query if k == name), None)
        )
        try:
            return max(1, int(raw)) if raw is not None else fallback
        except ValueError:
            return fallback  # already rejected by validation when the parameter is typed

    report = rule["report"]
    page = read(rule["page"], 1)
    example_limit = lookup(body, report["limit"]) if "limit" in report else None
    limit = read(
        rule.get("limit"), example_limit if isinstance(example_limit, int) and example_limit > 0 else 20
    )
    total = int(rule["total"])
    pages = max(1, -(-total // limit))
    figures = {"page": page, "limit": limit, "total": total, "pages": pages, "has_more": page < pages}
    return [(pointer, figures[name]) for name, pointer in report.items()]
