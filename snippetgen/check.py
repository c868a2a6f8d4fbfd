"""``snippetgen check``: load, validate and render everything; collect every problem in one run.

The rules are listed once, in :data:`RULES`: each names the problem codes it reports, says in one
line what it checks, and is one function of the loaded :class:`~snippetgen.workspace.Workspace`
(the first two run while :func:`~snippetgen.workspace.load_workspace` loads it). Adding a rule is one
function and one entry. A rule sees the whole workspace, so the ``syntax-error`` rule checks every
rendered example of a language in one batch (one node process for all the JavaScript).
"""

from __future__ import annotations

import difflib
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from . import progress, prose, secrets, vartypes
from .errors import RenderError, UsageError
from .languages import get_language
from .markdown.reference.cite import resolve_cite
from .markdown.tabs import docs_href
from .model import CheckReport, Embed, Location, Problem, Snippet, Template, sort_problems
from .pages import MAX_PAGE_NESTING, find_tags, nesting_problem
from .project import Project
from .render import (
    UnsafeTemplateError,
    UnsafeValueError,
    compile_template,
    embed_problems,
    first_use,
    kebab_case,
    render,
    render_lenient,
    template_variables,
)
from .spec.assumed import assumed_problems
from .spec.read import display_path, spec_files
from .spec.servers import resolve_server, server_template
from .spec.values import check_value
from .workspace import Workspace, load_workspace


@dataclass(frozen=True)
class Rule:
    """One check rule: the problem codes it reports and a one-line description of what it checks."""

    codes: tuple[str, ...]
    description: str
    run: Callable[[Workspace], list[Problem]] | None = None
    """Every problem of the rule in a loaded workspace; None for the rules of loading itself."""


def check_project(root: Path | str = ".", project: Project | None = None) -> CheckReport:
    """Every problem of the project at ``root`` (sorted by location), what was checked, and how long.

    Each finding counts as the project says (:meth:`~snippetgen.project.Project.severity`): errors
    are the report's ``problems``, warnings its ``warnings``, ``off`` drops it.
    """
    start = time.perf_counter()
    project = project or Project.load(root)
    _check_lint_settings(project)
    ws, problems = load_workspace(project)
    problems += check_workspace(ws)
    errors, warnings = apply_severities(project, sort_problems(problems))
    return CheckReport(errors, ws.counts(), time.perf_counter() - start, warnings=warnings)


def run_check(root: Path | str = ".", project: Project | None = None) -> list[Problem]:
    """Every error of the project at ``root``, sorted by location (warnings left out)."""
    return check_project(root, project).problems


