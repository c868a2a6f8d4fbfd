"""The mock's reading of ``x-mock`` (vocabulary in :mod:`snippetgen.spec.xmock`): refuse what it cannot serve."""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..spec.lint import vocabulary_problems
from ..spec.model import Document


def check(value: Any, level: str, src: Document, pointer: str) -> dict[str, Any]:
    """Return ``value`` (or ``{}``) when it is valid ``x-mock`` at ``level``; else SpecError with the
    spec lint's first finding, worded and located as ``snippetgen check`` reports it."""
    if value is None:
        return {}
    for problem in vocabulary_problems(src, value, level, pointer):
        raise SpecError(problem.message, problem.location, problem.hint)
    return value
