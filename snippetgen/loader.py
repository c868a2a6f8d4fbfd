"""The only reader of snippet files: ``<snippets>/<group>/<name>/{config.json,<lang>.jinja}``.

``load_catalog`` never stops at the first bad snippet: it returns every snippet it could load
and a problem for each thing it could not.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from .jsonpos import pointer_lines
from .languages import language_ids, language_named
from .model import Location, Problem, Snippet, Template

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Allow-list for group and snippet names: lower-case kebab-case."""
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "snippet-config.schema.json"
IGNORED_FILES = {"README.md", ".DS_Store"}
IGNORED_DIRS = {"fixtures"}


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


def _folder_problem(kind: str, folder: Path, root: Path, rel) -> Problem | None:
    """A group or snippet folder must stay inside the catalog and have a kebab-case name."""
    if not _inside(folder, root):
        return Problem(
            Location(rel(folder)),
            "folder resolves outside the snippets root",
            "outside-root",
            hint="snippets must be real folders inside the catalog, not symlinks to elsewhere",
        )
    return check_name(kind, folder.name, Location(rel(folder)))


def load_catalog(snippets_dir: Path, display_root: Path | None = None) -> tuple[Catalog, list[Problem]]:
    """Load every snippet below ``snippets_dir``; paths in problems are relative to ``display_root``."""
    display_root = display_root or snippets_dir.parent
    catalog = Catalog(snippets_dir)
    problems: list[Problem] = []

    def rel(path: Path) -> str:
        try:
            return str(path.relative_to(display_root))
        except ValueError:
            return str(path)

    if not snippets_dir.is_dir():
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
            snippet, found = load_snippet(snippet_dir, f"{group_dir.name}.{snippet_dir.name}", rel)
            problems.extend(found)
            if snippet is not None:
                catalog.snippets[snippet.key] = snippet
    return catalog, problems


def load_snippet(directory: Path, key: str, rel) -> tuple[Snippet | None, list[Problem]]:
    problems: list[Problem] = []
    config_path = directory / "config.json"
    cfg_loc = rel(config_path)
    if not config_path.is_file():
        problems.append(Problem(Location(rel(directory)), f"snippet {key!r} has no config.json", "no-config"))
        return None, problems
    text = config_path.read_text(encoding="utf-8", errors="replace")
    try:
        config: Any = json.loads(text)
    except json.JSONDecodeError as exc:
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
    for error in sorted(
        config_validator().iter_errors(config), key=lambda e: list(map(str, e.absolute_path))
    ):
        pointer = "".join(f"/{p}" for p in error.absolute_path)
        problems.append(_schema_problem(error, pointer, cfg_loc, lines))
    if not isinstance(config, dict):
        return None, problems

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


def _schema_problem(error: jsonschema.ValidationError, pointer: str, path: str, lines: dict) -> Problem:
    line, col = lines.get(pointer, lines.get("", (1, 1)))
    where = pointer or "/"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        for key in extra:
            if f"{pointer}/{key}" in lines:
                line, col = lines[f"{pointer}/{key}"]
                break
        allowed = ", ".join(error.schema.get("properties", {}))
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
