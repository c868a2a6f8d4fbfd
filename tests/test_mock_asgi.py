"""The ASGI adapter with fake ASGI messages, no server: scope -> Request, Response -> messages, the body
read up to the limit only, a stream stopped and closed when its client disconnects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from snippetgen.mock.asgi import MockAsgi, read_body
from snippetgen.mock.respond import Request, Response


class Wire:
    """A fake ASGI connection: ``receive`` hands out ``incoming`` in order (then waits for
    ``gone``, answering ``http.disconnect`` once it is set); ``send`` records what the app sends."""

    def __init__(self, incoming: list[dict[str, Any]]):
        self.incoming = list(incoming)
        self.received = 0
        self.sent: list[dict[str, Any]] = []
        self.gone = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        self.received += 1
        if self.incoming:
            return self.incoming.pop(0)
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def scope(**extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/v2/a b",
        "query_string": b"x=1&y=%C3%A9",
        "headers": [(b"content-type", b"application/json"), (b"x-trace", b"t-1")],
        "server": ("127.0.0.1", 8081),
        "client": ("10.1.2.3", 50000),
        **extra,
    }


def test_scope_becomes_a_request_and_the_response_messages():
    seen: list[Request] = []

    def respond(request: Request) -> Response:
        seen.append(request)
        return Response(201, [("content-type", "application/json"), ("x-n", "1")], b'{"ok": true}')

    app = MockAsgi(respond, max_body=100, ports={8080: "alpha", 8081: "beta"})
    wire = Wire(
        [
            {"type": "http.request", "body": b'{"a": ', "more_body": True},
            {"type": "http.request", "body": b"1}", "more_body": False},
        ]
    )
    asyncio.run(app(scope(), wire.receive, wire.send))
    assert seen == [
        Request(
            "POST",
            "/v2/a b",
            "x=1&y=%C3%A9",
            {"content-type": "application/json", "x-trace": "t-1"},
            b'{"a": 1}',
            api="beta",
            client="10.1.2.3",
        )
    ]
    assert wire.sent == [
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-length", b"12"), (b"content-type", b"application/json"), (b"x-n", b"1")],
        },
        {"type": "http.response.body", "body": b'{"ok": true}'},
    ]


def test_an_unknown_port_leaves_the_api_to_the_responder():
    seen: list[Request] = []

    def respond(request: Request) -> Response:
        seen.append(request)
        return Response(204, [], b"")

    wire = Wire([{"type": "http.request", "body": b"", "more_body": False}])
    asyncio.run(MockAsgi(respond, 100, {8080: "alpha"})(scope(client=None), wire.receive, wire.send))
    assert (seen[0].api, seen[0].client) == (None, None)


def test_reading_stops_once_the_body_is_over_the_limit():
    chunk = {"type": "http.request", "body": b"x" * 500, "more_body": True}
    long = Wire([chunk] * 9 + [{**chunk, "more_body": False}])
    body = asyncio.run(read_body(long.receive, 1000))
    assert len(body) == 1500 and long.received == 3  # the mock answers 413 on what it got
    short = Wire([{"type": "http.request", "body": b"x" * 500, "more_body": False}])
    assert asyncio.run(read_body(short.receive, 1000)) == b"x" * 500


def test_a_client_gone_while_reading_leaves_the_body_read_so_far():
    wire = Wire([{"type": "http.request", "body": b"abc", "more_body": True}, {"type": "http.disconnect"}])
    assert asyncio.run(read_body(wire.receive, 1000)) == b"abc"


def test_a_stream_is_sent_chunk_by_chunk_and_ended():
    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: 1\n\n"
        yield b"data: 2\n\n"

    app = MockAsgi(lambda request: Response(200, [("content-type", "text/event-stream")], chunks()), 100)
    wire = Wire([{"type": "http.request", "body": b"", "more_body": False}])
    asyncio.run(app(scope(), wire.receive, wire.send))
    assert wire.sent == [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]},
        {"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True},
        {"type": "http.response.body", "body": b"data: 2\n\n", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]


def test_a_disconnect_stops_a_waiting_stream_and_closes_it():
    closed: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            await asyncio.Event().wait()  # a stream interval that never ends
            yield b"data: never\n\n"
        finally:
            closed.append("closed")

    async def run() -> Wire:
        app = MockAsgi(lambda request: Response(200, [], chunks()), 100)
        wire = Wire([{"type": "http.request", "body": b"", "more_body": False}])
        served = asyncio.ensure_future(app(scope(), wire.receive, wire.send))
        while len(wire.sent) < 2:
            await asyncio.sleep(0)
        wire.gone.set()
        await asyncio.wait_for(served, 10)  # a hang guard only: without the disconnect it never ends
        return wire

    wire = asyncio.run(run())
    assert [m.get("body") for m in wire.sent] == [
        None,
        b"data: 1\n\n",
    ]  # no end of body after the client left
    assert closed == ["closed"]


def test_lifespan_is_acknowledged():
    wire = Wire([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    asyncio.run(
        MockAsgi(lambda request: Response(200, []), 100)({"type": "lifespan"}, wire.receive, wire.send)
    )
    assert [m["type"] for m in wire.sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
