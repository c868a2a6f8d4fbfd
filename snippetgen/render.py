"""Strict rendering of snippet templates with one shared Jinja environment.

Variables are the snippet's payload defaults overridden by an embed's ``data-*`` attributes.
Undefined variables are errors, never empty strings. Language-aware literal filters make it
impossible for a value (a prompt with quotes or newlines) to break the example's syntax:

``{{ prompt | lit }}``  a literal in the template's own language
``{{ x | py }}`` / ``{{ x | js }}`` / ``{{ x | sh }}``  a literal in a named language (each language
names its filters: its id and its ``filters``, see :mod:`snippetgen.languages`)
``{{ x | json }}``  compact JSON text (``{{ body | json | sh }}`` for a curl ``--data`` word)
``{{ apiKeyEnv | env }}``  a checked environment variable name, as is (``"Bearer ${{ apiKeyEnv | env }}"``)

Templates run in a sandbox (:mod:`snippetgen.template_sandbox`): no Python internals, bounded
time, size and nesting. Variables that become names in the code are typed
(:mod:`snippetgen.vartypes`): their values are checked wherever they are set, and a template prints
them only through a literal filter.

The environment and the template caches follow the language registry: registering a language at
run time adds its filters.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes

from . import vartypes
from .errors import RenderError
from .filters import HBS_FILTERS
from .languages import all_languages, get_language, revision
from .loader import Catalog, json_depth_problem
from .model import Embed, Location, Problem, Snippet
from .template_sandbox import (
    BoundedEnvironment,
    TemplateLimitError,
    render_bounded,
    template_line,
    unsafe_constructs,
)

RESERVED = frozenset({"name"})
"""``data-name`` selects the snippet, so no template variable may be called ``name``."""
LANG_VAR = "__lang__"


def _strict(func):
    """Filters must fail on an undefined value the way ``{{ x }}`` does, not print its repr."""

    @functools.wraps(func)
    def wrapper(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
        return func(value, *args, **kwargs)

    return wrapper


@jinja2.pass_context
def _lit(context: jinja2.runtime.Context, value: Any) -> str:
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return get_language(context[LANG_VAR]).literal(value)


def _json(value: Any, indent: int | None = None) -> str:
    if indent:
        return json.dumps(value, ensure_ascii=False, indent=indent)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


class UnsafeTemplateError(jinja2.TemplateSyntaxError):
    """A template that reaches into Python internals or prints a typed variable without a literal
    filter: refused before it runs (``check`` reports it as ``unsafe-template``, each place)."""

    def __init__(self, places: list[tuple[int, str]]):
        super().__init__(places[0][1], places[0][0])
        self.places = places


def literal_filters() -> frozenset[str]:
    """Filters that print a value as inert code: ``lit``, ``json``, ``env`` and each language's."""
    return frozenset({"lit", "json", "env"} | {n for lang in all_languages() for n in lang.filter_names})


def environment() -> jinja2.Environment:
    """The one Jinja environment: sandboxed and bounded, strict, no autoescape, trailing newline kept."""
    return _environment(revision())


@functools.cache
def _environment(registry: int) -> jinja2.Environment:
    del registry  # only the cache key: a language registered at run time brings its filters
    env = BoundedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["lit"] = _lit
    env.filters["json"] = _strict(_json)
    env.filters["env"] = _strict(vartypes.env_name)
    for lang in all_languages():
        for name in lang.filter_names:
            env.filters[name] = _strict(lang.literal)
    env.filters.update(HBS_FILTERS)  # templates converted from Handlebars print values the JS way
    env.guard_filters()
    return env


def lenient_environment() -> jinja2.Environment:
    """Renders undefined variables as empty text, as Handlebars did. Only ``check`` uses it, to
    syntax-check a template that also has an undefined variable, so one defect cannot hide another."""
    return _lenient_environment(revision())


@functools.cache
def _lenient_environment(registry: int) -> jinja2.Environment:
    del registry
    return environment().overlay(undefined=jinja2.Undefined)


