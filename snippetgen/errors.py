"""The exception tree. Every error a user can see carries a location when one is known.

SnippetgenError            base; ``exit_code`` 2 (usage or internal), ``location`` optional
├── UsageError             bad command-line input
├── CatalogError           a snippet folder or config that cannot be loaded at all
├── RenderError            a template failed to render (undefined variable, bad filter input)
└── SpecError              an OpenAPI document that cannot be loaded
"""

from __future__ import annotations

from .model import Location


class SnippetgenError(Exception):
    """Base of every error snippetgen raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n    hint:     {self.hint}"
        return text


class UsageError(SnippetgenError):
    """The command line asked for something that cannot be done."""


class CatalogError(SnippetgenError):
    """A snippet folder or its config cannot be read."""


class RenderError(SnippetgenError):
    """A template failed to render."""


class SpecError(SnippetgenError):
    """An OpenAPI document cannot be loaded."""
