"""The validating proxy: ``Proxy.respond(Request) -> Response`` in front of the real APIs.

    proxy = Proxy.load(Path("shared/openapi"), {"aimlapi": "https://api.aimlapi.com"})
    answer = proxy.respond(Request("POST", "/v2/generate/video/kling/generation", api="aimlapi", ...))

Every request is checked against the spec with the mock's validators before it goes anywhere: one
that matches no operation, lacks the credentials the operation requires, or fails validation is not
forwarded (the proxy answers 400 naming the violation). Every answer of the API is checked against the
response the spec declares for its status, and what does not match is recorded in the request log
(``api_errors``) as one sentence: ``the API answered 200 with a body that the spec does not declare:
/data/0/url is missing``, ``the API answered 202, a status the spec does not declare ...``, ``the API
refused a request the spec accepts ...``.

Calls are serial with at least ``delay`` seconds between them; a 429 is retried after its
``Retry-After`` (bounded). URLs in the API's JSON answers that point at the API itself are rewritten to
the proxy, and file URLs on other hosts (a CDN) to ``/__live__/<scheme>/<host>/<path>`` on the proxy,
which fetches only URLs an answer named, never with the caller's credentials: an example in a sandbox
that reaches only the proxy can still download its result. The HTTP exchange itself is ``forward``
(``upstream.http_forward`` by default); nothing here imports a web framework.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import media
from .compile import SSE, CompiledApi, Route, load_apis
from .respond import Request, Response, _basic, _cookie, log_entry, sentence
from .state import State
from .upstream import http_forward
from .validation import BadRequest, Violation, check_params, match_body, parse_body, reply_problems

Forward = Callable[[str, str, list[tuple[str, str]], bytes], Response]
"""(method, absolute URL, headers, body) -> the API's answer; raises ``UpstreamError`` (or OSError)."""
LIVE = "/__live__/"
"""Path prefix under which the proxy fetches a file URL another host's answer named."""
PROXY_HEADER = "x-snippetgen-proxy"
CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")


