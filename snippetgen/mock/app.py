"""The ASGI application: one instance serves every API, picked by the local port of the connection.

Order of checks (as Prism, then state): route 404 -> method 405 -> size 413 -> rate limit 429 ->
auth 401 -> content type 415 -> body 400/413 -> validation 4xx -> cost -> job lookup 404 -> answer.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import traceback
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from ..pointers import lookup, replace
from . import media
from .compile import CompiledApi as Api
from .compile import Reply
from .compile import Route as Operation
from .settings import MockSettings
from .state import State, retry_after
from .validation import BadRequest, check_params, match_body, parse_body

CONTROL = "/__mock__/"
_JSON = "application/json"


class Answer(Exception):
    """Raised inside a handler to answer at once (an error, usually)."""

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: list[tuple[str, str]] = (),
        errors: list[dict[str, str]] | None = None,
    ):
        self.status, self.body, self.content_type, self.headers, self.errors = (
            status,
            body,
            content_type,
            list(headers),
            errors,
        )


class TooLarge(Exception):
    pass


class MockApp:
    def __init__(self, apis: list[Api], settings: MockSettings, keys: list[str], state: State):
        self.apis = {a.name: a for a in apis}
        self.settings = settings
        self.keys = set(keys)
        self.state = state
        self.by_port: dict[int, Api] = {}
        self.origins: dict[str, str] = {}

    def bind(self, ports: dict[str, int], origins: dict[str, str]) -> None:
        """Attach each API to its port and rewrite its canned media URLs onto its origin."""
        self.by_port = {port: self.apis[name] for name, port in ports.items()}
        self.origins = dict(origins)
        for api in self.apis.values():
            origin = origins[api.name]
            for op in api.operations:
                for reply in [*op.replies.values(), op.success]:
                    reply.body = media.rewrite(reply.body, origin)
                    reply.encoded = _encode(reply) if _is_json(reply.content_type) else None
                stream = op.x.get("stream")
                if stream:
                    stream["sequences"] = {
                        k: media.rewrite(v, origin) for k, v in stream["sequences"].items()
                    }

    # ASGI ---------------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        api = self.by_port.get(scope["server"][1]) if scope.get("server") else None
        if api is None:
            api = next(iter(self.apis.values()))
        entry: dict[str, Any] = {
            "time": time.time(),
            "api": api.name,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "operation": None,
            "status": 0,
            "errors": [],
            "body": None,
        }
        started = False
        control = scope["path"].startswith(CONTROL)

        async def send_tracking(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                entry["status"] = message["status"]
                # Log before the client sees a byte: a client that exits right after the answer
                # (an example finishing) must find its request in the log already.
                if not control:
                    self.state.record(entry)
            await send(message)

        try:
            if scope["path"].startswith(CONTROL):
                await self.control(api, scope, receive, send)
                return
            await self.handle(api, scope, receive, send_tracking, entry)
        except Answer as a:
            entry["errors"] = a.errors or entry["errors"]
            await respond(send_tracking, a.status, a.body, a.content_type, a.headers)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            if not started:
                status, body, ctype = self.error_body(
                    api, 500, "internal error of the mock server (see its log)"
                )
                await respond(send_tracking, status, body, ctype, [])
        finally:
            if not control and not started:  # no answer was sent (client gone): still log it
                self.state.record(entry)

    async def handle(
        self, api: Api, scope: dict[str, Any], receive: Any, send: Any, entry: dict[str, Any]
    ) -> None:
        method, path = scope["method"], scope["path"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        hit = api.match(path)
        ext = media.extension(path) if method in ("GET", "HEAD") else None
        if ext and (hit is None or method not in hit[0] or "{" in hit[0][method].path):
            entry["media"] = True  # a result file served by the mock itself, not an API operation
            await respond(send, 200, media.data(ext), media.TYPES[ext], [])
            return
        extra = self.rate_limit(api, headers, scope)
        if hit is None:
            raise self.error(api, 404, f"no operation of {api.name} matches {method} {path}", extra)
        methods, path_params = hit
        op = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
        if op is None:
            allow = ", ".join(sorted(methods))
            raise self.error(
                api, 405, f"{method} is not allowed on {path}; allowed: {allow}", [*extra, ("allow", allow)]
            )
        entry["operation"] = op.key
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.settings.max_body:
            raise self.error(
                api, 413, f"the body of {length} bytes is over the limit of {self.settings.max_body}", extra
            )
        if extra and extra[-1][0] == "retry-after":
            status = api.rate.get("status", 429)
            raise self.error(api, status, "rate limit exceeded; retry after the Retry-After delay", extra)
        key = self.authenticate(op, headers, scope)
        if key is None:
            raise self.error(
                api,
                401,
                "missing or invalid API key (send Authorization: Bearer <key>)",
                [*extra, ("www-authenticate", "Bearer")],
            )
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        found = check_params(op, path_params, query, headers)
        body_value: Any = None
        ctype = headers.get("content-type", "")
        has_body = bool(length and length != "0") or "transfer-encoding" in headers
        if op.bodies and (has_body or ctype):
            body_type = match_body(op, ctype) if ctype else None
            if body_type is None:
                supported = ", ".join(op.bodies)
                raise self.error(
                    api,
                    415,
                    f"content type {ctype or '(none)'!r} is not supported; send one of: {supported}",
                    extra,
                )
            try:
                raw = await read_body(receive, self.settings.max_body)
            except TooLarge:
                raise self.error(
                    api, 413, f"the body is over the limit of {self.settings.max_body} bytes", extra
                ) from None
            if raw or op.body_required:
                try:
                    body_value, entry["body"], more = await parse_body(body_type, ctype, raw)
                except BadRequest as exc:
                    raise self.error(api, 400, str(exc), extra) from None
                found += more
        elif op.body_required:
            found.append({"location": "body", "message": "a request body is required"})
        if found:
            entry["errors"] = found
            raise self.error(api, op.validation_status, sentence(found), extra, found)
        await self.answer(api, op, scope, receive, send, key, path_params, query, headers, body_value, extra)

    async def answer(
        self,
        api: Api,
        op: Operation,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        key: str,
        path_params: dict[str, str],
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: Any,
        extra: list[tuple[str, str]],
    ) -> None:
        x = op.x
        reply = op.success
        if op.success_by and isinstance(body, dict):
            reply = op.success_by.get(str(body.get(x["example-by"]["by"])), reply)
        changes: list[tuple[str, Any]] = []
        accounts = api.accounts
        cost = x.get("cost") or ({"value": accounts["cost"]} if "cost" in accounts else None)
        if cost and accounts:
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
                )
            report = cost.get("report") or accounts.get("report")
            if report and lookup(reply.body, report) is not None:
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
                )
            )
            if phase is None:
                raise self.error(api, 404, f"no job with id {job_id!r}", extra)
            step = poll["phases"][phase]
            reply = op.replies[(step["status"], step.get("example"))]
            target = poll.get("echo") or _echo_target(reply.body)
            if target:
                changes.append((target, job_id))
        if x.get("paginate"):
            changes += paginate(x["paginate"], query, headers, reply.body)
        create = x.get("job-create")
        if create:
            current = lookup(reply.body, create["id"])
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
            and isinstance(reply.body, dict)
            and isinstance(reply.body.get("model"), str)
        ):
            changes.append(("/model", body["model"]))
        hdrs = [*((k, v) for k, v in reply.headers.items() if k.lower() not in {h for h, _ in extra}), *extra]
        if "stream" in x:
            await self.stream(api, op, receive, send, body, hdrs)
            return
        if changes:
            value = reply.body
            for pointer, new in changes:
                value = replace(value, pointer, new)
            await respond(send, reply.status, json.dumps(value).encode(), reply.content_type, hdrs)
            return
        content = reply.encoded if reply.encoded is not None else _encode(reply)
        await respond(send, reply.status, content, reply.content_type, hdrs)

    async def stream(
        self, api: Api, op: Operation, receive: Any, send: Any, body: Any, headers: list[tuple[str, str]]
    ) -> None:
        spec = op.x["stream"]
        sequences = spec["sequences"]
        chosen = body.get(spec["by"]) if spec.get("by") and isinstance(body, dict) else None
        events = sequences.get(chosen) if isinstance(chosen, str) else None
        if events is None:
            events = sequences.get(spec.get("default")) or next(iter(sequences.values()))
        await send(
            {
                "type": "http.response.start",
                "status": op.success.status,
                "headers": _headers(
                    [("content-type", "text/event-stream"), ("cache-control", "no-cache"), *headers]
                ),
            }
        )
        self.state.streams += 1
        disconnect = asyncio.ensure_future(wait_disconnect(receive))
        try:
            for i, event in enumerate(events):
                if i and self.settings.stream_interval > 0:
                    await asyncio.wait([disconnect], timeout=self.settings.stream_interval)
                if disconnect.done():
                    return
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"data: " + json.dumps(event).encode() + b"\n\n",
                        "more_body": True,
                    }
                )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.state.streams -= 1
            disconnect.cancel()

    # pieces ---------------------------------------------------------------------------------------
    def rate_limit(self, api: Api, headers: dict[str, str], scope: dict[str, Any]) -> list[tuple[str, str]]:
        """Count the request; the rate-limit headers to send, ending with Retry-After when over."""
        s = self.settings
        if s.rate_limit is not None:
            limit, window = s.rate_limit, s.rate_window or 1.0
        elif api.rate:
            limit, window = api.rate["limit"], s.rate_window or float(api.rate["window"])
        else:
            return []
        who = headers.get("authorization") or (scope.get("client") or ("anonymous",))[0]
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

    def authenticate(self, op: Operation, headers: dict[str, str], scope: dict[str, Any]) -> str | None:
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
                        value = next(
                            (v for k, v in parse_qsl(scope["query_string"].decode("latin-1")) if k == name),
                            None,
                        )
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
        self, api: Api, status: int, message: str, errors: list[dict[str, str]] | None = None
    ) -> tuple[int, bytes, str]:
        if api.error:
            body = fill(api.error["body"], message, status)
            return status, json.dumps(body).encode(), api.error.get("content-type", _JSON)
        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            title = "Error"
        problem: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": message}
        if errors:
            problem["errors"] = errors
        return status, json.dumps(problem).encode(), "application/problem+json"

    def error(
        self,
        api: Api,
        status: int,
        message: str,
        headers: list[tuple[str, str]] = (),
        errors: list[dict[str, str]] | None = None,
    ) -> Answer:
        status, body, ctype = self.error_body(api, status, message, errors)
        return Answer(status, body, ctype, headers, errors)

    async def control(self, api: Api, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """``/__mock__/requests`` (GET the log, ``?api=`` filters; DELETE clears), ``/__mock__/reset``
        (POST: forget jobs, balances and rate-limit windows), ``/__mock__/apis`` (GET origins)."""
        path, method = scope["path"], scope["method"]
        if path == CONTROL + "requests" and method == "GET":
            wanted = dict(parse_qsl(scope["query_string"].decode("latin-1"))).get("api")
            await respond(send, 200, json.dumps(self.state.entries(wanted), default=str).encode(), _JSON, [])
        elif path == CONTROL + "requests" and method == "DELETE":
            self.state.clear()
            await respond(send, 204, b"", None, [])
        elif path == CONTROL + "reset" and method == "POST":
            self.state.reset()
            await respond(send, 204, b"", None, [])
        elif path == CONTROL + "apis" and method == "GET":
            await respond(send, 200, json.dumps(self.origins).encode(), _JSON, [])
        else:
            body = {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "mock control paths: GET|DELETE /__mock__/requests, POST /__mock__/reset, GET /__mock__/apis",
            }
            await respond(send, 404, json.dumps(body).encode(), "application/problem+json", [])


async def wait_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def read_body(receive: Any, cap: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def respond(
    send: Any, status: int, body: bytes, content_type: str | None, headers: list[tuple[str, str]]
) -> None:
    pairs = [("content-length", str(len(body)))]
    if content_type:
        pairs.append(("content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": _headers([*pairs, *headers])})
    await send({"type": "http.response.body", "body": body})


def _headers(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), str(v).encode("latin-1", "replace")) for k, v in pairs]


def _is_json(content_type: str | None) -> bool:
    return bool(content_type) and (content_type.split(";")[0].endswith("json"))


def _encode(reply: Reply) -> bytes:
    if reply.content_type is None:
        return b""
    if _is_json(reply.content_type):
        return json.dumps(reply.body).encode()
    base = reply.content_type.split(";")[0].strip().lower()
    if isinstance(reply.body, (bytes, bytearray)):
        return bytes(reply.body)
    if base.startswith("text/") or base in ("application/xml", "application/x-www-form-urlencoded"):
        return ("" if reply.body is None else str(reply.body)).encode()
    file = media.for_content_type(base)
    if file is not None:
        return file[0]
    if isinstance(reply.body, str):
        return reply.body.encode()
    return b""


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
    import base64

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
