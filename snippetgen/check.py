"""``snippetgen check``: load, validate and render everything; collect every problem in one run.

Order of work: catalog -> specs -> pages -> template syntax -> variables -> render every usage ->
syntax-check every rendered result (one batch per language) -> secrets -> spec cross-checks.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from pathlib import Path

import jinja2

from . import secrets
from .errors import RenderError
from .languages import get_language
from .markdown.tabs import docs_href
from .model import Embed, Location, Problem, Snippet
from .project import Project
from .render import (
    compile_template,
    embed_problems,
    first_use,
    kebab_case,
    render,
    render_lenient,
    template_variables,
)
from .spec.values import check_value
from .workspace import Workspace, load_workspace


def run_check(root: Path | str = ".", project: Project | None = None) -> list[Problem]:
    """Every problem of the project at ``root``, sorted by location."""
    project = project or Project.load(root)
    ws, problems = load_workspace(project)
    problems += check_workspace(ws)
    return sorted(
        set(problems), key=lambda p: (p.location.path, p.location.line, p.location.col, p.code, p.message)
    )


def check_workspace(ws: Workspace) -> list[Problem]:
    problems: list[Problem] = []
    catalog = ws.catalog

    for embed in ws.embeds:
        problems += embed_problems(embed, catalog)

    # Rendered sources per language, with what produced them, for one batched syntax check each.
    batches: dict[str, list[tuple[Snippet, str, str, Location | None]]] = defaultdict(list)
    for snippet in catalog.snippets.values():
        embeds = ws.embeds_of(snippet.key)
        broken = False
        for lang, template in snippet.templates.items():
            try:
                compile_template(template.source, str(template.path))
            except jinja2.TemplateSyntaxError as exc:
                problems.append(
                    Problem(
                        Location(str(template.path), exc.lineno),
                        f"template syntax error: {exc.message}",
                        "template-syntax",
                    )
                )
                broken = True
                continue
            problems += _check_variables(snippet, lang, embeds)
        if broken:
            continue
        usages: list[tuple[dict[str, str] | None, Location | None]] = [(None, None)]
        usages += [(e.overrides, e.location) for e in embeds]
        for overrides, where in usages:
            for lang in snippet.templates:
                try:
                    rendered = render(snippet, lang, overrides)
                except RenderError as exc:
                    if exc.message.startswith("undefined variable"):
                        # Reported once per template by _check_variables; still syntax-check the code
                        # with the variable empty, so one defect cannot hide another.
                        code = render_lenient(snippet, lang, overrides)
                        if code is not None:
                            batches[lang].append((snippet, lang, code, where))
                        continue
                    problems.append(_render_problem(exc, snippet, where))
                    continue
                batches[lang].append((snippet, lang, rendered.code, where))
        problems += _check_spec_values(ws, snippet, embeds)

    for lang, items in batches.items():
        issues = get_language(lang).check_many([code for _, _, code, _ in items])
        for (snippet, _, code, where), issue in zip(items, issues, strict=True):
            if issue is None:
                continue
            template = snippet.templates[lang]
            line = template_line(template.source, code, issue.line)
            usage = f" (as embedded at {where})" if where else " (with its defaults)"
            problems.append(
                Problem(
                    Location(str(template.path), line),
                    f"rendered {get_language(lang).label} does not parse: {issue.message}{usage}",
                    "syntax-error",
                    found=_line(code, issue.line),
                    hint="use the `lit` filter for values ({{ prompt | lit }}) so quotes and newlines stay valid",
                )
            )

    for snippet in catalog.snippets.values():
        problems += secrets.scan(_read(ws, snippet.config_path), str(snippet.config_path))
        for template in snippet.templates.values():
            problems += secrets.scan(template.source, str(template.path))
    for path, text in ws.page_texts.items():
        problems += secrets.scan(text, path)

    if ws.specs is not None:
        problems += _check_operations(ws)
    problems += _check_docs_links(ws)
    return problems


def _check_docs_links(ws: Workspace) -> list[Problem]:
    """A ``docs`` link that is a page of this site must name a page that exists."""
    if not ws.project.docs_dir.is_dir():
        return []
    prefix = ws.project.rel(ws.project.docs_dir) + "/"
    pages = {path.removeprefix(prefix) for path in ws.page_texts}
    problems = []
    for snippet in ws.catalog.snippets.values():
        if snippet.docs is None:
            continue
        try:
            docs_href(snippet.docs, "", pages)
        except ValueError as exc:
            problems.append(
                Problem(
                    Location(str(snippet.config_path), snippet.line_of("/docs")),
                    str(exc),
                    "docs-link",
                    expected=f"an https URL or a page under {prefix}",
                )
            )
    return problems


def _read(ws: Workspace, rel_path: Path) -> str:
    return (ws.project.root / rel_path).read_text(encoding="utf-8", errors="replace")


def _check_variables(snippet: Snippet, lang: str, embeds: list[Embed]) -> list[Problem]:
    template = snippet.templates[lang]
    missing = sorted(template_variables(template.source) - set(snippet.payload))
    problems = []
    for name in missing:
        unset = [e for e in embeds if name not in e.overrides]
        if embeds and not unset:
            continue
        where = f"; not set by the embed at {unset[0].location}" if unset else ""
        problems.append(
            Problem(
                Location(str(template.path), first_use(template.source, name)),
                f"undefined variable {name!r}: no default in config.json payload{where}",
                "undefined-variable",
                hint=f'add "{name}": ... to payload in {snippet.config_path}',
            )
        )
    return problems


def _render_problem(exc: RenderError, snippet: Snippet, where: Location | None) -> Problem:
    location = where or exc.location or Location(str(snippet.config_path))
    detail = f" (in {exc.location})" if where and exc.location else ""
    return Problem(location, f"{snippet.key}: {exc.message}{detail}", "render", hint=exc.hint)


def template_line(source: str, rendered: str, out_line: int) -> int:
    """Map a line of rendered output back to the template line that produced it."""
    src_lines, out_lines = source.splitlines(), rendered.splitlines()
    if len(src_lines) == len(out_lines):
        return out_line
    matcher = difflib.SequenceMatcher(None, src_lines, out_lines, autojunk=False)
    index = out_line - 1
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if j1 <= index < j2:
            if tag == "equal":
                return i1 + (index - j1) + 1
            return min(i1 + (index - j1), max(i2 - 1, i1)) + 1
    return min(out_line, len(src_lines)) or 1


def _line(code: str, number: int) -> str:
    lines = code.splitlines()
    return lines[number - 1].strip()[:160] if 0 < number <= len(lines) else ""


def _check_operations(ws: Workspace) -> list[Problem]:
    problems = []
    for snippet in ws.catalog.snippets.values():
        for index, ref in enumerate(snippet.operations):
            if ws.specs.resolve(ref) is None:
                close = ws.specs.suggest(ref)
                problems.append(
                    Problem(
                        Location(str(snippet.config_path), snippet.line_of(f"/operations/{index}")),
                        f"unknown operation {ref!r}",
                        "unknown-operation",
                        expected="api:operationId or api:METHOD /path of an operation in the specs",
                        hint=f"did you mean {' or '.join(map(repr, close))}?" if close else None,
                    )
                )
    return problems


def _snake(name: str) -> str:
    return kebab_case(name).replace("-", "_")


def _check_spec_values(ws: Workspace, snippet: Snippet, embeds: list[Embed]) -> list[Problem]:
    """Variables named like a request field of the snippet's operations must fit that field's schema."""
    if ws.specs is None or not snippet.operations:
        return []
    fields: dict[str, tuple[dict, str]] = {}
    for ref in snippet.operations:
        op = ws.specs.resolve(ref)
        if op is None:
            continue
        for fname, schema in op.request_fields().items():
            fields.setdefault(fname, (schema, op.ref))
    problems = []
    for var, default in snippet.payload.items():
        match = fields.get(var) or fields.get(_snake(var))
        if match is None:
            continue
        for message in check_value(match[0], default):
            problems.append(
                Problem(
                    Location(str(snippet.config_path), snippet.line_of(f"/payload/{var}")),
                    f"default of {var!r} does not fit {match[1]}: {message}",
                    "bad-value",
                )
            )
        for embed in embeds:
            if var in embed.overrides:
                for message in check_value(match[0], embed.overrides[var], from_attribute=True):
                    problems.append(
                        Problem(
                            embed.location,
                            f"data-{kebab_case(var)} does not fit {match[1]}: {message}",
                            "bad-override",
                        )
                    )
    return problems
