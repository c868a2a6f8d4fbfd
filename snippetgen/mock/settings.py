"""Knobs of a running mock (the CLI's options and the pytest runner's overrides)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_KEY = "mock-test-key"
"""The API key the mock accepts when it is given none."""


@dataclass
class MockSettings:
    polls_per_phase: int = 1
    """Polls a job answers in each phase of its ``job-poll`` before it moves to the next."""
    phase_seconds: float | None = None
    """When set, phases advance by time since the job was created instead of by polls."""
    stream_interval: float = 0.05
    """Seconds between two events of an SSE stream (0: send them all at once)."""
    rate_limit: int | None = None
    """Requests per window and key for EVERY API, overriding the specs' ``x-mock.rate-limit``."""
    rate_window: float | None = None
    """Window in seconds; defaults to the spec's window, or 1 s when ``rate_limit`` is overridden."""
    balance: float | None = None
    """Starting token balance of every key, overriding the specs' ``x-mock.accounts.balance``."""
    max_body: int = 20 * 1024 * 1024
    """Largest request body accepted (413 above it, checked before the body is parsed)."""
    log_size: int = 10_000
    """Request log entries kept in memory (a ring: the oldest go first; the log file keeps all)."""
    max_jobs: int = 10_000
    """Jobs remembered (a ring: polling a job pushed out answers 404)."""
    log_body_limit: int = 64 * 1024
    """A logged request body whose JSON is larger is kept as its size and SHA-256 only."""
