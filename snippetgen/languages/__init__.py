"""The language registry: one small module per language, listed once in ``_MODULES``.

A language is data plus a few functions (see :class:`Language`). Adding one means writing
``snippetgen/languages/<name>.py`` that defines ``LANGUAGE`` and adding its name below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError


@dataclass(frozen=True)
class SyntaxIssue:
    """A syntax error in rendered code: 1-based line in that code and the parser's message."""

    line: int
    message: str


@dataclass(frozen=True)
class Language:
    """Everything snippetgen needs to know about one example language."""

    id: str
    """Template file stem: ``<id>.jinja``."""
    label: str
    """Tab label on the site; the same everywhere so linked tabs switch together."""
    lexer: str
    """Pygments lexer / Markdown fence language."""
    extension: str
    """File extension used when the example is written to disk and executed."""
    literal: Callable[[Any], str]
    """Turns a value into a valid literal of this language (used by the ``lit`` filter)."""
    check_many: Callable[[Sequence[str]], list[SyntaxIssue | None]]
    """Syntax-checks many rendered sources in one go; ``None`` for each source that parses."""
    command: Callable[[str], list[str]]
    """argv that runs a file holding the example."""
    file_name: Callable[[str], str] | None = None
    """File name for a rendered source when it is written to disk; default ``example<extension>``."""

    def file_for(self, source: str) -> str:
        return self.file_name(source) if self.file_name else f"example{self.extension}"


_MODULES = ("python", "javascript", "curl")
_REGISTRY: dict[str, Language] = {}


def _load() -> dict[str, Language]:
    if not _REGISTRY:
        for module in _MODULES:
            lang: Language = importlib.import_module(f"{__name__}.{module}").LANGUAGE
            _REGISTRY[lang.id] = lang
    return _REGISTRY


def all_languages() -> list[Language]:
    """Every registered language, in default tab order."""
    return list(_load().values())


def get_language(lang_id: str) -> Language:
    """The language with this id; an unknown id lists the known ones."""
    langs = _load()
    if lang_id not in langs:
        raise UsageError(f"unknown language {lang_id!r}; known languages: {', '.join(langs)}")
    return langs[lang_id]


def language_ids() -> list[str]:
    return list(_load())
