"""Kernel isolation of examples on Linux: one bubblewrap cell per runner.

A :class:`Cell` is a bubblewrap sandbox (``bwrap``, Debian package ``bubblewrap``) holding the
supervisor ``runtime/cell.py``, which runs the runner's examples one at a time. The cell has

* a new network namespace with only loopback: the supervisor listens on the cell's
  ``127.0.0.1:<port>`` for each port the runner allows (the mock's APIs, the refusing proxy) and
  forwards to a Unix socket the runner serves outside, which connects to the real port. Nothing
  else answers: no DNS, no other host, no other local port;
* a new PID namespace (bubblewrap is its PID 1, started with an empty environment): nothing of the
  runner is visible, and at the end of each example every process of the cell but the supervisor
  is killed. The cell dies with the runner (``--die-with-parent``, and the end of its stdin);
* a read-only view of the system (``/usr``, ``/etc``) and of the runtimes (this Python and its
  packages, ``node_modules``, snippetgen's guards), a private ``/tmp`` (emptied after each
  example), the examples' working folders at ``/sandbox`` and nothing else: no home folder, no
  repository;
* when the runner is root, examples run as a user of their own (no capabilities), so they cannot
  touch the supervisor, and the process limit counts only their processes.

Where namespaces are not available, :func:`support` says why, and the runner falls back to the
in-process guards (or refuses, with ``sandbox = "required"``).
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import json
import os
import queue
import selectors
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..languages import all_languages
from ..model import Process
from .limits import Limits

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
SUPERVISOR = RUNTIME / "cell.py"
GUARD = RUNTIME / "pyguard" / "sitecustomize.py"
INSIDE = Path("/sandbox")
"""Where the examples' working folders are inside a cell."""
EGRESS = "/run/snippetgen/egress"
"""The egress report inside a cell (the in-process guards append the hosts they stopped)."""
BWRAP_VARIABLE = "SNIPPETGEN_BWRAP"
"""Names the bubblewrap binary to use (default: ``bwrap`` on PATH); tests point it elsewhere."""
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)"
START_TIMEOUT = 60.0
WATCHDOG_GRACE = 15.0
"""Seconds past an example's timeout after which a silent cell is killed from outside."""
ON_DEMAND = ("openai", "anthropic", "httpx", "aiohttp")
"""Python SDKs the cell imports once, the first time an example imports one (~2 s each otherwise)."""
EXAMPLE_UIDS = (200_000, 400_000)
"""Range of the users examples run as when the runner is root (one per cell; never a real user)."""


class CellError(RuntimeError):
    """The cell stopped or broke its protocol (not the example's fault)."""


@dataclass(frozen=True)
class Support:
    """Whether this machine can isolate examples with bubblewrap, and if not, why."""

    available: bool
    why: str = ""
    bwrap: str = ""
    privileged: bool = False
    """Running as root: examples get a user of their own inside the cell."""
    sized_tmpfs: bool = True
    """This bubblewrap can cap the size of the private /tmp (``--size``, 0.7 and later)."""


_support: Support | None = None
_support_lock = threading.Lock()


def support() -> Support:
    """Probe once per process: a platform check, then a real ``bwrap`` run in new namespaces."""
    global _support
    with _support_lock:
        if _support is None:
            _support = _probe()
        return _support