def apply_severities(project: Project, problems: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """``(errors, warnings)`` of ``problems`` by the project's severities; a finding in a spec file
    counts as that API's (``[tool.snippetgen.apis.<name>]``: vendor, its own lint table)."""
    apis = {display_path(path, project.root): path.stem for path in _spec_paths(project)}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for problem in problems:
        severity = project.severity(problem.code, apis.get(problem.location.path))
        if severity == "error":
            errors.append(problem if problem.severity == "error" else replace(problem, severity="error"))
        elif severity == "warning":
            warnings.append(replace(problem, severity="warning"))
    return errors, warnings


def _spec_paths(project: Project) -> list[Path]:
    return spec_files(project.specs_dir) if project.specs_dir.is_dir() else []


def _check_lint_settings(project: Project) -> None:
    """A severity set for a code no rule reports is a mistake (a typo would silently do nothing)."""
    known = [code for rule in RULES for code in rule.codes]
    for code, line in project.lint_codes().items():
        if code not in known:
            close = difflib.get_close_matches(code, known, n=1)
            raise UsageError(
                f"[tool.snippetgen] lint: no rule reports the problem code {code!r}",
                Location("pyproject.toml", line),
                hint=f"did you mean {close[0]!r}?" if close else "`snippetgen check --help` lists the codes",
            )


def check_workspace(ws: Workspace) -> list[Problem]:
    """The problems every rule of :data:`RULES` finds in a loaded workspace."""
    runs = [rule.run for rule in RULES if rule.run is not None]
    return [problem for run in progress.step("checking", runs) for problem in run(ws)]


def _check_embeds(ws: Workspace) -> list[Problem]:
    return [problem for embed in ws.embeds for problem in embed_problems(embed, ws.catalog)]


def _check_template_syntax(ws: Workspace) -> list[Problem]:
    problems = []
    for snippet in ws.catalog.snippets.values():
        for template in snippet.templates.values():
            exc = _syntax_error(template)
            if isinstance(exc, UnsafeTemplateError):
                for line, message in exc.places:
                    problems.append(
                        Problem(
                            Location(str(template.path), line),
                            f"unsafe template: {message}",
                            "unsafe-template",
                            hint="the template was not run",
                        )
                    )
            elif exc is not None:
                problems.append(
                    Problem(
                        Location(str(template.path), exc.lineno),
                        f"template syntax error: {exc.message}",
                        "template-syntax",
                    )
                )
    return problems


def _check_undefined_variables(ws: Workspace) -> list[Problem]:
    problems = []
    for snippet in ws.catalog.snippets.values():
        embeds = ws.embeds_of(snippet.key)
        for lang, template in snippet.templates.items():
            if _syntax_error(template) is None:
                problems += _check_variables(snippet, lang, embeds)
    return problems


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


def _check_rendered_syntax(ws: Workspace) -> list[Problem]:
    """Render every usage (defaults and each embed) in every language, then syntax-check the results
    with one batch per language."""
    problems = []
    batches: dict[str, list[tuple[Snippet, str, Location | None]]] = defaultdict(list)
    for snippet in ws.catalog.snippets.values():
        if not _compiles(snippet):
            continue
        usages: list[tuple[dict[str, str] | None, Location | None]] = [(None, None)]
        usages += [(e.overrides, e.location) for e in ws.embeds_of(snippet.key)]
        for overrides, where in usages:
            for lang in snippet.templates:
                try:
                    rendered = render(snippet, lang, overrides)
                except UnsafeValueError:
                    break  # the unsafe-value rule reports it; such a usage is never rendered
                except RenderError as exc:
                    if exc.message.startswith("undefined variable"):
                        # Reported once per template by the undefined-variable rule; still syntax-check
                        # the code with the variable empty, so one defect cannot hide another.
                        code = render_lenient(snippet, lang, overrides)
                        if code is not None:
                            batches[lang].append((snippet, code, where))
                        continue
                    problems.append(_render_problem(exc, snippet, where))
                    continue
                batches[lang].append((snippet, rendered.code, where))

    for lang, items in batches.items():
        issues = get_language(lang).check_many([code for _, code, _ in items])
        for (snippet, code, where), issue in zip(items, issues, strict=True):
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


def _check_page_nesting(ws: Workspace) -> list[Problem]:
    problems = []
    for path, text in ws.page_texts.items():
        deep = nesting_problem(text)
        if deep is not None:
            what, line, col = deep
            problems.append(
                Problem(
                    Location(path, line, col),
                    f"the page nests too deeply for the site's Markdown: {what} (at most {MAX_PAGE_NESTING})",
                    "page-too-deep",
                    hint="flatten its nested lists, quotes, HTML or brackets",
                )
            )
    return problems


def _check_secrets(ws: Workspace) -> list[Problem]:
    """Key-shaped strings (:func:`snippetgen.secrets.scan`), except the example values the specs
    publish: ``snippetgen new`` copies an operation's example (``resp_677efb...``) into config.json, and
    a value printed in the API's own spec is no secret of the docs. JSON has no comments, so a
    config.json finding gets a hint it can follow."""
    published = _published_examples(ws)
    problems = []
    for snippet in ws.catalog.snippets.values():
        text = _read(ws, snippet.config_path)
        for problem in _unpublished(secrets.scan(text, str(snippet.config_path)), text, published):
            problems.append(replace(problem, hint=CONFIG_SECRET_HINT))
        for template in snippet.templates.values():
            problems += _unpublished(
                secrets.scan(template.source, str(template.path)), template.source, published
            )
    for path, text in ws.page_texts.items():
        problems += _unpublished(secrets.scan(text, path), text, published)
    return problems


CONFIG_SECRET_HINT = (
    "read keys from the environment variable apiKeyEnv names, never write them in config.json; a value "
    "that only looks like a key can move into the template, where the comment 'snippetgen: allow-secret' "
    "exempts its line"
)
_EXAMPLE_KEYS = frozenset({"example", "examples", "default", "enum", "const", "x-example"})
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_+/=.~-]+")


