"""The harness of the hostile-input tests: the real command line, under limits, with the tree watched.

Every case runs ``python -m snippetgen ...`` in a subprocess limited to :data:`CPU_SECONDS` of CPU
and :data:`MEMORY_BYTES` of address space (``resource.setrlimit`` in ``preexec_fn``), so a case that
loops or allocates without bound fails by being killed rather than by hanging the suite. The wall
clock only has a generous safety timeout: the CPU limit is the bound, and it does not depend on how
loaded the machine is. Every file under the watched folders is hashed before and after; a case
asserts that nothing changed but the command's own output.
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

CPU_SECONDS = 30
MEMORY_BYTES = 2 * 1024**3
WALL_SECONDS = 600
"""Safety net only (a killed case is a failure): the CPU limit above is the real bound."""
SECRET_NAME = "SNIPPETGEN_HOSTILE_CANARY"
SECRET = "canary-7f3e9b1c-do-not-print"
"""An environment variable every case gets: a template that reads the environment would show it."""


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def snippetgen(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m snippetgen ARGS`` in ``cwd`` under the limits; SNIPPETGEN_DEBUG is unset so a
    crash shows as the one-line internal error it would be for a user."""
    env = {k: v for k, v in os.environ.items() if k != "SNIPPETGEN_DEBUG"}
    env[SECRET_NAME] = SECRET
    return subprocess.run(
        [sys.executable, "-m", "snippetgen", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=WALL_SECONDS,
        preexec_fn=_limits,
    )


def tree(*roots: Path) -> dict[str, str]:
    """Every file, folder and symlink below ``roots`` -> a digest of what it is (content, link target)."""
    state: dict[str, str] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in dirnames:
                path = Path(dirpath, name)
                state[str(path)] = f"link:{os.readlink(path)}" if path.is_symlink() else "dir"
            for name in sorted(filenames):
                path = Path(dirpath, name)
                if path.is_symlink():
                    state[str(path)] = f"link:{os.readlink(path)}"
                else:
                    digest = hashlib.sha256()
                    with open(path, "rb") as handle:
                        for block in iter(lambda: handle.read(1 << 20), b""):
                            digest.update(block)
                    state[str(path)] = digest.hexdigest()
    return state


def changes(before: dict[str, str], after: dict[str, str], *outputs: Path) -> list[str]:
    """Paths added, removed or changed, except those under ``outputs`` (the command's own output)."""
    allowed = [str(p) for p in outputs]

    def own(path: str) -> bool:
        return any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed)

    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) and not own(k))


def run_case(
    *args: str, cwd: Path, watch: tuple[Path, ...] = (), outputs: tuple[Path, ...] = ()
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run one case; return its process and every change to the watched folders (``cwd`` included)
    outside ``outputs``."""
    roots = (cwd, *watch)
    before = tree(*roots)
    proc = snippetgen(*args, cwd=cwd)
    return proc, changes(before, tree(*roots), *outputs)


def expect(proc: subprocess.CompletedProcess[str], code: int, *patterns: str) -> str:
    """Assert the exit status, that every regex pattern is in the output, and that no crash, traceback
    or leaked secret is; return the output (stdout then stderr)."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == code, f"exit {proc.returncode}, expected {code}:\n{out[-4000:]}"
    assert "Traceback" not in out and "internal error" not in out, out[-4000:]
    assert SECRET not in out, "a template read the environment"
    for pattern in patterns:
        assert re.search(pattern, out, re.M), f"{pattern!r} not in:\n{out[-4000:]}"
    return out
