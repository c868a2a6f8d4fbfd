"""Authoring helpers behind ``snippetgen new`` and ``snippetgen run`` (pure core, no click).

``new_snippet`` writes a scaffolded snippet into the catalog; ``run_snippet`` runs one snippet's
defaults against a fresh mock in one or every language; ``format_run`` shows what happened.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import progress
from .errors import RenderError, UsageError
from .languages import get_language
from .loader import SCHEMA_PATH, check_name
from .model import Location, Problem, Snippet
from .project import Project
from .render import snippet_variables, variables_for
from .runner import Example, Runner
from .runner.run import request_log_lines, sample_file, shorten_line
from .runner.verify import tab_drift
from .scaffold import LANGS, scaffold
from .scaffold.plan import kebab
from .secrets import mask
from .spec import Operation, SpecSet, load_specs
from .workspace import Workspace, load_workspace

MOCK_POLLS_PER_PHASE = 1
MOCK_STREAM_INTERVAL = 0.01


def split_key(key: str) -> tuple[str, str]:
    """``group/name`` or ``group.name`` -> (group, name), both checked to be kebab-case."""

    text = key.strip().strip("/")
    sep = "/" if "/" in text else "."
    group, _, name = text.partition(sep)
    if not group or not name or "/" in name or "." in name:
        raise UsageError(
            f"bad snippet key {key!r}", hint="write it as group/name or group.name, e.g. kling/text-to-video"
        )
    for kind, value in (("group", group), ("snippet", name)):
        problem = check_name(kind, value, Location(key))
        if problem is not None:
            hint = (problem.hint or "").replace("rename the folder to", "call it") or None
            raise UsageError(f"{problem.message}; expected {problem.expected}", hint=hint)
    return group, name


def _specs(project: Project) -> SpecSet:
    if not project.specs_dir.is_dir():
        raise UsageError(
            f"no specs folder at {project.rel(project.specs_dir)}",
            hint="put the OpenAPI documents in shared/openapi/ "
            "or set `specs` in [tool.snippetgen] of pyproject.toml",
        )
    specs, _ = load_specs(project.specs_dir, project.root)
    return specs


def new_snippet(
    project: Project,
    key: str,
    ref: str,
    langs: list[str] | None = None,
    force: bool = False,
    *,
    specs: SpecSet | None = None,
) -> list[Path]:
    """Write ``<snippets>/<group>/<name>/{config.json,<lang>.jinja}`` scaffolded from operation ``ref``.

    Upload fixtures named in ``test.fixtures`` are written to its ``fixtures/`` folder (an existing
    one is kept). ``specs`` (a loaded ``SpecSet``) saves reading the specs again when many snippets
    are made at once. With ``force`` an existing snippet's files are replaced, but only the ones
    written here: templates of other languages stay. Nothing is written through a symlink or outside
    the snippets folder, and each file is replaced whole (written beside it, then renamed).
    Returns the files written, in order.
    """

    group, name = split_key(key)
    folder = project.snippets_dir / group / name
    if folder.exists() and not force:
        raise UsageError(
            f"snippet {group}.{name} already exists at {project.rel(folder)}",
            hint="pick another name, or pass --force to replace its config.json and the templates "
            "of the languages asked for (other files stay)",
        )
    _refuse_outside(project, folder)
    schema_ref = None
    try:
        SCHEMA_PATH.resolve().relative_to(project.root.resolve())
        schema_ref = Path(os.path.relpath(SCHEMA_PATH.resolve(), folder.resolve())).as_posix()
    except ValueError:
        pass
    specs = specs if specs is not None else _specs(project)
    docs = project.docs_dir
    pages = {path.relative_to(docs).as_posix() for path in docs.rglob("*.md")} if docs.is_dir() else set()
    base_url = project.api(ref.partition(":")[0].strip()).base_url
    files = scaffold(
        specs,
        ref,
        f"{group}.{name}",
        list(langs or LANGS),
        schema_ref=schema_ref,
        pages=pages,
        base_url=base_url,
    )
    fixtures = json.loads(files["config.json"]).get("test", {}).get("fixtures", [])
    targets = [folder / rel for rel in files] + [folder / "fixtures" / f for f in fixtures]
    for path in targets:
        _refuse_outside(project, path)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for rel, text in files.items():
        path = folder / rel
        _write_whole(path, text.encode("utf-8"))
        written.append(path)
    for fixture in fixtures:
        path = folder / "fixtures" / fixture
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_whole(path, sample_file(fixture))
            written.append(path)
    return written


def _refuse_outside(project: Project, path: Path) -> None:
    """``snippetgen new`` writes only regular files inside the snippets folder, never through a link."""
    root = project.snippets_dir.resolve()
    if path.is_symlink() or not path.resolve().is_relative_to(root):
        raise UsageError(
            f"{project.rel(path)} is a symlink or leads out of the snippets folder; snippetgen new "
            "does not write through it",
            hint="remove the link, or pick another name",
        )


def _write_whole(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` at once: a crash leaves the old file or the new one, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass
class Scaffolded:
    """What ``new --all`` did for one operation: the files it wrote, or why it wrote none."""

    ref: str
    key: str
    written: list[Path] = field(default_factory=list)
    skipped: str = ""
    """Why nothing was written (the snippet exists, the operation cannot be scaffolded)."""
    exists: bool = False
    """Skipped only because the snippet is already there (and ``force`` was not given)."""


def snippet_key(api: str, op: Operation) -> str:
    """``<api>/<operationId in kebab-case>``; an operation without one is named by method and path
    (``GET /pets/{id}`` -> ``get-pets-id``)."""
    return f"{kebab(api) or 'api'}/{kebab(op.operation_id) or 'operation'}"


def new_all(
    project: Project,
    api: str,
    langs: list[str] | None = None,
    force: bool = False,
    *,
    specs: SpecSet | None = None,
) -> list[Scaffolded]:
    """Scaffold a snippet for every operation of ``api``, reading the specs once.

    Each operation gets ``<api>/<operationId in kebab-case>`` (two operations whose names meet get
    ``-2``, ``-3``...). An existing snippet is kept unless ``force``; an operation that cannot be
    scaffolded is reported with its reason and the others are still written.
    """
    refused = []
    if specs is None and not project.specs_dir.is_dir():
        specs = _specs(project)  # raises the UsageError for a missing specs folder, with its hint
    if specs is None:
        specs, problems = load_specs(project.specs_dir, project.root)
        refused = [p for p in problems if Path(p.location.path).stem == api and api not in specs.apis]
    if refused:  # its document exists but cannot be used (Swagger 2.0, unparseable...): say why
        raise UsageError(f"API {api!r} cannot be scaffolded: {refused[0].format()}")
    if api not in specs.apis:
        close = difflib.get_close_matches(api, list(specs.apis), n=1)
        known = ", ".join(sorted(specs.apis)) or "(none: no specs were found)"
        raise UsageError(
            f"unknown API {api!r}", hint=f"did you mean {close[0]!r}?" if close else f"the APIs are: {known}"
        )
    langs = list(langs or LANGS)
    results: list[Scaffolded] = []
    taken: set[str] = set()
    for op in progress.step(f"scaffolding {api}", specs.apis[api].operations):
        base = snippet_key(api, op)
        key, n = base, 2
        while key in taken:
            key, n = f"{base}-{n}", n + 1
        taken.add(key)
        result = Scaffolded(op.ref, key)
        group, name = split_key(key)
        if (project.snippets_dir / group / name).exists() and not force:
            result.skipped, result.exists = "already exists (pass --force to replace it)", True
        else:
            try:
                result.written = new_snippet(project, key, op.ref, langs, force, specs=specs)
            except UsageError as exc:
                result.skipped = str(exc)
            except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
                result.skipped = f"cannot be scaffolded: {type(exc).__name__}: {exc}"
        results.append(result)
    return results


# --- run -----------------------------------------------------------------------------------------


def _find_snippet(ws: Workspace, problems: list[Problem], key: str) -> Snippet:
    group, name = split_key(key)
    snippet = ws.catalog.get(f"{group}.{name}")
    if snippet is not None:
        return snippet
    folder = f"{group}/{name}/"
    own = [p for p in problems if folder in p.location.path]
    if own:
        details = "\n".join("    " + line for p in own for line in p.format().splitlines())
        raise UsageError(
            f"snippet {group}.{name} cannot be loaded:\n{details}",
            hint="fix the problems above; `snippetgen check` lists them all",
        )
    close = ws.catalog.suggest(f"{group}.{name}")
    raise UsageError(
        f"unknown snippet {group}.{name}",
        hint=f"did you mean {' or '.join(close)}?"
        if close
        else f"create it with `snippetgen new {group}/{name} --operation api:operationId`",
    )


def _check_sets(snippet: Snippet, sets: dict[str, Any]) -> None:

    known = snippet_variables(snippet)
    for name in sets:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            raise UsageError(
                f"--set {name}: {snippet.key} has no variable {name!r}",
                hint=f"did you mean {close[0]}?"
                if close
                else f"its variables are: {', '.join(sorted(known)) or '(none)'}",
            )
    try:
        variables_for(snippet, sets)
    except RenderError as exc:
        raise UsageError(
            f"--set: {exc.message}",
            location=Location(str(snippet.config_path)),
            hint="a non-string default needs JSON of the same type, e.g. --set steps=50",
        ) from None


def run_snippet(
    project: Project,
    key: str,
    lang: str | None = None,
    sets: dict[str, Any] | None = None,
    *,
    timeout: float | None = None,
    notice: Callable[[str], None] | None = None,
) -> list[Any]:
    """Run ``key``'s defaults (with ``sets`` applied like a page embed's ``data-*``) against the mock.

    Returns one :class:`~snippetgen.runner.Outcome` per language; tabs that passed are also compared
    with each other (the same requests), a difference failing the later tab. ``notice`` is told,
    once, when the examples run without kernel isolation and why (``sandbox = "required"`` raises
    a :class:`~snippetgen.errors.UsageError` instead).
    """
    from .mock import MockServer, MockSettings  # the server pulls in uvicorn

    sets = dict(sets or {})
    ws, problems = load_workspace(project)
    snippet = _find_snippet(ws, problems, key)
    if lang is not None:
        get_language(lang)
        if lang not in snippet.templates:
            raise UsageError(
                f"snippet {snippet.key} has no {lang}.jinja",
                hint=f"it has: {', '.join(snippet.templates) or 'no templates'}",
            )
    langs = [lang] if lang else list(snippet.templates)
    if not langs:
        raise UsageError(
            f"snippet {snippet.key} has no templates", location=Location(str(snippet.config_path))
        )
    _check_sets(snippet, sets)
    if ws.specs is None:
        raise UsageError(
            f"no specs folder at {project.rel(project.specs_dir)}", hint="the mock is built from the specs"
        )
    settings = MockSettings(polls_per_phase=MOCK_POLLS_PER_PHASE, stream_interval=MOCK_STREAM_INTERVAL)
    mock = MockServer(project.specs_dir, settings=settings).start()
    try:
        runner = Runner(ws, mock, node_modules=project.node_modules, timeout=timeout)
    except BaseException:
        mock.stop()
        raise
    if runner.unisolated and notice is not None:
        notice(f"examples run without kernel isolation: {runner.unisolated}")
    try:
        usage = f"{snippet.config_path}::{snippet.key}"
        where = Location(str(snippet.config_path), 1)
        examples = [Example(usage, one, where, snippet, dict(sets)) for one in langs]
        outcomes = run_examples(runner, mock, examples)
    finally:
        runner.close()
        mock.stop()
    compare_tabs(outcomes)
    return outcomes


def run_examples(runner: Any, mock: Any, examples: list[Any]) -> list[Any]:
    """Run examples one after another on ``runner`` (the mock logs each request before answering
    it, so every outcome holds exactly its own requests)."""
    del mock
    return [runner.run(example) for example in examples]


def compare_tabs(outcomes: list[Any]) -> None:
    """Fail a passing tab that sent other requests than the first passing tab (field named)."""

    passed = [o for o in outcomes if o.passed]
    for other in passed[1:]:
        other.failures += tab_drift(other, passed[0])


def _tail(text: str, lines: int) -> list[str]:
    body = text.rstrip().splitlines()
    return body[-lines:] if len(body) > lines else body


def format_run(outcomes: list[Any], tail: int = 20) -> str:
    """Per language: PASS/FAIL with failures, the output's last lines, and the mock's request log."""

    out: list[str] = []
    for o in outcomes:
        ex = o.example
        label = get_language(ex.lang).label
        seconds = f" in {o.process.seconds:.1f} s" if o.process is not None else ""
        out.append(
            f"== {ex.snippet.key if ex.snippet else ex.usage} [{ex.lang}] {label}: "
            f"{'PASS' if o.passed else 'FAIL'}{seconds}"
        )
        if ex.snippet is not None and ex.lang in ex.snippet.templates:
            out.append(f"   template: {ex.snippet.templates[ex.lang].path}")
        for failure in o.failures:
            out.append(f"   - {failure}")
        if o.process is not None:
            for name, text in (("stdout", o.process.stdout), ("stderr", o.process.stderr)):
                lines = _tail(text, tail)
                if lines:
                    total = len(text.rstrip().splitlines())
                    more = f", last {len(lines)} of {total} lines" if total > len(lines) else ""
                    out.append(f"   {name}{more}:")
                    out += [f"   | {shorten_line(line)}" for line in lines]
        if o.requests:
            out.append(
                "   proxy requests:" if any(r.get("live") for r in o.requests) else "   mock requests:"
            )
            out += request_log_lines(o.requests, indent="     ")
        else:
            out.append("   mock requests: (none)")
        out.append("")
    passed = sum(o.passed for o in outcomes)
    out.append(f"{passed} of {len(outcomes)} passed" if outcomes else "nothing was run")
    return mask("\n".join(out))