class Proxy:
    """The validating proxy over every API of a spec directory; ``upstreams`` maps API name -> the
    origin of the real API (``https://api.aimlapi.com``)."""

    def __init__(
        self,
        apis: list[CompiledApi],
        upstreams: Mapping[str, str],
        forward: Forward | None = None,
        *,
        state: State | None = None,
        delay: float = 0.0,
        max_retries: int = 3,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        mask: Callable[[Any], Any] | None = None,
    ):
        self.apis = {a.name: a for a in apis}
        self.upstreams = {name: origin_of(url) for name, url in upstreams.items()}
        self.forward = forward if forward is not None else http_forward
        self.state = state if state is not None else State()
        self.delay = max(0.0, float(delay))
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.clock = clock
        self.mask = mask
        """Applied to every log entry before it is recorded (``Masker.mask_data``: keys as ``***``)."""
        self.origins: dict[str, str] = {name: f"http://{name}.test" for name in self.apis}
        self.calls: dict[str, int] = {}
        """API name -> requests sent to it (retries included)."""
        self.violations: dict[str, int] = {}
        """API name -> requests refused or answers that did not match the spec."""
        self.fetchable: set[str] = set()
        """File URLs on other hosts that an answer named (the only ones ``/__live__/`` fetches)."""
        self.on_call: Callable[[dict[str, Any]], Any] | None = None
        """Told every log entry once it is recorded (``snippetgen mock --proxy`` prints them)."""
        self._lock = threading.Lock()  # one call at a time: live runs are serial
        self._last: float | None = None

    @classmethod
    def load(
        cls, spec_dir: Path, upstreams: Mapping[str, str], forward: Forward | None = None, **kw: Any
    ) -> Proxy:
        return cls(load_apis(Path(spec_dir)), upstreams, forward, **kw)

    def use_origins(self, origins: Mapping[str, str]) -> None:
        """Where the proxy is served (API name -> ``http://host:port``): answers point there."""
        self.origins.update(origins)

    def requests(self) -> list[dict[str, Any]]:
        return self.state.entries()

    def summary(self) -> list[str]:
        """``aimlapi: 3 calls, 0 violations`` per API the proxy served."""
        names = sorted(set(self.calls) | set(self.violations))
        return [
            f"{name}: {_count(self.calls.get(name, 0), 'call')}, "
            f"{_count(self.violations.get(name, 0), 'violation')}"
            for name in names
        ]

    # the function ---------------------------------------------------------------------------------
    def respond(self, request: Request) -> Response:
        api = self.apis.get(request.api or "") if request.api else next(iter(self.apis.values()), None)
        if api is None:
            return _refusal(404, f"no API named {request.api!r} behind this proxy")
        entry = log_entry(api.name, request) | {"api_errors": [], "live": True}
        try:
            response = self._respond(api, request, entry)
        except Exception as exc:  # a bug of the proxy: one line in the log, never a hang
            entry["api_errors"].append(f"internal error of the proxy: {type(exc).__name__}: {exc}")
            response = _refusal(500, "internal error of the proxy (see its log)")
        entry["status"] = response.status
        if entry["errors"] or entry["api_errors"]:
            self.violations[api.name] = self.violations.get(api.name, 0) + 1
        if self.mask is not None:
            entry = self.mask(entry)
        self.state.record(entry)
        if self.on_call is not None:
            self.on_call(entry)
        return response

    def _respond(self, api: CompiledApi, request: Request, entry: dict[str, Any]) -> Response:
        if request.path.startswith(LIVE):
            entry["media"] = True
            return self._fetch_file(api, request, entry)
        upstream = self.upstreams.get(api.name)
        if upstream is None:
            entry["errors"] = [{"location": "proxy", "message": f"no upstream URL for {api.name}"}]
            return self._refused(entry, 502, f"no upstream URL is configured for {api.name}")
        headers = {k.lower(): v for k, v in request.headers.items()}
        hit = api.match(request.path)
        query = parse_qsl(request.query, keep_blank_values=True)
        method = request.method
        routes = (hit[0].get(method) or (hit[0].get("GET") if method == "HEAD" else None)) if hit else None
        op = next((r for r in routes or [] if all(pair in query for pair in r.query)), None)
        if op is None:
            if method in ("GET", "HEAD") and media.extension(request.path):
                entry["media"] = True  # a result file on the API's own host: not an operation
                return self._send(api, request, upstream + request.path, entry, None)
            entry["status"] = 404
            return self._refused(entry, 404, f"no operation of {api.name} matches {method} {request.path}")
        entry["operation"] = op.key
        found = self._violations(op, hit[1] if hit else {}, query, headers, request, entry)
        if found:
            entry["errors"] = found
            return self._refused(entry, 400, sentence(found))
        return self._send(api, request, upstream + request.path, entry, op)

    def _violations(
        self,
        op: Route,
        path_params: dict[str, str],
        query: list[tuple[str, str]],
        headers: dict[str, str],
        request: Request,
        entry: dict[str, Any],
    ) -> list[Violation]:
        found: list[Violation] = []
        if not has_credentials(op, headers, request.query):
            found.append(
                {"location": "credentials", "message": "the operation requires credentials; none sent"}
            )
        found += check_params(op, path_params, query, headers)
        ctype = headers.get("content-type", "")
        raw = request.body
        if op.bodies and (raw or ctype):
            body_type = match_body(op, ctype) if ctype else None
            if body_type is None:
                found.append(
                    {
                        "location": "content-type",
                        "message": f"{ctype or '(none)'!r} is not declared; the spec accepts {', '.join(op.bodies)}",
                    }
                )
            elif raw or op.body_required:
                try:
                    _, logged, more = parse_body(body_type, ctype, raw)
                except BadRequest as exc:
                    found.append({"location": "body", "message": str(exc)})
                else:
                    entry["body"] = self.state.loggable(logged)
                    found += more
        elif op.body_required:
            found.append({"location": "body", "message": "a request body is required"})
        return found

    # forwarding -----------------------------------------------------------------------------------
    def _send(
        self, api: CompiledApi, request: Request, url: str, entry: dict[str, Any], op: Route | None
    ) -> Response:
        full = url + (f"?{request.query}" if request.query else "")
        headers = list(request.headers.items())
        answer = self._exchange(api, request.method, full, headers, request.body, entry)
        if answer is None:
            return self._refused(entry, 502, entry["api_errors"][-1])
        if op is not None:
            entry["api_errors"] += self.check_answer(op, answer, head=request.method == "HEAD")
        elif answer.status >= 400:
            entry["api_errors"].append(f"the API answered {answer.status} to GET {request.path}")
        return self._rewritten(api, answer)

    def _exchange(
        self,
        api: CompiledApi,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        entry: dict[str, Any],
    ) -> Response | None:
        """The API's answer, with the pause between calls and bounded 429 retries; None (and an
        ``api_errors`` line) when it could not be reached."""
        with self._lock:
            retries = 0
            while True:
                if self._last is not None and self.delay:
                    wait = self._last + self.delay - self.clock()
                    if wait > 0:
                        self.sleep(wait)
                self.calls[api.name] = self.calls.get(api.name, 0) + 1
                try:
                    answer = self.forward(method, url, headers, body)
                except Exception as exc:  # UpstreamError, OSError: the API is unreachable
                    self._last = self.clock()
                    entry["api_errors"].append(f"the API could not be reached at {origin_of(url)}: {exc}")
                    return None
                self._last = self.clock()
                if answer.status != 429 or retries >= self.max_retries:
                    if answer.status == 429:
                        entry["api_errors"].append(
                            f"the API still answered 429 (rate limited) after {retries} retries"
                        )
                    entry["retries"] = retries
                    return answer
                retries += 1
                wait = retry_delay(answer.header("retry-after"), self.max_retry_after)
                self.sleep(wait)

    def check_answer(self, op: Route, answer: Response, *, head: bool = False) -> list[str]:
        """What in the API's answer the spec does not declare, one sentence each (``head``: the
        answer to a ``HEAD``, which has no body to check)."""
        status = answer.status
        declared = op.declared_for(status)
        if declared is None:
            codes = ", ".join(op.declared) or "none"
            out = [
                f"the API answered {status}, a status the spec does not declare for {op.key} (it declares {codes})"
            ]
        else:
            ctype = answer.header("content-type")
            value, events, unreadable = read_value(
                ctype, answer.body if isinstance(answer.body, bytes) else b""
            )
            if unreadable and not head:
                out = [f"the API answered {status} with {unreadable}"]
            else:
                problems = reply_problems(
                    declared, status, ctype, value, _header_map(answer), events, check_body=not head
                )
                out = [f"the API answered {status} with {_phrase(p)}" for p in problems]
        if 400 <= status and status != 429:
            excerpt = _excerpt(answer.body if isinstance(answer.body, bytes) else b"")
            if status in (401, 403):
                out.append(
                    f"the API refused the credentials ({status}): is the key in the environment valid? {excerpt}"
                )
            else:
                out.append(
                    f"the API answered {status} to a request the spec accepts (a new required parameter, "
                    f"a stricter value, or a removed operation?): {excerpt}"
                )
        return out

    def _fetch_file(self, api: CompiledApi, request: Request, entry: dict[str, Any]) -> Response:
        rest = request.path[len(LIVE) :]
        scheme, _, tail = rest.partition("/")
        host, _, path = tail.partition("/")
        url = f"{scheme}://{host}/{path}"
        if request.method not in ("GET", "HEAD") or url not in self.fetchable:
            entry["errors"] = [
                {"location": "proxy", "message": f"{url} was not named by an answer of the API (not fetched)"}
            ]
            return self._refused(entry, 403, f"{url} was not named by an answer of the API (not fetched)")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in CREDENTIAL_HEADERS]
        full = url + (f"?{request.query}" if request.query else "")
        answer = self._exchange(api, request.method, full, headers, b"", entry)
        if answer is None:
            return self._refused(entry, 502, entry["api_errors"][-1])
        if answer.status >= 400:
            entry["api_errors"].append(f"the file host answered {answer.status} to GET {url}")
        return Response(answer.status, answer.headers, answer.body)

    # rewriting ------------------------------------------------------------------------------------
    def _rewritten(self, api: CompiledApi, answer: Response) -> Response:
        """The answer with URLs on the API's origin pointed at the proxy and file URLs on other hosts
        at ``/__live__/`` (the sandboxed example reaches nothing else)."""
        own = self.origins.get(api.name, "")
        upstream = self.upstreams.get(api.name, "")
        headers = list(answer.headers)
        location = answer.header("location")
        if location:
            headers = [(k, self._url(v, upstream, own) if k == "location" else v) for k, v in headers]
        body = answer.body
        ctype = (answer.header("content-type") or "").split(";")[0].strip().lower()
        if isinstance(body, bytes) and (ctype == "application/json" or ctype.endswith("+json")):
            try:
                value = json.loads(body)
            except (ValueError, UnicodeDecodeError, RecursionError):
                return Response(answer.status, headers, body)
            new = self._urls(value, upstream, own)
            if new != value:
                body = json.dumps(new).encode()
        return Response(answer.status, headers, body)

    def _urls(self, value: Any, upstream: str, own: str) -> Any:
        if isinstance(value, str):
            return self._url(value, upstream, own)
        if isinstance(value, list):
            return [self._urls(v, upstream, own) for v in value]
        if isinstance(value, dict):
            return {k: self._urls(v, upstream, own) for k, v in value.items()}
        return value

    def _url(self, value: str, upstream: str, own: str) -> str:
        if not value.startswith(("http://", "https://")) or any(c in value for c in " \n\r\t"):
            return value
        if upstream and (value == upstream or value.startswith(upstream + "/")):
            return own + value[len(upstream) :]
        parts = urlsplit(value)
        if not parts.hostname or not media.extension(parts.path):
            return value  # only files are fetched through the proxy
        plain = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"
        self.fetchable.add(plain)
        query = f"?{parts.query}" if parts.query else ""
        return f"{own}{LIVE}{parts.scheme}/{parts.netloc}{parts.path or '/'}{query}"

    def _refused(self, entry: dict[str, Any], status: int, message: str) -> Response:
        entry["status"] = status
        return _refusal(status, message)


