"""The mock's reading of ``x-mock`` (vocabulary in :mod:`snippetgen.spec.xmock`): refuse what it cannot serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..spec.xmock import VALIDATORS
from .specs import location


def check(value: Any, level: str, path: Path, pointer: str) -> dict[str, Any]:
    """Return ``value`` (or ``{}``) when it is valid ``x-mock`` at ``level``; else SpecError at its line."""
    if value is None:
        return {}
    for error in VALIDATORS[level].iter_errors(value):
        where = pointer + "".join(f"/{p}" for p in error.instance_path)
        raise SpecError(f"invalid x-mock: {error.message} (at {where})", location(path, where))
    return value
