"""The only reader of snippet files: ``<snippets>/<group>/<name>/{config.json,<lang>.jinja}``.

``load_catalog`` never stops at the first bad snippet: it returns every snippet it could load
and a problem for each thing it could not.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from . import vartypes
from .jsonpos import pointer_lines
from .languages import language_ids, language_named
from .model import Location, Problem, Snippet, Template

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Allow-list for group and snippet names: lower-case kebab-case."""
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "snippet-config.schema.json"
IGNORED_FILES = {"README.md", ".DS_Store"}
IGNORED_DIRS = {"fixtures"}
MAX_CONFIG_BYTES = 1024 * 1024
"""Default size cap of a config.json or template (``max_config_bytes`` in ``[tool.snippetgen]``)."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects in a config.json (or a JSON ``data-*`` value)."""
_JSON_SPECIAL = re.compile(r'["\\\[\]{}]')
PATH_LISTS = ("fixtures", "expect_files")
"""``test`` lists whose entries are plain file names in the example's folder."""


def json_depth_problem(text: str, limit: int = MAX_JSON_DEPTH) -> tuple[str, int, int] | None:
    """(message, line, col) when JSON text nests arrays and objects deeper than ``limit``; None
    otherwise. One linear pass (strings skipped), before a recursive parser could exhaust the stack."""
    depth = 0
    in_string = False
    escaped_at = -1  # the character after a backslash inside a string is never special
    for match in _JSON_SPECIAL.finditer(text):
        offset, char = match.start(), match.group()
        if in_string:
            if offset == escaped_at:
                continue
            if char == "\\":
                escaped_at = offset + 1
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                line = text.count("\n", 0, offset) + 1
                col = offset - (text.rfind("\n", 0, offset) + 1) + 1
                return f"nested more than {limit} levels deep", line, col
        elif char in "]}":
            depth -= 1
    return None


