"""Running one example in isolation: its own temp dir, a clean environment, a timeout that kills
the whole process group, and the egress guard."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
PASS_THROUGH = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TZ")
"""The only variables of the caller's environment an example sees (never any *_API_KEY)."""


@dataclass
class Process:
    """What a finished example process left behind."""

    returncode: int | None
    """``None`` when it was killed for running past its timeout."""
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool


def example_env(workdir: Path, allow: list[str], proxy_url: str, extra: dict[str, str]) -> dict[str, str]:
    """A minimal environment: PATH and locale, a private HOME, the guards, and ``extra``."""
    env = {k: os.environ[k] for k in PASS_THROUGH if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    report = workdir.parent / f"{workdir.name}.egress"
    env.update(
        {
            "HOME": str(workdir),
            "TMPDIR": str(workdir),
            "PYTHONPATH": str(RUNTIME / "pyguard"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
            "NODE_OPTIONS": f"--require {RUNTIME / 'guard.cjs'}",
            "NODE_NO_WARNINGS": "1",
            "SNIPPETGEN_ALLOW": ",".join(allow),
            "SNIPPETGEN_EGRESS_REPORT": str(report),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        env[name] = proxy_url
    env.update(extra)
    return env


def egress_hits(workdir: Path) -> list[str]:
    report = workdir.parent / f"{workdir.name}.egress"
    if not report.exists():
        return []
    return [line for line in report.read_text().splitlines() if line]


def run_process(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Process:
    """Run in a new session; on timeout (and after exit) kill the whole process group."""
    # Output goes to files, not pipes: a grandchild holding a pipe open must not stall the wait.
    out_path, err_path = cwd.parent / f"{cwd.name}.stdout", cwd.parent / f"{cwd.name}.stderr"
    start = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            proc.wait()
        finally:
            _kill_group(proc.pid)  # grandchildren left running by a finished example die too
    return Process(
        None if timed_out else proc.returncode,
        out_path.read_text("utf-8", "replace"),
        err_path.read_text("utf-8", "replace"),
        time.perf_counter() - start,
        timed_out,
    )


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class PythonForkServer:
    """Client of ``runtime/py_forkserver.py``: runs Python examples in forked children of a warm
    interpreter, with the same isolation as :func:`run_process` (own session, folder, environment,
    guard, timeout) but without paying interpreter start-up and ``import requests`` each time."""

    def __init__(self, python: str | None = None):
        import sys

        env = {k: os.environ[k] for k in PASS_THROUGH if k in os.environ}
        self.proc = subprocess.Popen(
            [python or sys.executable, str(RUNTIME / "py_forkserver.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if '"ready"' not in ready:
            raise RuntimeError("the Python fork server did not start")

    def run(self, script: str, cwd: Path, env: dict[str, str], timeout: float) -> Process:
        import json

        out_path, err_path = cwd.parent / f"{cwd.name}.stdout", cwd.parent / f"{cwd.name}.stderr"
        job = {
            "script": str(cwd / script),
            "cwd": str(cwd),
            "env": env,
            "timeout": timeout,
            "stdout": str(out_path),
            "stderr": str(err_path),
        }
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Python fork server stopped")
        result = json.loads(line)
        return Process(
            result["returncode"],
            out_path.read_text("utf-8", "replace"),
            err_path.read_text("utf-8", "replace"),
            result["seconds"],
            result["timed_out"],
        )

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