def _published_examples(ws: Workspace) -> str:
    """Every string under an ``example``, ``examples``, ``default``, ``enum`` or ``const`` of the
    specs, joined by NULs (a substring test finds a token in any of them)."""
    if ws.specs is None:
        return ""
    found: list[str] = []
    for api in ws.specs.apis.values():
        stack: list[tuple[object, bool]] = [(api.document, False)]
        while stack:
            node, inside = stack.pop()
            if isinstance(node, dict):
                stack.extend((value, inside or key in _EXAMPLE_KEYS) for key, value in node.items())
            elif isinstance(node, list):
                stack.extend((value, inside) for value in node)
            elif inside and isinstance(node, str) and len(node) >= 16:
                found.append(node)
    return "\0".join(found)


def _unpublished(problems: list[Problem], text: str, published: str) -> list[Problem]:
    """The findings whose key-shaped token is not an example value the specs publish."""
    if not published:
        return problems
    lines = text.splitlines()
    kept = []
    for problem in problems:
        line = lines[problem.location.line - 1] if 0 < problem.location.line <= len(lines) else ""
        match = _TOKEN_CHARS.match(line, max(problem.location.col - 1, 0))
        if match is None or match.group() not in published:
            kept.append(problem)
    return kept


def _read(ws: Workspace, rel_path: Path) -> str:
    return (ws.project.root / rel_path).read_text(encoding="utf-8", errors="replace")


def _check_operations(ws: Workspace) -> list[Problem]:
    if ws.specs is None:
        return []
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


def _check_servers(ws: Workspace) -> list[Problem]:
    """An API whose spec gives no absolute server URL and whose project sets no ``base_url``."""
    if ws.specs is None:
        return []
    problems = []
    for name, api in sorted(ws.specs.apis.items()):
        server = resolve_server(api.document, name, ws.project.api(name).base_url)
        if server.placeholder:
            url, _ = server_template(api.document)
            found = "no servers" if server.pointer == "/servers" else f"the relative URL {url!r}"
            problems.append(
                Problem(
                    api.location(server.pointer),
                    f"API {name!r} has no absolute server URL ({found}); its examples call the "
                    f"placeholder {server.url}",
                    "spec-server",
                    expected="an absolute http(s) server URL, or a base_url for the API in pyproject.toml",
                    hint=f'set base_url = "https://..." in [tool.snippetgen.apis.{name}] of pyproject.toml',
                )
            )
    return problems


def _check_values(ws: Workspace) -> list[Problem]:
    problems = []
    for snippet in ws.catalog.snippets.values():
        if _compiles(snippet):
            problems += _check_spec_values(ws, snippet, ws.embeds_of(snippet.key))
    return problems


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


