"""Run the mock: one uvicorn server, one event loop, one listening socket per API.

The server only hosts: ``respond.Responder`` answers, ``asgi.MockAsgi`` translates, uvicorn serves.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import uvicorn

from ..errors import SpecError
from ..model import Location
from .asgi import MockAsgi
from .compile import load_apis
from .proxy import Proxy
from .respond import Responder
from .settings import DEFAULT_KEY, MockSettings
from .state import State


class MockServer:
    """The mock of every API in ``spec_dir``. ``port`` 0 gives each API an ephemeral port; ``port`` N
    gives the APIs, in sorted name order, N, N+1, ..."""

    def __init__(
        self,
        spec_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        keys: list[str] | None = None,
        settings: MockSettings | None = None,
        log_path: Path | None = None,
    ):
        self.spec_dir = Path(spec_dir)
        self.host = host
        self.port = port
        self.keys = list(keys) if keys else [DEFAULT_KEY]
        self.settings = settings or MockSettings()
        self.log_path = Path(log_path) if log_path else None
        self.state = State()
        self.responder = Responder.load(self.spec_dir, self.settings, self.keys, self.state)
        """The mock as a function (``respond``); the server only hosts it."""
        self._apis = list(self.responder.apis.values())
        self.apis: list[str] = [a.name for a in self._apis]
        self.app = MockAsgi(self.responder.respond, self.settings.max_body)
        self.origins: dict[str, str] = {}
        self.base_urls: dict[str, str] = {}
        self._sockets: list[socket.socket] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ------------------------------------------------------------------------------------
    def bind(self) -> None:
        """Open one listening socket per API and point the app and the responder at them (called by
        start/serve)."""
        ports: dict[str, int] = {}
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            for i, name in enumerate(self.apis):
                # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
                # proto says TCP, and without it every answer waits ~40 ms for a delayed ACK
                sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.bind((self.host, self.port + i if self.port else 0))
                sock.listen(1024)
                sock.setblocking(False)
                self._sockets.append(sock)
                ports[name] = sock.getsockname()[1]
        except OSError as exc:
            self._close_sockets()
            raise SpecError(f"cannot listen on {self.host}: {exc}", Location(str(self.spec_dir))) from None
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.origins = {name: f"http://{host}:{port}" for name, port in ports.items()}
        self.base_urls = {api.name: with_origin(api.base_url, self.origins[api.name]) for api in self._apis}
        self.app.ports = {port: name for name, port in ports.items()}
        self.responder.use_origins(self.origins)
        self.state.open_log(self.log_path)

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            http="h11",
            loop="asyncio",
            lifespan="off",
            ws="none",
            interface="asgi3",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            server_header=False,
            timeout_keep_alive=30,
        )

    def start(self) -> MockServer:
        """Serve in a background thread; returns once every port answers."""
        if self._thread is not None:
            return self
        self.bind()
        self._server = server = uvicorn.Server(self._config())
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=self._sockets))
            except BaseException as exc:
                failure.append(exc)

        self._thread = threading.Thread(target=run, name="snippetgen-mock", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if failure or not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise SpecError(
                    f"the mock server did not start: {failure[0] if failure else 'timeout'}",
                    Location(str(self.spec_dir)),
                )
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        self._server = None
        self._close_sockets()
        self.state.close()

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass
        self._sockets = []

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # state ----------------------------------------------------------------------------------------
    def requests(self, api: str | None = None) -> list[dict[str, Any]]:
        """The request log: one dict per request answered (oldest first)."""
        return self.state.entries(api)

    def clear_log(self) -> None:
        self.state.clear()

    def reset(self) -> None:
        """Forget jobs, token balances and rate-limit windows."""
        self.state.reset()

    @property
    def active_streams(self) -> int:
        return self.state.streams

    @property
    def skipped(self) -> list[str]:
        """What the mock does not serve or check, one ``path:line: reason`` each (printed by
        ``snippetgen mock`` at start-up): operations answering 501, unchecked response schemas,
        examples replaced by values built from their schemas, documents it cannot read."""
        return self.responder.skipped


class ProxyServer(MockServer):
    """The validating proxy (``proxy.Proxy``) served like the mock: one loopback port per API, each
    forwarding to that API's ``upstreams`` origin. ``requests()`` is the proxy's log; ``summary()``
    its calls and violations per API."""

    def __init__(
        self,
        spec_dir: Path,
        upstreams: dict[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
        max_retry_after: float = 60.0,
        log_path: Path | None = None,
        forward: Any = None,
        mask_data: Callable[[Any], Any] | None = None,
    ):
        self.spec_dir = Path(spec_dir)
        self.host = host
        self.port = port
        self.keys = []
        self.settings = MockSettings()
        self.log_path = Path(log_path) if log_path else None
        self.state = State()
        self.proxy = Proxy(
            load_apis(self.spec_dir),
            upstreams,
            forward,
            state=self.state,
            delay=delay,
            max_retry_after=max_retry_after,
            mask=mask_data,
        )
        self.responder = self.proxy  # type: ignore[assignment]  # bind() only calls use_origins
        self._apis = list(self.proxy.apis.values())
        self.apis = [a.name for a in self._apis]
        self.app = MockAsgi(self.proxy.respond, self.settings.max_body, threaded=True)
        self.origins = {}
        self.base_urls = {}
        self._sockets = []
        self._server = None
        self._thread = None

    def reset(self) -> None:
        """Nothing to forget: the real API keeps its own state."""

    def summary(self) -> list[str]:
        return self.proxy.summary()

    @property
    def skipped(self) -> list[str]:
        return []


def serve_proxy(
    spec_dir: Path,
    upstreams: dict[str, str],
    host: str = "127.0.0.1",
    port: int = 0,
    delay: float = 0.0,
    log_path: Path | None = None,
    echo: Callable[[str], Any] = print,
    mask: Callable[[str], str] = lambda text: text,
    mask_data: Callable[[Any], Any] | None = None,
) -> None:
    """Serve the validating proxy until interrupted; prints ``<name>  <proxy url> -> <upstream>`` per
    API, one line per call (with its violations), and the summary of calls at the end."""
    proxy = ProxyServer(
        spec_dir, upstreams, host=host, port=port, delay=delay, log_path=log_path, mask_data=mask_data
    )
    proxy.bind()
    server = uvicorn.Server(proxy._config())
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    width = max(len(n) for n in proxy.apis)
    for name in proxy.apis:
        target = proxy.proxy.upstreams.get(name, "(no upstream: refused)")
        echo(f"{name.ljust(width)}  {proxy.base_urls[name]} -> {target}")

    def said(entry: dict[str, Any]) -> None:
        echo(
            mask(f"{entry['method']} {entry['path']} -> {entry['status']} [{entry.get('operation') or '-'}]")
        )
        for error in entry.get("errors") or []:
            echo(mask(f"    not forwarded: {error.get('location')}: {error.get('message')}"))
        for problem in entry.get("api_errors") or []:
            echo(mask(f"    {problem}"))

    proxy.proxy.on_call = said
    try:
        asyncio.run(server.serve(sockets=proxy._sockets))
    except KeyboardInterrupt:
        pass
    finally:
        proxy._close_sockets()
        proxy.state.close()
        for line in proxy.summary() or ["no calls"]:
            echo(line)


def with_origin(url: str, origin: str) -> str:
    """``url`` with its scheme+host+port replaced by ``origin`` (a relative URL gets the origin)."""
    parts = urlsplit(url)
    new = urlsplit(origin)
    return urlunsplit((new.scheme, new.netloc, parts.path, parts.query, parts.fragment)).rstrip("/") or origin


def serve(
    spec_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    keys: list[str] | None = None,
    settings: MockSettings | None = None,
    log_path: Path | None = None,
    echo: Callable[[str], Any] = print,
) -> None:
    """Serve every API of ``spec_dir`` until interrupted; prints ``<name>  <base url>`` per API."""
    mock = MockServer(spec_dir, host=host, port=port, keys=keys, settings=settings, log_path=log_path)
    mock.bind()
    server = uvicorn.Server(mock._config())
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    width = max(len(n) for n in mock.apis)
    for name in mock.apis:
        echo(f"{name.ljust(width)}  {mock.base_urls[name]}")
    for line in mock.skipped:
        echo(f"skipped: {line}")
    try:
        asyncio.run(server.serve(sockets=mock._sockets))
    except KeyboardInterrupt:
        pass
    finally:
        mock._close_sockets()
        mock.state.close()