def _size_problem(path: Path, shown: str, limit: int, what: str) -> Problem | None:
    """A file over the size cap, said before it is read."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size <= limit:
        return None
    return Problem(
        Location(shown, 1),
        f"{what} is {size:,} bytes, over the limit of {limit:,}",
        "too-large",
        hint="raise max_config_bytes in [tool.snippetgen] of pyproject.toml if it really must be this big",
    )


@functools.cache
def config_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@dataclass
class Catalog:
    """Every snippet that loaded, by key, plus where the catalog lives."""

    root: Path
    """The snippets folder."""
    snippets: dict[str, Snippet] = field(default_factory=dict)

    def get(self, key: str) -> Snippet | None:
        return self.snippets.get(key)

    def suggest(self, key: str) -> list[str]:
        return difflib.get_close_matches(key, list(self.snippets), n=3, cutoff=0.5)


def check_name(kind: str, name: str, location: Location) -> Problem | None:
    """A group or snippet folder name must be kebab-case; ``_`` gets a hint, not a rewrite."""
    if NAME_RE.match(name):
        return None
    hint = None
    fixed = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if "_" in name or name != name.lower():
        hint = f"rename the folder to {fixed!r}"
    return Problem(
        location,
        f"{kind} name {name!r} is not kebab-case",
        "bad-name",
        expected="lower-case letters, digits and single dashes, e.g. 'text-to-video'",
        found=repr(name),
        hint=hint,
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _folder_problem(kind: str, folder: Path, root: Path, rel: Callable[[Path], str]) -> Problem | None:
    """A group or snippet folder must stay inside the catalog and have a kebab-case name."""
    if not _inside(folder, root):
        return Problem(
            Location(rel(folder)),
            "folder resolves outside the snippets root",
            "outside-root",
            hint="snippets must be real folders inside the catalog, not symlinks to elsewhere",
        )
    return check_name(kind, folder.name, Location(rel(folder)))


def load_catalog(
    snippets_dir: Path,
    display_root: Path | None = None,
    *,
    max_config_bytes: int = MAX_CONFIG_BYTES,
    missing_ok: bool = False,
) -> tuple[Catalog, list[Problem]]:
    """Load every snippet below ``snippets_dir``; paths in problems are relative to ``display_root``.

    A config.json or template larger than ``max_config_bytes`` is refused before it is read. A
    missing folder is a problem (``no-catalog``) unless ``missing_ok``: a project that has specs
    but no snippet yet (reference pages only, or before ``snippetgen new``) has an empty catalog.
    """
    display_root = display_root or snippets_dir.parent
    catalog = Catalog(snippets_dir)
    problems: list[Problem] = []

    def rel(path: Path) -> str:
        try:
            return str(path.relative_to(display_root))
        except ValueError:
            return str(path)

    if not snippets_dir.is_dir():
        if missing_ok:
            return catalog, problems
        problems.append(Problem(Location(rel(snippets_dir)), "snippets folder not found", "no-catalog"))
        return catalog, problems

    for group_dir in sorted(p for p in snippets_dir.iterdir() if not p.name.startswith(".")):
        if not group_dir.is_dir():
            continue
        if bad := _folder_problem("group", group_dir, snippets_dir, rel):
            problems.append(bad)
            continue
        for snippet_dir in sorted(p for p in group_dir.iterdir() if not p.name.startswith(".")):
            if not snippet_dir.is_dir():
                problems.append(
                    Problem(
                        Location(rel(snippet_dir)),
                        "unexpected file in a group folder",
                        "stray-file",
                        expected=f"folders {group_dir.name}/<name>/ holding config.json and <lang>.jinja",
                    )
                )
                continue
            if bad := _folder_problem("snippet", snippet_dir, snippets_dir, rel):
                problems.append(bad)
                continue
            snippet, found = load_snippet(
                snippet_dir, f"{group_dir.name}.{snippet_dir.name}", rel, max_config_bytes
            )
            problems.extend(found)
            if snippet is not None:
                catalog.snippets[snippet.key] = snippet
    return catalog, problems


def load_snippet(
    directory: Path, key: str, rel: Callable[[Path], str], max_config_bytes: int = MAX_CONFIG_BYTES
) -> tuple[Snippet | None, list[Problem]]:
    problems: list[Problem] = []
    config_path = directory / "config.json"
    cfg_loc = rel(config_path)
    if config_path.is_symlink() and not _inside(config_path, directory):
        problems.append(
            Problem(
                Location(cfg_loc),
                "config.json is a symlink out of the snippet folder",
                "outside-root",
                hint="snippets are read only from inside the snippets folder; copy the file instead",
            )
        )
        return None, problems
    if not config_path.is_file():
        problems.append(Problem(Location(rel(directory)), f"snippet {key!r} has no config.json", "no-config"))
        return None, problems
    too_big = _size_problem(config_path, cfg_loc, max_config_bytes, "config.json")
    if too_big is not None:
        return None, [too_big]
    text = config_path.read_text(encoding="utf-8", errors="replace")
    deep = json_depth_problem(text)
    if deep is not None:
        message, line, col = deep
        problems.append(
            Problem(
                Location(cfg_loc, line, col),
                f"config.json is {message}",
                "too-deep",
                hint=f"a config.json holds titles and example values: at most {MAX_JSON_DEPTH} levels",
            )
        )
        return None, problems
    try:
        config: Any = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        if isinstance(exc, RecursionError):  # not reached with the depth check; kept as a guard
            problems.append(Problem(Location(cfg_loc, 1), "config.json nests too deeply", "too-deep"))
            return None, problems
        problems.append(
            Problem(
                Location(cfg_loc, exc.lineno, exc.colno),
                f"invalid JSON: {exc.msg}",
                "config-json",
                hint="config.json is plain JSON: no comments, no trailing commas",
            )
        )
        return None, problems
    lines = pointer_lines(text)
    found_unsafe = _path_problems(config, directory, cfg_loc, lines)
    reported = {pointer for pointer, _ in found_unsafe}
    unsafe = [problem for _, problem in found_unsafe]
    for error in sorted(
        config_validator().iter_errors(config), key=lambda e: list(map(str, e.absolute_path))
    ):
        pointer = "".join(f"/{p}" for p in error.absolute_path)
        if pointer in reported:
            continue  # an unsafe path, said once by _path_problems
        problems.append(_schema_problem(error, pointer, cfg_loc, lines))
    problems += unsafe
    if not isinstance(config, dict) or unsafe:
        return None, problems  # a snippet with an unsafe path is never run (nor copied from)

    known = language_ids()
    templates: dict[str, Template] = {}
    for file in sorted(directory.iterdir()):
        if file.name in IGNORED_FILES or file.name.startswith(".") or file.name == "config.json":
            continue
        if file.is_dir():
            if file.name not in IGNORED_DIRS:
                problems.append(
                    Problem(
                        Location(rel(file)),
                        "unexpected folder in a snippet",
                        "stray-file",
                        expected="config.json, <lang>.jinja and an optional fixtures/ folder",
                    )
                )
            continue
        if not _inside(file, directory):
            problems.append(
                Problem(Location(rel(file)), "file resolves outside the snippets root", "outside-root")
            )
            continue
        if not file.is_file():  # a FIFO or device would block or never end
            problems.append(
                Problem(
                    Location(rel(file)),
                    "not a regular file",
                    "stray-file",
                    expected="config.json, <lang>.jinja and an optional fixtures/ folder",
                )
            )
            continue
        if file.suffix == ".hbs":
            problems.append(
                Problem(
                    Location(rel(file)),
                    "Handlebars template in a Jinja catalog",
                    "stray-file",
                    hint="convert it with `snippetgen import-hbs`",
                )
            )
            continue
        if file.suffix != ".jinja":
            problems.append(
                Problem(
                    Location(rel(file)),
                    "unexpected file in a snippet",
                    "stray-file",
                    expected="config.json, <lang>.jinja and an optional fixtures/ folder",
                )
            )
            continue
        lang = file.stem
        if lang not in known:
            meant = language_named(lang)  # python.jinja, bash.jinja, node.jinja, ...
            close = [meant.id] if meant else difflib.get_close_matches(lang, known, n=1)
            problems.append(
                Problem(
                    Location(rel(file)),
                    f"unknown language {lang!r}",
                    "unknown-language",
                    expected=f"one of: {', '.join(known)}",
                    found=lang,
                    hint=f"did you mean {close[0]}.jinja?" if close else None,
                )
            )
            continue
        too_big = _size_problem(file, rel(file), max_config_bytes, f"{file.name}")
        if too_big is not None:
            problems.append(too_big)
            continue
        templates[lang] = Template(lang, Path(rel(file)), file.read_text(encoding="utf-8", errors="replace"))

    order = config.get("languages") if isinstance(config.get("languages"), list) else None
    if order:
        for lang in order:
            if lang not in templates:
                problems.append(
                    Problem(
                        Location(cfg_loc, *lines.get("/languages", (1, 1))),
                        f"languages lists {lang!r} but there is no {lang}.jinja",
                        "missing-template",
                    )
                )
        ordered = {lang: templates[lang] for lang in order if lang in templates}
        ordered.update({k: v for k, v in templates.items() if k not in ordered})
    else:
        ordered = {lang: templates[lang] for lang in known if lang in templates}
    if not ordered:
        problems.append(
            Problem(
                Location(rel(directory)),
                f"snippet {key!r} has no templates",
                "missing-template",
                expected=f"at least one of: {', '.join(f'{k}.jinja' for k in known)}",
            )
        )
    snippet = Snippet(
        key=key,
        directory=directory,
        config_path=Path(cfg_loc),
        config=config,
        templates=ordered,
        config_lines={k: v[0] for k, v in lines.items()},
    )
    return snippet, problems


def _path_problems(config: Any, directory: Path, cfg_loc: str, lines: dict) -> list[tuple[str, Problem]]:
    """``test.fixtures`` and ``test.expect_files`` name plain files in the example's folder: no
    ``/``, ``..``, NUL; a fixture of the snippet's own ``fixtures/`` folder stays inside the snippet.

    Each problem comes with its JSON pointer (so the schema's own message is not repeated).
    """
    test = config.get("test") if isinstance(config, dict) else None
    if not isinstance(test, dict):
        return []
    problems = []
    for key in PATH_LISTS:
        entries = test.get(key)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            pointer = f"/test/{key}/{index}"
            line, col = lines.get(pointer, lines.get(f"/test/{key}", (1, 1)))
            why = vartypes.FILE_NAME.problem(entry)
            if why is None and key == "fixtures":
                own = directory / "fixtures" / entry
                if (own.exists() or own.is_symlink()) and not _inside(own, directory):
                    why = f"fixtures/{entry} resolves outside the snippet folder"
            if why is not None:
                problems.append(
                    (
                        pointer,
                        Problem(
                            Location(cfg_loc, line, col),
                            f"test.{key}[{index}]: {why}",
                            "unsafe-path",
                            expected=vartypes.FILE_NAME.expected,
                        ),
                    )
                )
    return problems


def _schema_problem(error: jsonschema.ValidationError, pointer: str, path: str, lines: dict) -> Problem:
    line, col = lines.get(pointer, lines.get("", (1, 1)))
    where = pointer or "/"
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        instance = error.instance if isinstance(error.instance, dict) else {}
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        for key in extra:
            if f"{pointer}/{key}" in lines:
                line, col = lines[f"{pointer}/{key}"]
                break
        allowed = ", ".join(schema.get("properties", {}))
        return Problem(
            Location(path, line, col),
            f"unknown key {', '.join(map(repr, extra))} at {where}",
            "config-schema",
            expected=f"one of: {allowed}",
            found=", ".join(extra),
        )
    if error.validator == "required":
        return Problem(Location(path, line, col), f"{where}: {error.message}", "config-schema")
    if error.validator == "propertyNames":
        return Problem(
            Location(path, line, col),
            f"{where}: invalid variable name {error.instance!r}",
            "config-schema",
            expected="a name like 'model' or 'baseUrl' ('name' is reserved)",
            found=repr(error.instance),
        )
    expected = None
    if error.validator in ("type", "enum", "pattern", "const", "minLength", "minItems", "uniqueItems"):
        expected = f"{error.validator} {json.dumps(error.validator_value)}"
    return Problem(
        Location(path, line, col),
        f"{where}: {error.message}",
        "config-schema",
        expected=expected,
        found=json.dumps(error.instance)[:120],
    )
