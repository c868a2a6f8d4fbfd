"""Reading OpenAPI files, YAML or JSON, into :class:`~snippetgen.spec.model.Document`s with the line
of every node, parsed once per content per process.

Every reader of a spec (check, site, scaffold, runner, mock) comes through :func:`read_document`.
Parses are cached on a hash of the file's bytes, with the document's :class:`~.refs.Refs`, so a
second command in the same process (check then build, the pytest plugin's mock slots, each rebuild
of ``mkdocs serve``) neither parses nor resolves an unchanged file again. Cached data is shared:
never mutate a document or anything resolved from it.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
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


# --- limits -----------------------------------------------------------------------------------

MAX_DEPTH = 128
"""Deepest nesting of mappings and lists a spec may have. Real documents stay under 30 (openai.yaml:
22): deeper ones are machine-made or hostile, and every recursive reader after this one (the
validators, the ``$ref`` resolver, the mock's compile) must stay far from Python's stack limit."""
MAX_ALIAS_NODES = 1_000_000
"""Nodes YAML aliases may add to a document by repeating what their anchors hold. Nine levels of nine
aliases in 554 bytes expand to 387 million nodes; the whole of openai.yaml is 61,000."""
MAX_SPEC_BYTES = 50 * 1024 * 1024
"""Default size cap of one spec file (``[tool.snippetgen] max_spec_bytes``)."""


def _at(line: int, col: int = 0) -> Location:
    """A place in a content not yet named: contents are parsed once, whatever path shows them, and
    :func:`read_document` names the file."""
    return Location("", line, col)


class Refused(Exception):
    """A parse stopped at a limit, or ended with flaws that make the data unusable."""

    def __init__(self, *flaws: Problem):
        super().__init__(flaws[0].message if flaws else "")
        self.flaws = flaws


def _too_deep(line: int, col: int = 0) -> Problem:
    return Problem(
        _at(line, col),
        f"nested too deep: more than {MAX_DEPTH} levels of mappings and lists",
        "spec-limit",
        hint="real OpenAPI documents nest under 30 levels; share deep schemas through $ref",
    )


# --- YAML and JSON with line numbers --------------------------------------------------------

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


def load_yaml_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML into JSON-like data plus ``{json_pointer: 1-based line}``.

    Mapping entries are located at their key's line. Keys become strings and timestamps become
    ISO strings, so the result is what a JSON document would hold (a date that is not a real date,
    such as ``2024-13-45``, stays the text it is). Merge keys (``<<``) are applied.

    Raises ``yaml.YAMLError`` for syntax, and :class:`Refused` for what no OpenAPI document holds or
    what would not fit in memory: a duplicate key (every one is reported, at its line), a key that is
    a mapping or a list, nesting deeper than :data:`MAX_DEPTH`, aliases that expand past
    :data:`MAX_ALIAS_NODES` nodes or that contain themselves.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when installed
    try:
        root = loader.get_single_node()
    except RecursionError:  # the pure-Python composer nests a call per level
        raise Refused(_too_deep(*_yaml_too_deep(text))) from None
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(getattr(exc, "problem", "")):  # libyaml stops at 1000
            mark = getattr(exc, "problem_mark", None)
            head = text[: mark.index] if mark is not None else text  # the deep part is before the stop
            raise Refused(_too_deep(*_yaml_too_deep(head))) from None
        raise
    finally:
        loader.dispose()
    if root is None:
        return None, {"": 1}
    return _YamlBuilder().run(root)


class _YamlBuilder:
    """Composed YAML nodes to JSON-like data, with the line of every pointer.

    A node reached a second time is an alias of an anchor: its content is built again at each use
    (the data is a tree, as a JSON document's is), and every node built so is counted against
    :data:`MAX_ALIAS_NODES`.
    """

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}
        self.constructor = yaml.SafeLoader("")
        self.seen: set[int] = set()
        self.built = 0
        self.expanding: list[tuple[int, int]] = []
        """(node id, line of its use) of the aliases being expanded, outermost first."""
        self.active: set[int] = set()
        self.flaws: list[Problem] = []

    def run(self, root: yaml.Node) -> tuple[Any, dict[str, int]]:
        data = self.build(root, "", root.start_mark.line + 1, 1)
        if self.flaws:
            raise Refused(*self.flaws)
        return data, self.lines

    def build(self, node: yaml.Node, pointer: str, line: int, depth: int) -> Any:
        self.lines.setdefault(pointer, line)
        self.built += 1
        alias = id(node) in self.seen
        if alias:
            if id(node) in self.active:
                raise Refused(
                    Problem(
                        _at(line, 0),
                        "a YAML alias refers to a node that contains it (a cycle)",
                        "spec-yaml",
                        hint="JSON-like data is a tree: copy the content instead of the alias",
                    )
                )
            if self.built - len(self.seen) > MAX_ALIAS_NODES:
                first = self.expanding[0][1] if self.expanding else line
                raise Refused(
                    Problem(
                        _at(first, 0),
                        f"too many YAML aliases (expands past {MAX_ALIAS_NODES:,} nodes)",
                        "spec-limit",
                        hint="an alias repeats its anchor's whole content; aliases of aliases multiply it",
                    )
                )
        else:
            self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise Refused(_too_deep(line, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        collection = isinstance(node, (yaml.MappingNode, yaml.SequenceNode))
        if alias and collection:
            self.expanding.append((id(node), line))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, pointer, depth)
            # An alias in a list is known by its anchor's place: locate its copy at the list's use.
            return [
                self.build(
                    item,
                    f"{pointer}/{i}",
                    line if id(item) in self.seen else item.start_mark.line + 1,
                    depth + 1,
                )
                for i, item in enumerate(node.value)
            ]
        finally:
            self.active.discard(id(node))
            if alias and collection:
                self.expanding.pop()

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR:
            return node.value
        try:
            value = self.constructor.construct_object(node, deep=True)
        except ValueError:  # a timestamp that is no date (2024-13-45): the text as written
            return node.value
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value

    def mapping(self, node: yaml.MappingNode, pointer: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merges: list[tuple[yaml.Node, int]] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE:
                merges.append((value_node, key_line))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "mapping" if isinstance(key_node, yaml.MappingNode) else "list"
                self.flaws.append(
                    Problem(
                        _at(key_line, key_node.start_mark.column + 1),
                        f"a key that is a {kind}: OpenAPI keys are strings",
                        "spec-yaml",
                    )
                )
                continue
            raw = self.scalar(key_node)
            key = raw if isinstance(raw, str) else json.dumps(raw)
            if key in first_line:
                self.flaws.append(
                    Problem(
                        _at(key_line, key_node.start_mark.column + 1),
                        f"duplicate key '{key}' (first at line {first_line[key]}): "
                        "YAML keeps only the last one",
                        "spec-yaml",
                        hint="merge the two entries or rename one",
                    )
                )
            else:
                first_line[key] = key_line
            out[key] = self.build(value_node, f"{pointer}/{escape(key)}", key_line, depth + 1)
        if not merges:
            return out
        merged: list[dict[str, Any]] = []
        for value_node, key_line in merges:  # after the own keys: their lines win in the line map
            merged += self.merge(value_node, pointer, key_line, depth)
        result: dict[str, Any] = {}
        for part in reversed(merged):  # earlier merged mappings win over later ones, own keys over all
            result.update(part)
        result.update(out)
        return result

    def merge(self, value: yaml.Node, pointer: str, line: int, depth: int) -> list[dict[str, Any]]:
        """The mappings a ``<<`` key merges (one mapping, or a list of them), built at ``pointer``."""
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        parts = []
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.flaws.append(
                    Problem(
                        _at(line, 0), "a merge key (<<) takes a mapping or a list of mappings", "spec-yaml"
                    )
                )
                continue
            parts.append(self.build(source, pointer, line, depth))
        return parts


def _yaml_too_deep(text: str) -> tuple[int, int]:
    """(line, column) where YAML nesting first passes :data:`MAX_DEPTH`, or (0, 0): from the event
    stream (no call per level), libyaml's when it gets that far (its scanner, running ahead, may stop
    at its own limit of 1000 first), else the pure-Python parser's."""
    for loader in (getattr(yaml, "CSafeLoader", None), yaml.SafeLoader):
        if loader is None:
            continue
        depth = 0
        try:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    depth += 1
                    mark = event.start_mark
                    if depth > MAX_DEPTH and mark is not None:
                        return mark.line + 1, mark.column + 1
                elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    depth -= 1
        except yaml.YAMLError:
            pass
    return 0, 0


def load_json_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse JSON into data plus ``{json_pointer: 1-based line}`` (a member at its value's line).

    Raises ``json.JSONDecodeError`` for syntax, and :class:`Refused` for a duplicate key (each one
    located) or nesting deeper than :data:`MAX_DEPTH`.
    """
    duplicated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicated
        out = dict(items)
        duplicated = duplicated or len(out) != len(items)
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except RecursionError:
        raise Refused(_too_deep(*_json_scan(text).deep)) from None
    if duplicated or _depth(data) > MAX_DEPTH:
        scan = _json_scan(text)
        flaws = [
            Problem(
                _at(line, col),
                f"duplicate key '{key}' (first at line {first}): JSON keeps only the last one",
                "spec-yaml",
                hint="merge the two entries or rename one",
            )
            for key, line, col, first in scan.duplicates
        ]
        if scan.deep != (0, 0):
            flaws.append(_too_deep(*scan.deep))
        if flaws:
            raise Refused(*flaws)
    lines = {pointer: line for pointer, (line, _col) in pointer_lines(text).items()}
    lines.setdefault("", 1)
    return data, lines


def _depth(data: Any) -> int:
    """How deep mappings and lists nest in ``data`` (a walk without recursion)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return deepest


@dataclass
class _JsonScan:
    duplicates: list[tuple[str, int, int, int]] = field(default_factory=list)
    """(key, line, column, line of the first) of each repeated key of an object."""
    deep: tuple[int, int] = (0, 0)
    """(line, column) of the first bracket past :data:`MAX_DEPTH`, or (0, 0)."""


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')


def _json_scan(text: str) -> _JsonScan:
    """Locate duplicate keys and over-deep nesting in JSON text (run only when parsing found one)."""
    scan = _JsonScan()
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    stack: list[dict[str, int] | None] = []  # per open bracket: an object's keys -> line, or None
    expect_key = False
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "{[":
            stack.append({} if token == "{" else None)
            expect_key = token == "{"
            if len(stack) > MAX_DEPTH and scan.deep == (0, 0):
                scan.deep = where(match.start())
        elif token in "}]":
            if stack:
                stack.pop()
            expect_key = False
        elif token == ",":
            expect_key = bool(stack) and stack[-1] is not None
        elif token == ":":
            expect_key = False
        elif expect_key and stack and stack[-1] is not None:
            keys = stack[-1]
            key = json.loads(token)
            line, col = where(match.start())
            if key in keys:
                scan.duplicates.append((key, line, col, keys[key]))
            else:
                keys[key] = line
            expect_key = False
    return scan


# --- the parse cache ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """One parsed content: data, lines and resolver, or why it cannot be used (each flaw located)."""

    document: Any = None
    lines: dict[str, int] | None = None
    refs: Refs | None = None
    flaws: tuple[Problem, ...] = ()


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
        return Parsed(flaws=(Problem(_at(0, 0), f"cannot read the spec: {exc}", "spec-yaml"),))
    try:
        if kind == "json":
            try:
                document, lines = load_json_with_lines(text)
            except json.JSONDecodeError as exc:
                return Parsed(
                    flaws=(Problem(_at(exc.lineno, exc.colno), f"JSON syntax error: {exc.msg}", "spec-yaml"),)
                )
        else:
            try:
                document, lines = load_yaml_with_lines(text)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
                line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
                what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                return Parsed(flaws=(Problem(_at(line, col), f"YAML syntax error: {what}", "spec-yaml"),))
    except Refused as exc:
        return Parsed(flaws=exc.flaws)
    return Parsed(document, lines, Refs(document), _version_flaws(document, lines))


VERSIONS = ("3.0", "3.1", "3.2")
"""The OpenAPI versions snippetgen reads (``openapi: 3.1.0``): the ones its validator knows."""


def _version_flaws(document: Any, lines: dict[str, int]) -> tuple[Problem, ...]:
    """Why a parsed document is not one snippetgen reads, if it is not: the same refusal for every
    command (check, build, new, the mock), at the line of the ``openapi`` (or ``swagger``) field."""
    if not isinstance(document, dict):
        return (
            Problem(_at(1, 0), "not an OpenAPI document: the top level must be a mapping", "spec-version"),
        )
    if "swagger" in document and "openapi" not in document:
        return (
            Problem(
                _at(lines.get("/swagger", 1), 0),
                f"Swagger {document['swagger']} is not supported: snippetgen reads OpenAPI 3.0, 3.1 and 3.2",
                "spec-version",
                hint="convert it to OpenAPI 3 once and keep the result, e.g. "
                "`npx swagger2openapi swagger.yaml -o openapi.yaml` or https://converter.swagger.io",
            ),
        )
    version = document.get("openapi")
    if version is None:  # the check's validation says so; the mock serves a bare `paths` as it can
        return ()
    if not str(version).startswith(tuple(v + "." for v in VERSIONS)) and str(version) not in VERSIONS:
        return (
            Problem(
                _at(lines.get("/openapi", 1), 0),
                f"OpenAPI {version} is not supported: snippetgen reads OpenAPI 3.0, 3.1 and 3.2",
                "spec-version",
            ),
        )
    return ()


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


def read_document(
    path: Path, display_root: Path | None = None, *, max_bytes: int = MAX_SPEC_BYTES
) -> tuple[Document | None, list[Problem]]:
    """Parse one file (``.json`` as JSON, anything else as YAML); ``None`` and the reasons when it
    cannot be read, is larger than ``max_bytes``, does not parse, passes a parsing limit (nesting,
    aliases), repeats a key, or is not an OpenAPI 3 document (Swagger 2.0 included)."""
    path = Path(path)
    display = display_path(path, display_root)
    try:
        with path.open("rb") as handle:  # never more than the cap, whatever the file claims
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return None, [Problem(Location(display), f"cannot read the spec: {exc}", "spec-yaml")]
    if len(data) > max_bytes:
        problem = Problem(
            Location(display, 1),
            f"the spec is over the size cap: more than {_size(max_bytes)}",
            "spec-limit",
            hint="raise [tool.snippetgen] max_spec_bytes in pyproject.toml if it is a real spec",
        )
        return None, [problem]
    digest, parsed = parse(data, "json" if path.suffix == ".json" else "yaml")
    _replaced(path.resolve(), digest)
    if parsed.flaws:
        return None, [replace(flaw, location=replace(flaw.location, path=display)) for flaw in parsed.flaws]
    assert isinstance(parsed.document, dict) and parsed.lines is not None and parsed.refs is not None
    return Document(path, parsed.document, parsed.lines, display, digest, parsed.refs), []


def _size(n: int) -> str:
    """``2,000 bytes``, ``52,428,800 bytes (50 MB)``."""
    mb = n / 1024**2
    return f"{n:,} bytes" + (f" ({mb:g} MB)" if n >= 1024**2 and mb == int(mb) else "")