def _check_typed_values(ws: Workspace) -> list[Problem]:
    """Typed variables (:mod:`snippetgen.vartypes`) hold values of their shape wherever they are
    set: config.json ``payload`` and ``test.set``, and each page embed's ``data-*``."""
    problems = []
    for snippet in ws.catalog.snippets.values():
        sources = [("payload", snippet.payload), ("test/set", snippet.test.get("set"))]
        for where, values in sources:
            if not isinstance(values, dict):
                continue
            for name, value in values.items():
                bad = vartypes.value_problem(name, value)
                if bad is not None:
                    problems.append(
                        Problem(
                            Location(str(snippet.config_path), snippet.line_of(f"/{where}/{name}")),
                            f"{where.replace('/', '.')}.{name}: {bad[1]}",
                            "unsafe-value",
                            expected=bad[0].expected,
                        )
                    )
        for embed in ws.embeds_of(snippet.key):
            for name, value in embed.overrides.items():
                bad = vartypes.value_problem(name, value)
                if bad is not None:
                    problems.append(
                        Problem(
                            embed.location,
                            f"data-{kebab_case(name)}: {bad[1]}",
                            "unsafe-value",
                            expected=bad[0].expected,
                            hint=f"{name} becomes {bad[0].named} in the example's code",
                        )
                    )
    return problems


def _snake(name: str) -> str:
    return kebab_case(name).replace("-", "_")


def _check_assumed(ws: Workspace) -> list[Problem]:
    """Every ``x-assumed`` of a spec gives a reason where the reference shows it; every
    ``<assumed>`` tag of a page cites one."""
    problems: list[Problem] = []
    if ws.specs is not None:
        for api in ws.specs.apis.values():
            problems += assumed_problems(api)
    for page, text in sorted(ws.page_texts.items()):
        if "<assumed" not in text.lower():
            continue
        for tag in find_tags(text, "assumed", page):
            ref = tag.attributes.get("data-ref", "").strip()
            pointer = tag.attributes.get("data-pointer", "").strip()
            reason, why = resolve_cite(ws.specs, ref, pointer) if tag.closed else (None, "never closed")
            if reason is None:
                problems.append(
                    Problem(
                        tag.location,
                        f"<assumed> cites no assumed fact: {why}",
                        "unknown-assumed",
                        expected='data-ref="api:operationId" and data-pointer at an object marked x-assumed',
                        found=f"data-ref={ref!r} data-pointer={pointer!r}",
                    )
                )
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


