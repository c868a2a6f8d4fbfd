"""Reading OpenAPI files, YAML or JSON, into :class:`~snippetgen.spec.model.Document`s with the line
of every node, parsed once per content per process.

Every reader of a spec (check, site, scaffold, runner, mock) comes through :func:`read_document`.
Parses are cached on a hash of the file's bytes, with the document's :class:`~.refs.Refs`, so a
second command in the same process (check then build, the pytest plugin's mock slots, each rebuild
of ``mkdocs serve``) neither parses nor resolves an unchanged file again. Cached data is shared:
never mutate a document or anything resolved from it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..jsonpos import pointer_lines
from ..model import Location, Problem
from ..pointers import escape
from .model import Document
from .refs import Refs

SUFFIXES = (".yaml", ".yml", ".json")
CACHE_SIZE = 32
"""Parsed contents kept per process, least recently used dropped first. A file read again with a
new content (each save under ``mkdocs serve``) drops its previous content at once, unless another
file still has it: a 3 MB spec parsed and resolved holds about 50 MB."""


# --- YAML and JSON with line numbers --------------------------------------------------------


def load_yaml_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML into JSON-like data plus ``{json_pointer: 1-based line}``.

    Mapping entries are located at their key's line. Keys become strings and timestamps become
    ISO strings, so the result is what a JSON document would hold. Raises ``yaml.YAMLError``.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when installed
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    constructor = yaml.SafeLoader("")

    def build(node: yaml.Node, pointer: str, line: int, depth: int) -> Any:
        lines.setdefault(pointer, line)
        if depth > 200:  # alias cycles
            return None
        if isinstance(node, yaml.MappingNode):
            constructor.flatten_mapping(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                key = _jsonable(key)
                key = key if isinstance(key, str) else json.dumps(key)
                child = f"{pointer}/{escape(key)}"
                out[key] = build(value_node, child, key_node.start_mark.line + 1, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [
                build(item, f"{pointer}/{i}", item.start_mark.line + 1, depth + 1)
                for i, item in enumerate(node.value)
            ]
        return _jsonable(constructor.construct_object(node, deep=True))

    if root is None:
        return None, {"": 1}
    return build(root, "", root.start_mark.line + 1, 0), lines


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def load_json_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse JSON into data plus ``{json_pointer: 1-based line}`` (a member at its value's line).
    Raises ``json.JSONDecodeError``."""
    data = json.loads(text)
    lines = {pointer: line for pointer, (line, _col) in pointer_lines(text).items()}
    lines.setdefault("", 1)
    return data, lines


# --- the parse cache ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """One parsed content: data, lines and resolver, or the syntax error (line, column, message)."""

    document: Any = None
    lines: dict[str, int] | None = None
    refs: Refs | None = None
    error: tuple[int, int, str] | None = None


class Lru:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self.lock = threading.RLock()
        self._items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        with self.lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def discard(self, key: Any) -> None:
        with self.lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self._items.clear()


PARSED = Lru()
"""content digest -> :class:`Parsed`."""
FINDINGS = Lru()
"""(digest, API name, displayed path) -> the validation's problems (see ``spec.load_api``)."""
_latest: dict[Path, str] = {}
"""File (resolved) -> digest of the content it had when last read."""


def parse(data: bytes, kind: str) -> tuple[str, Parsed]:
    """``(digest, parsed)`` for a file's bytes read as ``kind`` (``"yaml"`` or ``"json"``), from the
    cache when this content was parsed before in this process."""
    digest = f"{kind}:{hashlib.sha256(data).hexdigest()}"
    with PARSED.lock:  # one parse per content even when threads ask together
        hit = PARSED.get(digest)
        if hit is None:
            hit = _parse(data, kind)
            PARSED.put(digest, hit)
    return digest, hit


def _parse(data: bytes, kind: str) -> Parsed:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Parsed(error=(0, 0, f"cannot read the spec: {exc}"))
    if kind == "json":
        try:
            document, lines = load_json_with_lines(text)
        except json.JSONDecodeError as exc:
            return Parsed(error=(exc.lineno, exc.colno, f"JSON syntax error: {exc.msg}"))
    else:
        try:
            document, lines = load_yaml_with_lines(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            return Parsed(error=(line, col, f"YAML syntax error: {what}"))
    return Parsed(document, lines, Refs(document))


def _replaced(path: Path, digest: str) -> None:
    """Note that ``path`` now holds ``digest``; drop the content it held before if no file has it."""
    with PARSED.lock:
        previous = _latest.get(path)
        _latest[path] = digest
        if previous is not None and previous != digest and previous not in _latest.values():
            PARSED.discard(previous)


def clear_cache() -> None:
    """Forget every parsed content and finding (tests; a process that must see files as new)."""
    with PARSED.lock:
        PARSED.clear()
        FINDINGS.clear()
        _latest.clear()


# --- files -----------------------------------------------------------------------------------


def display_path(path: Path, display_root: Path | None) -> str:
    """``path`` as problems show it: relative to ``display_root`` (default: the current directory)."""
    base = (display_root or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return str(path)


def spec_files(root: Path) -> list[Path]:
    """The OpenAPI documents (``*.yaml``, ``*.yml``, ``*.json``) of a directory, by name; or ``[root]``
    when it is a file."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(
        (p for p in root.iterdir() if p.suffix in SUFFIXES and p.is_file()), key=lambda p: (p.stem, p.name)
    )


def read_document(path: Path, display_root: Path | None = None) -> tuple[Document | None, list[Problem]]:
    """Parse one file (``.json`` as JSON, anything else as YAML); ``None`` and the reason when it
    cannot be read, does not parse, or its top level is not a mapping."""
    path = Path(path)
    display = display_path(path, display_root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(Location(display), f"cannot read the spec: {exc}", "spec-yaml")]
    digest, parsed = parse(data, "json" if path.suffix == ".json" else "yaml")
    _replaced(path.resolve(), digest)
    if parsed.error is not None:
        line, col, message = parsed.error
        return None, [Problem(Location(display, line, col), message, "spec-yaml")]
    if not isinstance(parsed.document, dict):
        problem = Problem(
            Location(display, 1), "not an OpenAPI document: the top level must be a mapping", "spec-invalid"
        )
        return None, [problem]
    assert parsed.lines is not None and parsed.refs is not None
    return Document(path, parsed.document, parsed.lines, display, digest, parsed.refs), []