def render_lenient(snippet: Snippet, lang: str, overrides: dict[str, Any] | None = None) -> str | None:
    """The template with undefined variables as empty text, or None if even that fails."""
    template = snippet.templates.get(lang)
    if template is None:
        return None
    try:
        values = variables_for(snippet, overrides)
        compiled = _compile_lenient(template.source, revision())
        return render_bounded(compiled, {**values, LANG_VAR: lang})
    except Exception:  # RecursionError and MemoryError included
        return None


@functools.lru_cache(maxsize=4096)
def _compile_lenient(source: str, registry: int) -> jinja2.Template:
    _compile(source, registry)  # refuses unsafe templates first
    return lenient_environment().from_string(_parse_for(source, registry))


@dataclass(frozen=True)
class Rendered:
    """A template rendered for one usage."""

    snippet: Snippet
    lang: str
    code: str
    variables: dict[str, Any]


def camel_case(attribute: str) -> str:
    """``data-foo-bar`` -> ``fooBar`` (the DOM ``dataset`` rule the original system relied on)."""
    name = attribute.removeprefix("data-")
    return re.sub(r"-([a-z])", lambda m: m.group(1).upper(), name)


def coerce_override(default: Any, raw: str) -> Any:
    """Attribute values are text; give them the type of the default they replace.

    A string default keeps the text as is. Any other default (number, bool, list, object) means
    the text must be JSON of that kind, nested at most as deep as a config.json may be; otherwise
    ``ValueError`` says what was expected.
    """
    if default is None or isinstance(default, str):
        return raw
    deep = json_depth_problem(raw)
    if deep is not None:
        raise ValueError(deep[0])
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError(
            f"expected JSON {type_name(default)} (the default is {json.dumps(default)})"
        ) from None
    if type_name(value) != type_name(default):
        raise ValueError(f"expected {type_name(default)} (the default is {json.dumps(default)})")
    return value


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return "string"


class UnsafeValueError(RenderError):
    """A typed variable (:mod:`snippetgen.vartypes`) set to a value of the wrong shape."""