def _probe() -> Support:
    if not sys.platform.startswith("linux"):
        return Support(False, f"kernel isolation needs Linux namespaces; this is {sys.platform}")
    named = os.environ.get(BWRAP_VARIABLE)
    bwrap = named or shutil.which("bwrap") or ""
    if not bwrap or not os.access(bwrap, os.X_OK):
        where = f"{BWRAP_VARIABLE}={named}" if named else "bwrap is not on PATH"
        return Support(False, f"bubblewrap is not installed ({where}); {INSTALL_HINT}")
    probe = [
        bwrap,
        "--unshare-net",
        "--unshare-pid",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "true",
    ]
    try:
        proc = subprocess.run(probe, env={}, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Support(False, f"{bwrap} does not run: {exc}")
    if proc.returncode != 0:
        said = (
            proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit status {proc.returncode}"
        )
        return Support(
            False, f"{bwrap} cannot create namespaces here ({said}); user namespaces may be disabled"
        )
    return Support(True, bwrap=bwrap, privileged=os.geteuid() == 0)


def reset_support() -> None:
    """Forget the probe (tests that change ``SNIPPETGEN_BWRAP``)."""
    global _support
    with _support_lock:
        _support = None


# --- starting bubblewrap ---------------------------------------------------------------------------


class _Spawner:
    """Starts every cell from one thread that lives as long as this process.

    ``--die-with-parent`` ties a cell to the *thread* that started it (``PR_SET_PDEATHSIG``): a cell
    started from a worker thread would die with that thread, one started here dies with the process,
    however it ends (SIGKILL included).
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[list[str], dict[str, Any], Future[subprocess.Popen[bytes]]]]
        self._jobs = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="snippetgen-cell-spawner", daemon=True).start()

    def _serve(self) -> None:
        while True:
            argv, kwargs, future = self._jobs.get()
            try:
                future.set_result(subprocess.Popen(argv, **kwargs))
            except BaseException as exc:  # handed to the caller
                future.set_exception(exc)

    def popen(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        future: Future[subprocess.Popen[bytes]] = Future()
        self._jobs.put((argv, kwargs, future))
        return future.result()


_spawner: _Spawner | None = None
_uids = itertools.count()


def _spawn(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    global _spawner
    with _support_lock:
        if _spawner is None:
            _spawner = _Spawner()
    return _spawner.popen(argv, **kwargs)


@functools.cache
def _relay_module() -> Any:
    """``runtime/cell.py`` as a module (its :class:`Relay` serves the runner's side too)."""
    spec = importlib.util.spec_from_file_location("_snippetgen_cell", SUPERVISOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _OutsideRelay:
    """The runner's end of the forwarders: a Unix socket per allowed port, each connection
    forwarded to that port on the runner's loopback. One thread serves them all."""

    def __init__(self, folder: Path, allow: list[str]):
        relay_module = _relay_module()
        self._selector = selectors.DefaultSelector()
        self._relay = relay_module.Relay(self._selector)
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ, lambda mask: None)
        self._listeners: list[socket.socket] = []
        self.forward: list[tuple[int, str]] = []
        """(port, socket path inside the cell) for each allowed address."""
        for address in allow:
            host, _, port = address.rpartition(":")
            path = folder / port
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(path))
            os.chmod(path, 0o666)
            listener.listen(128)
            self._listeners.append(listener)
            target = (host or "127.0.0.1", int(port))
            self._relay.listen(listener, lambda target=target: socket.create_connection(target, timeout=10))
            self.forward.append((int(port), f"/run/snippetgen/sockets/{port}"))
        self._stopped = False
        self._thread = threading.Thread(target=self._serve, name="snippetgen-relay", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped:
            for key, mask in self._selector.select(1.0):
                key.data(mask)

    def close(self) -> None:
        self._stopped = True
        self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._relay.close()
        for sock in (*self._listeners, self._wake_r, self._wake_w):
            sock.close()
        self._selector.close()


# --- the cell ----------------------------------------------------------------------------------------


class Cell:
    """One bubblewrap sandbox with its supervisor; runs examples one at a time (not thread-safe:
    one per runner slot)."""

    def __init__(
        self,
        folder: Path,
        allow: list[str],
        *,
        limits: Limits,
        read_only: Iterable[Path] = (),
        found: Support | None = None,
    ):
        found = found or support()
        if not found.available:
            raise CellError(found.why)
        self.folder = folder
        self.live = folder / "live"
        """The examples' working folders (``/sandbox`` inside); each is moved out after its run."""
        self.limits = limits
        # Two users per cell (even, odd): the examples', and its warm node's (runtime/warm_node.cjs).
        span = (EXAMPLE_UIDS[1] - EXAMPLE_UIDS[0]) // 2
        self.uid = EXAMPLE_UIDS[0] + 2 * ((os.getpid() * 64 + next(_uids)) % span)
        self.uid_used = found.privileged
        sockets = folder / "sockets"
        for path in (self.live, sockets):
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o755)
        self.relay = _OutsideRelay(sockets, allow)
        config = {
            "forward": self.relay.forward,
            "uid": self.uid if self.uid_used else None,
            "gid": self.uid if self.uid_used else None,
            "egress": EGRESS,
            "guard": str(GUARD),
            "preload": [
                "requests",
                "urllib3",
                "json",
                "base64",
                "pathlib",
                "mimetypes",
                "email.mime.multipart",
            ],
            "on_demand": list(ON_DEMAND),
        }
        self.log = folder / "cell.log"
        argv = [
            found.bwrap,
            *bwrap_options(read_only, limits, privileged=found.privileged, sized_tmpfs=found.sized_tmpfs),
            "--bind",
            str(self.live),
            str(INSIDE),
            "--ro-bind",
            str(sockets),
            "/run/snippetgen/sockets",
            "--chdir",
            str(INSIDE),
            sys.executable,
            "-s",
            "-B",
            str(SUPERVISOR),
            json.dumps(config),
        ]
        with self.log.open("wb") as log:
            self.proc = _spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env={})
        self._lock = threading.Lock()
        ready = self._read(START_TIMEOUT)
        if not ready.get("ready"):
            self.close()
            raise CellError(f"the sandbox did not start: {ready.get('error') or self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            text = self.log.read_text("utf-8", "replace").strip()
        except OSError:
            return "(no log)"
        return text.splitlines()[-1] if text else f"bwrap exited with status {self.proc.poll()}"

    def _read(self, timeout: float) -> dict[str, Any]:
        """The supervisor's next answer; the cell is killed if none comes within ``timeout``."""
        watchdog = threading.Timer(timeout, self.kill)
        watchdog.daemon = True
        watchdog.start()
        try:
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline()
        finally:
            watchdog.cancel()
        if not line:
            return {"error": f"the sandbox stopped: {self._log_tail()}"}
        try:
            answer = json.loads(line)
        except ValueError:
            return {"error": f"the sandbox answered {line[:200]!r}"}
        return answer if isinstance(answer, dict) else {"error": f"the sandbox answered {answer!r}"}

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(
        self, argv: list[str], workdir: Path, env: dict[str, str], timeout: float, *, warm: bool = True
    ) -> tuple[Process, list[str]]:
        """Run ``argv`` in ``workdir`` (a folder of :attr:`live`); the process and the egress report.

        With ``warm``, a ``python FILE`` command of this very interpreter (the ``py`` language, or any
        language run the same way) is forked from the supervisor, which has Python and ``requests``
        loaded already, instead of starting a fresh interpreter; a ``node FILE.mjs|.cjs`` command
        runs in a fresh ``vm`` context of the cell's warm node (``runtime/warm_node.cjs``).
        """
        inside = INSIDE / workdir.relative_to(self.live)
        kind = warm_kind(argv) if warm else False
        warm = bool(kind)
        job = {
            "argv": argv,
            "cwd": str(inside),
            "env": env,
            "timeout": timeout,
            "warm": kind,
            "limits": self.limits.as_dict(),
        }
        if warm:
            job["argv"] = [argv[0], str(inside / argv[1])]
        with self._lock:
            if not self.alive:
                raise CellError(f"the sandbox stopped: {self._log_tail()}")
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write(json.dumps(job).encode() + b"\n")
                self.proc.stdin.flush()
            except OSError as exc:
                raise CellError(f"the sandbox stopped: {exc}") from None
            result = self._read(timeout + WATCHDOG_GRACE)
        if "error" in result:
            raise CellError(str(result["error"]))
        process = Process(
            result["returncode"],
            result["stdout"],
            result["stderr"],
            float(result["seconds"]),
            bool(result["timed_out"]),
        )
        return process, [str(hit) for hit in result.get("egress", [])]

    def kill(self) -> None:
        """Kill the cell and everything in it (bubblewrap is PID 1 of its namespace)."""
        if self.proc.poll() is None:
            self.proc.kill()

    def close(self) -> None:
        """End the supervisor (it kills every process of the cell first), then bubblewrap."""
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.relay.close()


def warm_kind(argv: list[str]) -> str | bool:
    """Which warm runtime of the cell can run ``argv``: ``"python"``, ``"node"``, or ``False``."""
    if len(argv) != 2:
        return False
    if argv[0] == sys.executable and argv[1].endswith(".py"):
        return "python"
    if argv[0] == "node" and argv[1].endswith((".mjs", ".cjs")):
        return "node"
    return False


def bwrap_options(
    read_only: Iterable[Path], limits: Limits, *, privileged: bool, sized_tmpfs: bool = True
) -> list[str]:
    """Namespaces, capabilities and mounts of a cell (before its working folders)."""
    options = [
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        "--cap-drop",
        "ALL",
    ]
    if privileged:
        # The supervisor only: switching to the examples' user, handing them their folder, killing
        # their processes and emptying /tmp. An example keeps none of these (setuid drops them all).
        for cap in ("SETUID", "SETGID", "KILL", "CHOWN", "FOWNER", "DAC_OVERRIDE", "NET_BIND_SERVICE"):
            options += ["--cap-add", f"CAP_{cap}"]
    # /tmp first: a runtime that lives under /tmp (a CI's virtualenv) is bound on top of it.
    size = ["--size", str(limits.memory)] if sized_tmpfs else []
    options += ["--perms", "1777", *size, "--tmpfs", "/tmp"]
    options += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            options += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            options += ["--ro-bind", str(path), str(path)]
    made: set[Path] = {Path("/")}
    for path in _runtime_paths(read_only):
        for parent in reversed(path.parents):
            if parent not in made:
                made.add(parent)
                options += ["--perms", "0755", "--dir", str(parent)]
        options += ["--ro-bind", str(path), str(path)]
        made.add(path)
    options += [
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--perms",
        "0755",
        "--dir",
        "/run/snippetgen",
        "--setenv",
        "PATH",
        "/usr/local/bin:/usr/bin:/bin",
        "--setenv",
        "LANG",
        "C.UTF-8",
    ]
    return options


SYSTEM = (Path("/usr"), Path("/etc"), Path("/bin"), Path("/sbin"), Path("/lib"), Path("/lib64"))


def _runtime_paths(extra: Iterable[Path]) -> list[Path]:
    """Folders the examples' runtimes need beyond the system: this Python (its venv and base
    installation), each language's interpreter outside /usr, snippetgen's guards, and ``extra``."""
    wanted = [Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent.parent]
    wanted.append(RUNTIME)
    for language in all_languages():
        try:
            program = language.command("example")[0]
        except Exception:  # a language whose command needs more than a file name
            continue
        found = shutil.which(program)
        if found:
            wanted.append(Path(os.path.realpath(found)).parent.parent)
    wanted += list(extra)
    paths: list[Path] = []
    for path in sorted(
        {Path(os.path.realpath(p)) for p in wanted if Path(p).exists()}, key=lambda p: len(p.parts)
    ):
        if path == Path("/") or any(path == s or s in path.parents for s in SYSTEM):
            continue
        if any(p == path or p in path.parents for p in paths):
            continue
        paths.append(path)
    return paths
