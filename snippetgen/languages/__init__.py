"""The language registry: one module per language, listed once in ``_MODULES``.

A language is data plus a few functions (see :class:`Language`): how its templates are named,
labelled and highlighted, which Markdown fences hold its code, how a value becomes one of its
literals, how its code is syntax-checked, run and guarded, and what ``snippetgen new`` writes for
it. Adding one means writing ``snippetgen/languages/<name>.py`` that defines ``LANGUAGE`` and
adding its name below; nothing else in snippetgen names a language. A project or a test can also
:func:`register` a language at run time (and :func:`unregister` it again).
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import UsageError
from ..filters import builtin_filter_names
from ..model import Process

if TYPE_CHECKING:
    from ..scaffold.plan import Plan

PASS_THROUGH = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TZ")
"""The only variables of the caller's environment an example (or a warm runner) sees, never a key."""

_MODULES = ("python", "javascript", "curl")
"""The built-in languages, in default tab order: one module name a line."""


@dataclass(frozen=True)
class SyntaxIssue:
    """A syntax error in rendered code: 1-based line in that code and the parser's message."""

    line: int
    message: str


class WarmRunner(Protocol):
    """A long-lived helper that runs one language's example files faster than a fresh process each
    (Python: a fork server of warm interpreters), with the same isolation as a fresh process."""

    def run(self, script: str, cwd: Path, env: dict[str, str], timeout: float) -> Process:
        """Run file ``script`` in folder ``cwd``; ``RuntimeError`` when the helper has stopped."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Language:
    """Everything snippetgen needs to know about one example language."""

    id: str
    """Template file stem: ``<id>.jinja``; also the name of its literal filter (``{{ x | py }}``)."""
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
    filters: tuple[str, ...] = ()
    """More filter names for :attr:`literal` besides the id (curl provides ``sh``)."""
    fences: tuple[str, ...] = ()
    """Lower-case Markdown fence info strings whose hand-written blocks are this language's code."""
    environment: Callable[[], dict[str, str]] | None = None
    """Variables the sandbox sets for this language's runtime (its in-process egress guard). Every
    example gets every language's variables: a shell example may well start python or node."""
    warm_runner: Callable[[], WarmRunner] | None = None
    """Starts a :class:`WarmRunner` for this language's examples; the runner falls back to
    :attr:`command` when it cannot start or stops. ``None``: a fresh process per example. Used only
    without kernel isolation: in a cell (:mod:`snippetgen.runner.isolation`) every language runs by
    :attr:`command`, and a ``[sys.executable, file]`` command is forked warm from the cell itself."""
    scaffold: Callable[[Plan], list[str]] | None = None
    """The lines of the template ``snippetgen new`` writes for a :class:`~snippetgen.scaffold.Plan`
    (see :mod:`snippetgen.scaffold.common`); ``None``: this language cannot be scaffolded."""
    runtime: str = ""
    """What a reader needs to run an example, in words (``Python 3.9+``); shown under each tab."""
    run: str = ""
    """How a reader runs the saved example, ``{file}`` standing for its file name (``python3 {file}``)."""
    requirements: Callable[[str], list[str]] | None = None
    """The packages (or tools) a rendered source needs besides :attr:`runtime`, in order of first
    use: Python's ``import openai`` -> ``openai``, a pipe into ``jq`` -> ``jq``."""
    install: str = ""
    """The command that installs :attr:`requirements`, ``{packages}`` standing for them
    (``pip install {packages}``); empty: they are named beside the runtime (curl's ``jq``)."""

    def setup(self, source: str) -> RunSetup:
        """What a reader needs to run ``source``: runtime, packages and their install command, file
        name and run command (see :class:`RunSetup`)."""
        found = self.requirements(source) if self.requirements else []
        packages = tuple(dict.fromkeys(p for p in found if _PACKAGE.match(p)))
        file = self.file_for(source)
        return RunSetup(
            self.runtime,
            packages,
            self.install.format(packages=" ".join(packages)) if self.install and packages else "",
            file,
            self.run.format(file=file) if self.run else "",
        )

    def file_for(self, source: str) -> str:
        return self.file_name(source) if self.file_name else f"example{self.extension}"

    @property
    def filter_names(self) -> tuple[str, ...]:
        """Every filter name this language's literal goes by: its id, then :attr:`filters`."""
        return (self.id, *self.filters)


