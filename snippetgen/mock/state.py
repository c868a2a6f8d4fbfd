"""Mutable state of a running mock: jobs, token balances, rate-limit windows, the request log.

Request handlers run on one event loop and never await inside these methods, so each change is
atomic for them; the lock guards readers on other threads (``MockServer.requests()``).

Memory is bounded whatever the load: the request log and the jobs are rings (the oldest entry goes
first, sizes from :class:`~snippetgen.mock.settings.MockSettings`), a logged body over
``log_body_limit`` bytes is kept as its size and digest, and rate-limit windows that have ended are
dropped as new ones open.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Job:
    api: str
    op_id: str
    created: float
    polls: int = 0


@dataclass
class Window:
    start: float
    count: int = 0


@dataclass
class State:
    clock: Callable[[], float] = time.monotonic
    jobs: OrderedDict[str, Job] = field(default_factory=OrderedDict)
    balances: dict[tuple[str, str], float] = field(default_factory=dict)
    windows: dict[tuple[str, str], Window] = field(default_factory=dict)
    streams: int = 0
    log_size: int = 10_000
    """Request log entries kept (the oldest go first)."""
    max_jobs: int = 10_000
    """Jobs kept (the oldest go first: polling one of them answers 404)."""
    log_body_limit: int = 64 * 1024
    """A logged request body whose JSON is larger is kept as ``{"size", "sha256"}``."""
    log: deque[dict[str, Any]] = field(default_factory=deque)
    log_file: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: Any = field(default_factory=lambda: itertools.count(1))
    _window_sweep: float = 0.0

    def configure(self, log_size: int, max_jobs: int, log_body_limit: int) -> None:
        """Apply the ring sizes (a log longer than the new size loses its oldest entries)."""
        with self.lock:
            self.log_size, self.max_jobs, self.log_body_limit = (
                max(1, log_size),
                max(1, max_jobs),
                log_body_limit,
            )
            self.log = deque(self.log, maxlen=self.log_size)
            while len(self.jobs) > self.max_jobs:
                self.jobs.popitem(last=False)

    # jobs -------------------------------------------------------------------------------------
    def new_job(self, api: str, op_id: str, kind: str = "hex") -> str | int:
        n = next(self._counter)
        if kind == "integer":
            job_id: str | int = n
        elif kind == "uuid":
            job_id = str(uuid.uuid4())
        else:
            job_id = uuid.uuid4().hex
        self.jobs[f"{api}/{job_id}"] = Job(api, op_id, self.clock())
        while len(self.jobs) > self.max_jobs:
            self.jobs.popitem(last=False)
        return job_id

    def poll(
        self,
        api: str,
        job_id: str,
        of: list[str],
        phases: int,
        per_phase: int,
        phase_seconds: float | None,
        advance: bool = True,
    ) -> int | None:
        """The phase index of a poll (advancing the job unless ``advance`` is false: ``HEAD``), or
        None for an unknown job."""
        job = self.jobs.get(f"{api}/{job_id}")
        if job is None or job.op_id not in of:
            return None
        if phase_seconds:
            index = int((self.clock() - job.created) / phase_seconds)
        else:
            index = job.polls // max(1, per_phase)
        job.polls += 1 if advance else 0
        return min(index, phases - 1)

    def drop_job(self, api: str, job_id: str | int) -> None:
        self.jobs.pop(f"{api}/{job_id}", None)

    # tokens -----------------------------------------------------------------------------------
    def charge(self, api: str, key: str, start: float, cost: float) -> float | None:
        """Deduct ``cost`` and return the new balance, or None (nothing deducted) when it is too low."""
        balance = self.balances.get((api, key), start)
        if balance < cost:
            self.balances[(api, key)] = balance
            return None
        self.balances[(api, key)] = balance - cost
        return balance - cost

    # rate limits ------------------------------------------------------------------------------
    def hit(self, api: str, key: str, limit: int, window: float) -> tuple[bool, int, float]:
        """Count one request: (allowed, remaining, seconds until the window resets)."""
        now = self.clock()
        if len(self.windows) > 1000 and now - self._window_sweep >= window:
            self._window_sweep = now  # callers come and go: forget the windows that have ended
            for k in [k for k, old in self.windows.items() if now - old.start >= window]:
                del self.windows[k]
        w = self.windows.get((api, key))
        if w is None or now - w.start >= window:
            w = self.windows[(api, key)] = Window(now)
        w.count += 1
        reset = max(0.0, w.start + window - now)
        return w.count <= limit, max(0, limit - w.count), reset

    def reset(self) -> None:
        """Forget jobs, balances and rate-limit windows (the log stays)."""
        self.jobs.clear()
        self.balances.clear()
        self.windows.clear()

    # request log ------------------------------------------------------------------------------
    def loggable(self, body: Any) -> Any:
        """``body`` as the log keeps it: itself, or its size and digest when it is large."""
        if body is None or isinstance(body, (int, float, bool)):
            return body
        try:
            text = json.dumps(body, sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError):
            return {"unloggable": type(body).__name__}
        if len(text) <= self.log_body_limit:
            return body
        return {"size": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest()}

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            if self.log.maxlen != self.log_size:
                self.log = deque(self.log, maxlen=self.log_size)
            self.log.append(entry)
            if self.log_file is not None:
                self.log_file.write(json.dumps(entry, default=str) + "\n")
                self.log_file.flush()

    def entries(self, api: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.log if api is None or e["api"] == api]

    def clear(self) -> None:
        with self.lock:
            self.log.clear()

    def open_log(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.log_file = open(path, "a", encoding="utf-8")

    def close(self) -> None:
        with self.lock:
            if self.log_file is not None:
                self.log_file.close()
                self.log_file = None


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