def _refusal(status: int, message: str) -> Response:
    body = json.dumps({"message": f"snippetgen proxy: {message}", "error": "not forwarded"}).encode()
    return Response(status, [("content-type", "application/json"), (PROXY_HEADER, "refused")], body)


def has_credentials(op: Route, headers: dict[str, str], query: str) -> bool:
    """Whether the request carries some value for every scheme of one security requirement (the
    proxy does not judge keys: the API does)."""
    if op.security is None or not op.security:
        return True
    auth = headers.get("authorization", "")
    for requirement in op.security:
        if not requirement:
            return True
        present = True
        for scheme in requirement:
            kind = scheme.get("type")
            if kind == "apiKey":
                where, name = scheme.get("in"), str(scheme.get("name", ""))
                if where == "header":
                    value = headers.get(name.lower())
                elif where == "query":
                    value = next((v for k, v in parse_qsl(query) if k == name), None)
                else:
                    value = _cookie(headers.get("cookie", ""), name)
            elif kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                value = _basic(auth)
            else:
                value = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            if not value:
                present = False
                break
        if present:
            return True
    return False


def read_value(content_type: str | None, body: bytes) -> tuple[Any, list[Any] | None, str]:
    """(value, events, why unreadable) of an answer's body for ``reply_problems``."""
    if content_type is None:
        return None, None, ""
    base = content_type.split(";")[0].strip().lower()
    if base == "application/json" or base.endswith("+json"):
        if not body:
            return None, None, "an empty body where the spec declares JSON"
        try:
            return json.loads(body), None, ""
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            return None, None, f"a body that is not JSON ({exc})"
    if base == SSE:
        events: list[Any] = []
        for line in body.decode("utf-8", "replace").splitlines():
            if line.startswith("data:"):
                data = line[5:].strip()
                if data == "[DONE]":
                    continue
                try:
                    events.append(json.loads(data))
                except ValueError:
                    events.append(data)
        return None, events, ""
    if base.startswith("text/"):
        return body.decode("utf-8", "replace"), None, ""
    return None, None, ""


def retry_delay(header: str | None, bound: float) -> float:
    """Seconds to wait after a 429: its ``Retry-After`` in seconds (an HTTP date counts as 1 s),
    at least 1 and at most ``bound``."""
    try:
        seconds = float(header) if header is not None else 1.0
    except ValueError:
        seconds = 1.0
    if seconds != seconds:  # NaN
        seconds = 1.0
    return min(max(seconds, 1.0), bound)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url.rstrip("/")


def _header_map(answer: Response) -> dict[str, str]:
    return {k.lower(): v for k, v in answer.headers}


def _phrase(problem: str) -> str:
    return problem.replace("a body the spec does not declare", "a body that the spec does not declare", 1)


def _excerpt(body: bytes, width: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")
    return text if len(text) <= width else text[:width] + " ..."


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