@dataclass(frozen=True)
class RunSetup:
    """How a reader runs one rendered example (:meth:`Language.setup`)."""

    runtime: str
    """``Python 3.9+``; empty when the language does not say."""
    packages: tuple[str, ...]
    """Packages or tools to install besides the runtime, e.g. ``("openai",)`` or ``("jq",)``."""
    install: str
    """The command installing :attr:`packages` (``pip install openai``); empty when there are none
    or the language names them beside the runtime."""
    file: str
    """The file name to save it as (``example.mjs``)."""
    command: str
    """The command running that file (``node example.mjs``); empty when the language does not say."""


_PACKAGE = re.compile(r"^(?:@[a-z0-9][a-z0-9._-]{0,100}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
"""A package name a page may show (it comes from an untrusted template): npm's and PyPI's shape."""
_ID = re.compile(r"^[a-z][a-z0-9]*$")
"""A language id is a file stem, a filter name and a ``languages`` entry of config.json at once."""
_FILTER = re.compile(r"^[a-z_][a-z0-9_]*$")
_FENCE = re.compile(r"^[^\sA-Z]+$")
_REGISTRY: dict[str, Language] = {}
_LOCK = threading.RLock()
"""Held while the registry changes (the pytest plugin runs examples on threads)."""
_loaded = False
_revision = 0


def _load() -> dict[str, Language]:
    global _loaded
    if not _loaded:
        with _LOCK:
            if not _loaded:
                _loaded = True
                for module in _MODULES:
                    _add(importlib.import_module(f"{__name__}.{module}").LANGUAGE)
    return _REGISTRY


def _add(language: Language) -> None:
    global _revision
    _REGISTRY[language.id] = language
    _revision += 1


def register(language: Language) -> Language:
    """Add ``language`` after the registered ones (last in default tab order) and return it.

    ``UsageError`` if its id is taken or not a lower-case word, or if one of its filter or fence
    names already belongs to another language or to the template environment.
    """
    with _LOCK:
        _check_new(language, _load(), builtin_filter_names())
        _add(language)
    return language


def _check_new(language: Language, langs: dict[str, Language], builtin_filters: set[str]) -> None:
    if not _ID.match(language.id):
        raise UsageError(
            f"bad language id {language.id!r}", hint="lower-case letters and digits, e.g. 'go' or 'ruby'"
        )
    if language.id in langs:
        raise UsageError(f"language {language.id!r} is already registered")
    for name in language.filter_names:
        owner = next((lg.id for lg in all_languages() if name in lg.filter_names), None)
        if not _FILTER.match(name) or name in builtin_filters or owner:
            taken = f" (a filter of {owner})" if owner else ""
            raise UsageError(f"language {language.id!r} cannot provide filter {name!r}{taken}")
    for fence in language.fences:
        claimed = fence_language(fence)
        if claimed is not None or not _FENCE.match(fence):
            why = f"it is {claimed.id}'s" if claimed else "a fence name is one lower-case word"
            raise UsageError(f"language {language.id!r} cannot claim fence {fence!r} ({why})")


def unregister(lang_id: str) -> Language:
    """Remove a language again (e.g. a test's throw-away one) and return it."""
    global _revision
    with _LOCK:
        language = get_language(lang_id)
        del _REGISTRY[lang_id]
        _revision += 1
    return language


def revision() -> int:
    """A number that changes whenever a language is registered or removed (for caches)."""
    _load()
    return _revision


def all_languages() -> list[Language]:
    """Every registered language, in default tab order (a copy: safe to use while one registers)."""
    return list(_load().values())


def get_language(lang_id: str) -> Language:
    """The language with this id; an unknown id lists the known ones."""
    langs = _load()
    if lang_id not in langs:
        raise UsageError(f"unknown language {lang_id!r}; known languages: {', '.join(langs)}")
    return langs[lang_id]


def language_ids() -> list[str]:
    return list(_load())


def fence_language(info: str) -> Language | None:
    """The language of a fenced code block by its info string's first word (``python``, ``sh``)."""
    word = info.split()[0].lower() if info.strip() else ""
    return next((lg for lg in all_languages() if word in lg.fences), None)


def language_named(name: str) -> Language | None:
    """The language ``name`` most likely means (for a hint): an id, a fence name, a label or a
    lexer, in that order, case-insensitive; the first registered language wins a tie."""
    word = name.lower()
    langs = all_languages()
    for names in (
        lambda lg: (lg.id,),
        lambda lg: lg.fences,
        lambda lg: (lg.label.lower(),),
        lambda lg: (lg.lexer,),
    ):
        found = next((lg for lg in langs if word in names(lg)), None)
        if found is not None:
            return found
    return None
