"""Plain, frozen data passed between the core's stages: locations, problems, reports, snippets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file a person can open: ``path:line:col`` (line and col are 1-based, 0 = unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True)
class Problem:
    """One finding of ``snippetgen check``; the check collects these instead of raising."""

    location: Location
    message: str
    code: str
    """Short rule id, e.g. ``undefined-variable``; stable, used by ``--format json``."""
    expected: str | None = None
    found: str | None = None
    hint: str | None = None
    severity: str = "error"
    """``error`` (fails ``check`` and ``build``) or ``warning`` (printed and counted, fails nothing);
    the project's ``[tool.snippetgen.lint]`` and vendor APIs decide (``Project.severity``)."""

    def format(self) -> str:
        """``path:line: message`` (``path:line: warning: message`` for a warning) then the
        expected/found/hint lines, indented."""
        mark = "warning: " if self.severity == "warning" else ""
        lines = [f"{self.location}: {mark}{self.message} [{self.code}]"]
        if self.expected is not None:
            lines.append(f"    expected: {self.expected}")
        if self.found is not None:
            lines.append(f"    found:    {self.found}")
        if self.hint is not None:
            lines.append(f"    hint:     {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.location.path,
            "line": self.location.line,
            "col": self.location.col,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
        }


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems without repeats, in file and line order (then code and message)."""
    return sorted(
        set(problems), key=lambda p: (p.location.path, p.location.line, p.location.col, p.code, p.message)
    )


@dataclass(frozen=True)
class Counts:
    """What one run covered: the sizes of a loaded project."""

    snippets: int = 0
    templates: int = 0
    pages: int = 0
    embeds: int = 0
    specs: int = 0
    operations: int = 0

    def __str__(self) -> str:
        """``37 snippets, 111 templates, 33 pages, 80 embeds, 4 specs (37 operations)``."""
        return (
            f"{_many(self.snippets, 'snippet')}, {_many(self.templates, 'template')}, "
            f"{_many(self.pages, 'page')}, {_many(self.embeds, 'embed')}, "
            f"{_many(self.specs, 'spec')} ({_many(self.operations, 'operation')})"
        )


@dataclass(frozen=True)
class CheckReport:
    """What ``snippetgen check`` (or ``build``) found, what it covered and how long it took."""

    problems: list[Problem]
    """The errors: any of them fails ``check`` (exit 1) and stops ``build``."""
    counts: Counts
    seconds: float
    done: str = "clean"
    """What the summary says of a run without problems (``clean``, ``site built``)."""
    warnings: list[Problem] = field(default_factory=list)
    """Findings the project counts as warnings: printed and counted, they fail nothing."""

    def summary(self) -> str:
        """One line: ``37 snippets, ... (37 operations): clean in 1.4 s``, ``...: 3 problems in 1.4 s``,
        with the warnings counted when there are any: ``...: clean, 406 warnings in 9.6 s``."""
        outcome = _many(len(self.problems), "problem") if self.problems else self.done
        if self.warnings:
            outcome += f", {_many(len(self.warnings), 'warning')}"
        return f"{self.counts}: {outcome} in {self.seconds:.1f} s"

    def as_dict(self) -> dict[str, Any]:
        return {
            "problems": [p.as_dict() for p in self.problems],
            "count": len(self.problems),
            "warnings": [p.as_dict() for p in self.warnings],
            "warning_count": len(self.warnings),
            "counts": asdict(self.counts),
            "seconds": round(self.seconds, 3),
        }


def _many(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Template:
    """One language's template of a snippet."""

    lang: str
    path: Path
    source: str


@dataclass(frozen=True)
class Snippet:
    """A catalog entry: ``shared/snippets/<group>/<name>/`` with its config and templates."""

    key: str
    """``group.name``."""
    directory: Path
    config_path: Path
    config: dict[str, Any]
    templates: dict[str, Template]
    """Language id -> template, in tab order (the config's ``languages`` or the registry's order)."""
    config_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    """JSON pointer -> 1-based line in config.json, for error locations."""

    @property
    def title(self) -> str:
        title = self.config.get("title")
        return title if isinstance(title, str) and title else self.key

    # The accessors below tolerate a config that failed schema validation (already reported),
    # so one bad field does not hide the snippet's other problems.
    @property
    def docs(self) -> str | None:
        docs = self.config.get("docs")
        return docs if isinstance(docs, str) else None

    @property
    def description(self) -> str | None:
        text = self.config.get("description")
        return text if isinstance(text, str) else None

    @property
    def payload(self) -> dict[str, Any]:
        payload = self.config.get("payload")
        return {k: v for k, v in payload.items() if k != "name"} if isinstance(payload, dict) else {}

    @property
    def operations(self) -> list[str]:
        ops = self.config.get("operations")
        return [o for o in ops if isinstance(o, str)] if isinstance(ops, list) else []

    @property
    def test(self) -> dict[str, Any]:
        test = self.config.get("test")
        return dict(test) if isinstance(test, dict) else {}

    def line_of(self, pointer: str) -> int:
        """Best-known line of a JSON pointer in config.json (falls back to its parents, then 1)."""
        while pointer:
            if pointer in self.config_lines:
                return self.config_lines[pointer]
            pointer = pointer.rsplit("/", 1)[0]
        return self.config_lines.get("", 1)


@dataclass(frozen=True)
class Embed:
    """A ``<snippet data-name=... data-...>`` tag found in a page."""

    location: Location
    name: str
    overrides: dict[str, str]
    """Variables set by ``data-*`` attributes, names already camelCased."""
    start: int = 0
    """Character offsets of the tag in the page text (for in-place replacement)."""
    end: int = 0
    raw: str = ""


@dataclass
class Process:
    """What a finished example process left behind."""

    returncode: int | None
    """``None`` when it was killed for running past its timeout."""
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool
