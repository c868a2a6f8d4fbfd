"""The ASGI adapter: ASGI messages -> ``Request``, ``Response`` -> ASGI messages, and nothing else.

What the mock answers is decided by ``respond`` (``respond.py``); this module only reads the body
(stopping once it is over the size limit), names the API by the local port of the connection, frames
the answer, and stops a stream when its client disconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from .respond import Request, Response


class MockAsgi:
    """``respond`` as an ASGI 3 application; ``ports`` maps local port -> API name."""

    def __init__(
        self,
        respond: Callable[[Request], Response],
        max_body: int,
        ports: Mapping[int, str] | None = None,
        *,
        threaded: bool = False,
    ):
        self.respond = respond
        self.max_body = max_body
        self.ports = dict(ports or {})
        self.threaded = threaded
        """``respond`` blocks (the validating proxy waits for the real API): call it in a thread."""

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
        server, client = scope.get("server"), scope.get("client")
        request = Request(
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=await read_body(receive, self.max_body),
            api=self.ports.get(server[1]) if server else None,
            client=client[0] if client else None,
        )
        response = await asyncio.to_thread(self.respond, request) if self.threaded else self.respond(request)
        pairs = response.headers
        if isinstance(response.body, bytes) and not any(k == "content-length" for k, _ in pairs):
            pairs = [("content-length", str(len(response.body))), *pairs]
        await send({"type": "http.response.start", "status": response.status, "headers": _headers(pairs)})
        if isinstance(response.body, bytes):
            await send({"type": "http.response.body", "body": response.body})
        else:
            await stream(response.body, receive, send)


async def read_body(receive: Any, cap: int) -> bytes:
    """The request body; reading stops once it is over ``cap`` bytes (the mock then answers 413)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > cap or not message.get("more_body"):
            break
    return b"".join(chunks)


async def stream(chunks: AsyncIterator[bytes], receive: Any, send: Any) -> None:
    """Send each chunk as it comes; a client that disconnects stops (and closes) the iterator."""
    disconnect = asyncio.ensure_future(wait_disconnect(receive))
    step: asyncio.Future[bytes] | None = None
    try:
        while True:
            step = asyncio.ensure_future(anext(chunks))
            await asyncio.wait([step, disconnect], return_when=asyncio.FIRST_COMPLETED)
            if disconnect.done():
                return
            try:
                chunk = step.result()
            except StopAsyncIteration:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        disconnect.cancel()
        if step is not None and not step.done():  # interrupt the iterator where it waits
            step.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await step
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


async def wait_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _headers(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), str(v).encode("latin-1", "replace")) for k, v in pairs]
