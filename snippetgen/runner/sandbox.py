"""Running one example in isolation: its own temp dir, a clean environment, a timeout that kills
the whole process group, and the egress guards (the refusing proxy for anything honouring the proxy
variables, and each language's in-process guard from its ``environment``)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from ..languages import PASS_THROUGH, all_languages
from ..model import Process


def example_env(workdir: Path, allow: list[str], proxy_url: str, extra: dict[str, str]) -> dict[str, str]:
    """A minimal environment: PATH and locale, a private HOME, the guards, and ``extra``.

    Every registered language's ``environment`` is in it, whatever the example's language: a shell
    example that starts python or node gets their guards too.
    """
    env = {k: os.environ[k] for k in PASS_THROUGH if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    report = workdir.parent / f"{workdir.name}.egress"
    env.update({"HOME": str(workdir), "TMPDIR": str(workdir)})
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