def variables_for(snippet: Snippet, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Payload defaults overridden by ``overrides``; string overrides are coerced to the default's type.

    Raises :class:`UnsafeValueError` when a typed variable (``apiKeyEnv``, a file name) ends up with
    a value of the wrong shape, whoever set it.
    """
    values = snippet.payload
    for key, raw in (overrides or {}).items():
        if key in RESERVED:
            raise RenderError(f"variable {key!r} is reserved (data-name selects the snippet)")
        if isinstance(raw, str) and key in values:
            try:
                values[key] = coerce_override(values[key], raw)
            except ValueError as exc:
                raise RenderError(f"bad value {_short(raw)} for {key!r}: {exc}") from None
        else:
            values[key] = raw
    for key, value in values.items():
        bad = vartypes.value_problem(key, value)
        if bad is not None:
            kind, why = bad
            where = "set by this usage" if key in (overrides or {}) else f"default in {snippet.config_path}"
            raise UnsafeValueError(f"{key}: {why} ({where})", hint=f"{kind.named} is {kind.expected}")
    return values


def _short(raw: str) -> str:
    text = repr(raw)
    return text if len(text) <= 100 else text[:97] + "...'"


def _parse(source: str) -> nodes.Template:
    return _parse_for(source, revision())


@functools.lru_cache(maxsize=65536)
def _parse_for(source: str, registry: int) -> nodes.Template:
    return environment().parse(source)


@functools.lru_cache(maxsize=65536)
def _compile(source: str, registry: int) -> jinja2.Template:
    tree = _parse_for(source, registry)
    refused = unsafe_constructs(tree) + unfiltered_typed(tree, literal_filters())
    if refused:
        raise UnsafeTemplateError(sorted((u.line, u.message) for u in refused))
    return environment().from_string(tree)


def compile_template(source: str, filename: str = "<template>") -> jinja2.Template:
    """Compile (parsed and compiled once per distinct source); raises ``TemplateSyntaxError``
    (:class:`UnsafeTemplateError` for a template that touches internals or prints a typed variable
    raw)."""
    del filename  # locations are added by the caller, which knows the template's path
    return _compile(source, revision())


@dataclass(frozen=True)
class _Raw:
    line: int
    message: str


def unfiltered_typed(tree: nodes.Template, literal: frozenset[str]) -> list[_Raw]:
    """Places where a template prints a typed variable (``{{ apiKeyEnv }}``) without a literal filter.

    Only what reaches the output counts: a typed variable compared in an ``if``, passed to a call or
    inside a literal filter (``{{ ("Set " ~ apiKeyEnv) | lit }}``) is fine.
    """
    found: list[_Raw] = []

    def printed(node: nodes.Node) -> None:
        if isinstance(node, nodes.Filter) and node.name in literal:
            return
        if isinstance(node, nodes.Name) and node.ctx == "load":
            kind = vartypes.type_of(node.name)
            if kind is not None:
                example = "env" if kind is vartypes.ENV_NAME else "lit"
                found.append(
                    _Raw(
                        node.lineno,
                        f"{{{{ {node.name} }}}} prints {kind.named} as raw code: write it through a "
                        f"literal filter, e.g. {{{{ {node.name} | {example} }}}}",
                    )
                )
            return
        if isinstance(node, nodes.CondExpr):
            children: list[nodes.Node] = [n for n in (node.expr1, node.expr2) if n is not None]
        elif isinstance(node, nodes.Filter):
            children = [node.node] if node.node is not None else []
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.EnvironmentAttribute):
            children = list(node.args)  # the sandbox's own hooks (``~`` joins)
        elif isinstance(node, nodes.Call | nodes.Compare | nodes.Test):
            children = []
        else:
            children = list(node.iter_child_nodes())
        for child in children:
            printed(child)

    def statements(node: nodes.Node) -> None:
        if isinstance(node, nodes.FilterBlock) and node.filter.name in literal:
            return
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    printed(child)
            return
        for inner in node.iter_child_nodes():
            statements(inner)

    statements(tree)  # the tree is at most MAX_TREE_DEPTH deep: recursion is safe
    return sorted(found, key=lambda f: f.line)


def render(snippet: Snippet, lang: str, overrides: dict[str, Any] | None = None) -> Rendered:
    """Render one language of a snippet; errors carry the template's path and line."""
    template = snippet.templates.get(lang)
    if template is None:
        raise RenderError(
            f"snippet {snippet.key!r} has no {lang!r} template",
            hint=f"it has: {', '.join(snippet.templates) or 'none'}",
        )
    values = variables_for(snippet, overrides)
    try:
        compiled = compile_template(template.source, str(template.path))
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            exc.message or "template syntax error", Location(str(template.path), exc.lineno)
        ) from None
    try:
        code = render_bounded(compiled, {**values, LANG_VAR: lang})
    except jinja2.UndefinedError as exc:
        name = undefined_name(exc)
        if name is None or isinstance(exc, jinja2.exceptions.SecurityError):
            raise _runtime_error(exc, template.path, compiled) from None
        raise RenderError(
            f"undefined variable {name!r}",
            Location(str(template.path), first_use(template.source, name)),
            hint=f"add a default to payload in config.json or set data-{kebab_case(name)} on the embed",
        ) from None
    except Exception as exc:  # the template's own code failed (a limit, the sandbox): say where
        raise _runtime_error(exc, template.path, compiled) from None
    return Rendered(snippet, lang, code, values)


