"""Progress of long commands: drawn on a terminal (a real pseudo-terminal), silent in CI and pipes."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from snippetgen import progress

REPO = Path(__file__).resolve().parent.parent
SNIPPETGEN = Path(sys.executable).parent / "snippetgen"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_terminal_line_is_throttled_and_erased_when_a_stage_ends():
    out, clock = io.StringIO(), Clock()
    terminal = progress.TerminalProgress(out, interval=0.1, clock=clock)
    with progress.reporting(terminal):
        for i in range(5):
            clock.now = i * 0.06  # a tick every 60 ms: every other one is drawn
            progress.report("checking", i, 5)
        progress.report("checking", 5, 5)
    assert out.getvalue() == "\r\x1b[Kchecking 0/5\r\x1b[Kchecking 2/5\r\x1b[Kchecking 4/5\r\x1b[K"


def test_nobody_listening_costs_nothing_and_prints_nothing(capsys):
    assert list(progress.step("checking", iter([1, 2]))) == [1, 2]
    progress.report("x", 1, 2)
    assert capsys.readouterr() == ("", "")


def test_wanted_only_for_a_person_at_a_terminal():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress.wanted(Tty(), {"TERM": "xterm"})
    assert not progress.wanted(Tty(), {"TERM": "xterm", "CI": "true"})
    assert not progress.wanted(Tty(), {"TERM": "dumb"})
    assert not progress.wanted(Tty(), {"SNIPPETGEN_PROGRESS": "0"})
    assert not progress.wanted(io.StringIO(), {})


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=REPO)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


def test_check_shows_progress_on_a_terminal_and_none_in_ci():
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"TERM": "xterm"}
    shown = _run_on_a_terminal([str(SNIPPETGEN), "check"], env)
    assert b"\r\x1b[Kchecking " in shown and b"\r\x1b[Kreading specs " in shown
    last = shown.rstrip().rsplit(b"\r\x1b[K", 1)[-1]
    assert b": clean in " in last  # the summary line is not glued to a progress line
    quiet = _run_on_a_terminal([str(SNIPPETGEN), "check"], env | {"CI": "true"})
    assert b"\x1b[K" not in quiet and b": clean in " in quiet
    piped = subprocess.run([str(SNIPPETGEN), "check"], capture_output=True, env=env, cwd=REPO, timeout=120)
    assert b"\x1b" not in piped.stdout + piped.stderr and piped.returncode == 0
