"""Python examples: ``py.jinja``, checked with ``compile()``, run with the current interpreter."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from . import Language, SyntaxIssue


def literal(value: Any) -> str:
    """A Python literal for a JSON-like value; strings always come out double-quoted and escaped."""
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # repr() picks the quote style by content; a docs example reads better with one style.
        escaped = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write a {type(value).__name__} as a Python literal")


def check_many(sources: Sequence[str]) -> list[SyntaxIssue | None]:
    issues: list[SyntaxIssue | None] = []
    for source in sources:
        try:
            compile(source, "<example>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            issues.append(SyntaxIssue(exc.lineno or 1, exc.msg))
        except ValueError as exc:  # e.g. a NUL byte
            issues.append(SyntaxIssue(1, str(exc)))
        else:
            issues.append(None)
    return issues


LANGUAGE = Language(
    id="py",
    label="Python",
    lexer="python",
    extension=".py",
    literal=literal,
    check_many=check_many,
    command=lambda path: [sys.executable, path],
)
