"""A refusing proxy for examples' non-mock traffic (curl and anything else honouring *_proxy).

It answers every request with 403 and remembers the host, so the failure can name it.
Python and node examples are guarded in-process as well (runtime/pyguard, runtime/guard.cjs).
"""

from __future__ import annotations

import socketserver
import threading


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            head = self.request.recv(4096).decode("latin-1")
        except OSError:
            return
        first = head.split("\r\n", 1)[0].split(" ")
        target = first[1] if len(first) > 1 else "?"
        if first[0] != "CONNECT":
            target = target.split("://", 1)[-1].split("/", 1)[0]
        self.server.hits.append(target)  # type: ignore[attr-defined]
        body = f"snippetgen egress guard: blocked connection to {target} (examples may only reach the mock)\n"
        reply = (
            f"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n{body}"
        )
        try:
            self.request.sendall(reply.encode())
        except OSError:
            pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class EgressGuard:
    """``with EgressGuard() as guard:`` then point ``*_proxy`` variables at ``guard.url``."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hits = []  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> EgressGuard:
        self._thread.start()
        return self

    def take(self) -> list[str]:
        """Hosts seen since the last call."""
        hits: list[str] = self._server.hits  # type: ignore[attr-defined]
        taken, hits[:] = list(hits), []
        return taken

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> EgressGuard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
