"""snippetgen egress guard for Python examples: only the mock's loopback ports may be reached.

Loaded through PYTHONPATH, so child Python processes of an example are guarded too.
"""

import os
import socket

_ALLOWED = {a for a in os.environ.get("SNIPPETGEN_ALLOW", "").split(",") if a}
_REPORT = os.environ.get("SNIPPETGEN_EGRESS_REPORT")
_LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "", None}


def _blocked(host, port):
    message = (
        f"snippetgen egress guard: blocked connection to {host}:{port} (examples may only reach the mock)"
    )
    if _REPORT:
        try:
            with open(_REPORT, "a", encoding="utf-8") as fh:
                fh.write(f"{host}:{port}\n")
        except OSError:
            pass
    return ConnectionRefusedError(message)


_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host, port, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name not in _LOCAL_NAMES and not str(name).startswith("127."):
        raise _blocked(name, port)
    return _getaddrinfo(host, port, *args, **kwargs)


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _check(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host, port = address[0], address[1]
        if f"{host}:{port}" not in _ALLOWED and f"localhost:{port}" not in _ALLOWED:
            raise _blocked(host, port)


def _guarded_connect(self, address):
    _check(self, address)
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
