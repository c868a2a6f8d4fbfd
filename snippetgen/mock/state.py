"""Mutable state of a running mock: jobs, token balances, rate-limit windows, the request log.

Request handlers run on one event loop and never await inside these methods, so each change is
atomic for them; the lock guards readers on other threads (``MockServer.requests()``).
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
import uuid
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
    jobs: dict[str, Job] = field(default_factory=dict)
    balances: dict[tuple[str, str], float] = field(default_factory=dict)
    windows: dict[tuple[str, str], Window] = field(default_factory=dict)
    streams: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    log_file: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: Any = field(default_factory=lambda: itertools.count(1))

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
        return job_id

    def poll(
        self, api: str, job_id: str, of: list[str], phases: int, per_phase: int, phase_seconds: float | None
    ) -> int | None:
        """The phase index of a poll (advancing the job), or None for an unknown job."""
        job = self.jobs.get(f"{api}/{job_id}")
        if job is None or job.op_id not in of:
            return None
        if phase_seconds:
            index = int((self.clock() - job.created) / phase_seconds)
        else:
            index = job.polls // max(1, per_phase)
        job.polls += 1
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
    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
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