def _check_prose_variables(ws: Workspace) -> list[Problem]:
    """Prose naming a variable of a snippet embedded on its page the way the code does not."""
    by_page: dict[str, list[tuple[Snippet, Embed]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for embed in ws.embeds:
        snippet = ws.catalog.get(embed.name)
        if snippet is None or (embed.location.path, snippet.key) in seen or not _compiles(snippet):
            continue
        seen.add((embed.location.path, snippet.key))
        by_page[embed.location.path].append((snippet, embed))
    problems = []
    for page, embeds in by_page.items():
        text = ws.page_texts.get(page)
        if text is not None:
            problems += prose.prose_problems(text, page, embeds)
    return problems


def _check_timeouts(ws: Workspace) -> list[Problem]:
    """``test.timeout`` is a number of seconds, more than 0 and at most the cap (1e999 is infinity).

    The config schema already reports a timeout that is not a number or not more than 0."""
    from .runner.limits import MAX_TIMEOUT, timeout_problem  # the runner package, only for this rule

    problems = []
    for snippet in ws.catalog.snippets.values():
        value = snippet.test.get("timeout")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            continue  # absent, or a config-schema problem
        problem = timeout_problem(value)
        if problem:
            problems.append(
                Problem(
                    Location(str(snippet.config_path), snippet.line_of("/test/timeout")),
                    f"test.timeout {problem}",
                    "bad-timeout",
                    expected=f"a number of seconds, 0 < timeout <= {MAX_TIMEOUT:g}",
                    hint="the default is 30 seconds; an example against the mock rarely needs more",
                )
            )
    return problems


def _syntax_error(template: Template) -> jinja2.TemplateSyntaxError | None:
    """The template's Jinja syntax error, if any (the ``template-syntax`` rule reports it)."""
    try:
        compile_template(template.source, str(template.path))  # cached: every rule may ask
    except jinja2.TemplateSyntaxError as exc:
        return exc
    return None


def _compiles(snippet: Snippet) -> bool:
    """Whether every template of the snippet is valid Jinja: only then is it rendered."""
    return all(_syntax_error(template) is None for template in snippet.templates.values())


RULES: tuple[Rule, ...] = (
    Rule(
        (
            "no-catalog",
            "bad-name",
            "outside-root",
            "stray-file",
            "no-config",
            "config-json",
            "config-schema",
            "missing-template",
            "unknown-language",
            "too-large",
            "too-deep",
            "unsafe-path",
        ),
        "Snippet folders are kebab-case group/name inside the catalog (no symlink out), each with a "
        "config.json that fits its schema and its size and nesting caps, test files named plainly, "
        "and a <lang>.jinja template per known language.",
    ),
    Rule(
        (
            "spec-yaml",
            "spec-version",
            "spec-limit",
            "spec-invalid",
            "spec-ref",
            "spec-lint",
            "spec-example",
            "spec-extension",
        ),
        "The OpenAPI specs parse (no duplicate keys), are OpenAPI 3.0-3.2 (not Swagger 2.0), stay within "
        "the size, nesting and YAML alias limits, validate and resolve their $refs; operations are "
        "unique and declare their responses, examples and defaults fit their schemas, x-mock keys are "
        "known.",
    ),
    Rule(
        ("page-too-deep",),
        f"No page nests deeper than {MAX_PAGE_NESTING} levels (quotes, list indentation, HTML, brackets).",
        _check_page_nesting,
    ),
    Rule(
        ("bad-tag", "unknown-snippet", "unknown-variable"),
        "Every <snippet> tag of a page is closed, names a snippet and sets only variables it uses.",
        _check_embeds,
    ),
    Rule(
        ("template-syntax", "unsafe-template"),
        "Every template is valid Jinja within the nesting cap, touches no Python internals and prints "
        "typed variables (apiKeyEnv, file names) only through a literal filter.",
        _check_template_syntax,
    ),
    Rule(
        ("undefined-variable",),
        "Every variable of a template has a default in config.json or is set by every embed.",
        _check_undefined_variables,
    ),
    Rule(
        ("render", "syntax-error"),
        "Every usage (the defaults, each embed) renders in every language and the result parses "
        "(one batch per language).",
        _check_rendered_syntax,
    ),
    Rule(("secret",), "No key-shaped secret in a config.json, template or page.", _check_secrets),
    Rule(
        ("unsafe-value",),
        "A typed variable (an environment variable, header or file name) has a value of its shape in "
        "config.json payload and test.set and in every data-* attribute.",
        _check_typed_values,
    ),
    Rule(
        ("unknown-operation",),
        "Every operation a config.json declares is in the specs.",
        _check_operations,
    ),
    Rule(
        ("spec-server",),
        "Every API has an absolute server URL: the spec's first server (variables at their defaults) "
        "or the project's base_url for it.",
        _check_servers,
    ),
    Rule(
        ("bad-value", "bad-override"),
        "A variable named like a request field of its operations fits that field's schema, as a "
        "default and as a data-* value.",
        _check_values,
    ),
    Rule(
        ("assumed-reason", "unknown-assumed"),
        "Every x-assumed of a spec is a non-empty reason on an object the reference shows (an "
        "operation, parameter, body, media type, schema, response, header, example or server); "
        "every <assumed> tag of a page cites one.",
        _check_assumed,
    ),
    Rule(
        ("docs-link",),
        "A config.json docs link is an https URL or a page of the site.",
        _check_docs_links,
    ),
    Rule(
        ("prose-variable",),
        "Page prose naming a variable of a snippet embedded on that page in backticks spells it as "
        "the first tab's code does (POLL_INTERVAL, not pollInterval).",
        _check_prose_variables,
    ),
    Rule(
        ("bad-timeout",),
        "A config.json test.timeout is a finite number of seconds, more than 0 and at most 600.",
        _check_timeouts,
    ),
)
"""Every rule of ``snippetgen check``, in the order they run; ``snippetgen check --help`` lists them."""
