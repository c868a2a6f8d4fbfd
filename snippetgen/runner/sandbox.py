"""What every example gets, isolated or not: a clean environment with the egress guards (the refusing
proxy for anything honouring the proxy variables, and each language's in-process guard from its
``environment``); and the run without kernel isolation: its own folder, a new session, a timeout
that kills the whole process group, output read back capped.

Kernel isolation (bubblewrap) is :mod:`snippetgen.runner.isolation`; there the guards only report
what the kernel already stops."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from ..languages import PASS_THROUGH, all_languages
from ..model import Process

DEFAULT_OUTPUT = 1024 * 1024
"""Bytes kept of each captured stream unless the runner says otherwise (see ``Limits.output``)."""


def example_env(
    workdir: Path,
    allow: list[str],
    proxy_url: str,
    extra: dict[str, str],
    *,
    report: str | None = None,
    tmp: str | None = None,
) -> dict[str, str]:
    """A minimal environment: PATH and locale, a private HOME, the guards, and ``extra``.

    Every registered language's ``environment`` is in it, whatever the example's language: a shell
    example that starts python or node gets their guards too. ``report`` is where the guards note
    what they stopped (default: beside the folder), ``tmp`` the temporary folder (default: the
    example's folder).
    """
    env = {k: os.environ[k] for k in PASS_THROUGH if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    report = report or str(workdir.parent / f"{workdir.name}.egress")
    env.update({"HOME": str(workdir), "TMPDIR": tmp or str(workdir)})
    for language in all_languages():
        if language.environment is not None:
            env.update(language.environment())
    env.update(
        {
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


def run_process(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float, *, output: int = DEFAULT_OUTPUT
) -> Process:
    """Run in a new session; on timeout (and after exit) kill the whole process group. At most
    ``output`` bytes of each of stdout and stderr are read back (:func:`read_capped`)."""
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
        read_capped(out_path, output),
        read_capped(err_path, output),
        time.perf_counter() - start,
        timed_out,
    )


def read_capped(path: Path, cap: int = DEFAULT_OUTPUT) -> str:
    """A captured stream as text, at most ``cap`` bytes of it: its first three quarters and its last
    quarter with ``... N bytes cut ...`` between (the same shape the isolated cell returns)."""
    try:
        size = path.stat().st_size
    except OSError:
        return ""
    with path.open("rb") as fh:
        if size <= cap:
            return fh.read().decode("utf-8", "replace")
        head_size, tail_size = cap - cap // 4, cap // 4
        head = fh.read(head_size)
        fh.seek(size - tail_size)
        tail = fh.read(tail_size)
    cut = size - len(head) - len(tail)
    return f"{head.decode('utf-8', 'replace')}\n... {cut} bytes cut ...\n{tail.decode('utf-8', 'replace')}"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