def _runtime_error(exc: BaseException, path: Any, compiled: jinja2.Template) -> RenderError:
    """An error raised while a template ran, at its template line."""
    where = Location(str(path), template_line(exc, compiled))
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return RenderError(
            f"the template touches Python internals, refused by the sandbox: {exc}",
            where,
            hint="templates may use variables, filters and plain methods, nothing starting with _",
        )
    if isinstance(exc, TemplateLimitError):
        return RenderError(str(exc), where, hint="keep examples small: loops and values are bounded")
    if isinstance(exc, RecursionError):
        return RenderError(
            "the template recurses too deeply (a macro calling itself, or a value nested too deep)", where
        )
    if isinstance(exc, MemoryError):
        return RenderError("the template ran out of memory", where)
    message = str(exc) or type(exc).__name__
    if not isinstance(exc, TypeError | ValueError | jinja2.TemplateError):
        message = f"{type(exc).__name__}: {message}"
    return RenderError(message[:500], where)


def undefined_name(exc: jinja2.UndefinedError) -> str | None:
    match = re.search(r"'([^']+)' is undefined", str(exc))
    return match.group(1) if match else None


def kebab_case(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), name)


def template_variables(source: str) -> set[str]:
    """Variables a template reads from its context (``jinja2.meta``), minus the internal ones."""
    return set(_variables(source))


@functools.lru_cache(maxsize=65536)
def _variables(source: str) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(_parse(source)) - {LANG_VAR})


def snippet_variables(snippet: Snippet) -> set[str]:
    """Every variable a snippet knows: its payload defaults and what any template reads.

    A template with a syntax error contributes nothing here; that error is reported on its own.
    """
    known = set(snippet.payload)
    for template in snippet.templates.values():
        try:
            known |= template_variables(template.source)
        except jinja2.TemplateSyntaxError:
            pass
    return known


def first_use(source: str, name: str) -> int:
    """Line of the first place a template reads ``name`` (0 if it never does)."""
    try:
        ast = _parse(source)
    except jinja2.TemplateSyntaxError:
        return 0
    lines = [n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines) if lines else 0


def render_embed(snippet: Snippet, embed: Embed, lang: str) -> Rendered:
    """Render for a page embed; errors are re-anchored at the page's ``path:line``."""
    try:
        return render(snippet, lang, embed.overrides)
    except RenderError as exc:
        where = f" (in {exc.location})" if exc.location else ""
        raise RenderError(f"{embed.name} [{lang}]: {exc.message}{where}", embed.location, exc.hint) from None


def embed_problems(embed: Embed, catalog: Catalog) -> list[Problem]:
    """What is wrong with one ``<snippet>`` tag: no name, an unknown snippet, or an attribute that
    sets a variable the snippet never uses. Shared by ``check`` and the page expansion."""
    if embed.raw and embed.end == embed.start:  # see pages.is_unclosed (pages imports this module)
        return [
            Problem(
                embed.location,
                "<snippet> tag is never closed: a quoted attribute value has no closing quote "
                "(or the tag is longer than 64 KiB)",
                "bad-tag",
                found=embed.raw[:120],
                hint='close every value with the quote it opened with: data-prompt="..."',
            )
        ]
    if not embed.name:
        return [
            Problem(
                embed.location,
                "<snippet> without data-name",
                "unknown-snippet",
                expected='<snippet data-name="group.name">',
            )
        ]
    if embed.name not in catalog.snippets:
        close = catalog.suggest(embed.name)
        return [
            Problem(
                embed.location,
                f"unknown snippet {embed.name!r}",
                "unknown-snippet",
                hint=f"did you mean {' or '.join(map(repr, close))}?"
                if close
                else "snippets live in shared/snippets/<group>/<name>/ and are named group.name",
            )
        ]
    problems = []
    known = snippet_variables(catalog.snippets[embed.name])
    for key in embed.overrides:
        if key in RESERVED:
            continue
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            problems.append(
                Problem(
                    embed.location,
                    f"data-{kebab_case(key)} sets {key!r}, which {embed.name} never uses",
                    "unknown-variable",
                    expected=f"one of: {', '.join(sorted(known)) or '(none)'}",
                    hint=f"did you mean data-{kebab_case(close[0])}?" if close else None,
                )
            )
    return problems
