"""Progress of long operations (``new --all``, ``check``, ``build``, ``export`` over big catalogs).

The core says how far it got (:func:`step` around a loop, :func:`report` for a count); whoever
called it decides whether anyone sees that. By default nobody does: the core prints nothing. The
CLI installs a :class:`TerminalProgress` while a command runs, which draws one self-erasing line
on an interactive terminal and stays silent in CI logs, pipes and files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO, TypeVar

T = TypeVar("T")

Reporter = Callable[[str, int, int], None]
"""``(stage, done, total)``; ``done == total`` ends the stage."""

_reporter: ContextVar[Reporter | None] = ContextVar("snippetgen_progress", default=None)


def report(stage: str, done: int, total: int) -> None:
    reporter = _reporter.get()
    if reporter is not None:
        reporter(stage, done, total)


def step(stage: str, items: Iterable[T]) -> Iterator[T]:
    """Yield ``items``, reporting ``stage i/n`` before each one and ``n/n`` at the end."""
    if _reporter.get() is None:
        yield from items
        return
    listed = list(items)
    total = len(listed)
    for done, item in enumerate(listed):
        report(stage, done, total)
        yield item
    report(stage, total, total)


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


def wanted(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Progress is drawn only for a person: an interactive terminal, not CI, not ``TERM=dumb``."""
    env = os.environ if environ is None else environ
    if env.get("CI") or env.get("TERM") == "dumb" or env.get("SNIPPETGEN_PROGRESS") == "0":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class TerminalProgress:
    """One line on a terminal (``checking 12/37``), redrawn at most ten times a second, erased when
    the command ends so that only the command's own output remains."""

    def __init__(self, stream: TextIO, *, interval: float = 0.1, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self._last = -interval
        self._shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if done >= total:  # a stage that ends leaves no line behind for the output that follows
            self.close()
            return
        now = self.clock()
        if now - self._last < self.interval:
            return
        self._last = now
        line = f"{stage} {done}/{total}" if total else stage
        self.stream.write("\r\x1b[K" + line[:200])
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
