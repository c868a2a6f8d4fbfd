"""The one reader of the execution record: what the last test run ran, and how it went.

The pytest plugin (and ``snippetgen run``) write one file per process under
``.snippetgen/runs/`` (``runner.run.write_record``): ``{"executed": [row, ...]}``, a row per example
with its id, usage, snippet, language, the operations its requests matched and whether it passed
(``cached``: it passed earlier and nothing it depends on changed). ``coverage``, ``export`` and the
site's examples status page read it here. The record holds no clock: a row's time is its file's
modification time, when the run wrote it. Every row is untrusted input: malformed ones are skipped.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .project import Project


@dataclass(frozen=True)
class Run:
    """One row of the execution record (``.snippetgen/runs/*.json``) and the file it came from."""

    example: str
    """The example's test id: ``docs/page.md:12::group.name::py``."""
    passed: bool
    operations: tuple[str, ...]
    """Operations (``api:operationId``) its requests matched."""
    record: str
    """The record file, project-relative."""
    mtime: float
    cached: bool = False
    """It passed in an earlier run and was taken from the result cache in this one."""
    row: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The whole row as written (other readers' fields, e.g. a captured response)."""

    @property
    def time(self) -> str:
        return iso_time(self.mtime)


def iso_time(mtime: float) -> str:
    return datetime.datetime.fromtimestamp(mtime, datetime.UTC).isoformat(timespec="seconds")


def runs_dir(project: Project) -> Path:
    return project.record_path.parent / "runs"


def read_runs(project: Project) -> dict[str, Run]:
    """Example id -> its row in the last test run (a failing row wins over a passing duplicate)."""
    runs: dict[str, Run] = {}
    folder = runs_dir(project)
    if not folder.is_dir():
        return runs
    for path in sorted(folder.glob("*.json")):
        try:
            mtime = path.stat().st_mtime
            rows = json.loads(path.read_text(encoding="utf-8")).get("executed", [])
        except (OSError, ValueError, AttributeError, RecursionError):
            continue
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                continue
            run = Run(
                row["id"],
                row.get("passed") is True,
                tuple(op for op in row.get("operations") or [] if isinstance(op, str)),
                project.rel(path),
                mtime,
                cached=row.get("cached") is True,
                row=row,
            )
            if row["id"] not in runs or not run.passed:
                runs[row["id"]] = run
    return runs


def record_time(runs: dict[str, Run]) -> str | None:
    """When the last test run wrote its record (the newest file), or None without a record."""
    return iso_time(max(r.mtime for r in runs.values())) if runs else None
