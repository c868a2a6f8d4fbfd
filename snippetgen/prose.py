"""Prose that names a snippet's variable the way the code does not (the ``prose-variable`` rule).

A page's prose often names a setting of the example under it in backticks: "checks every
`POLL_INTERVAL` seconds". The template variable is ``pollInterval``, but the reader sees the code:
Python's ``POLL_INTERVAL``, JavaScript's ``pollInterval``. Prose naming a variable of a snippet
embedded on that page must use the spelling of the first tab's code (the one a reader sees first);
it may name another language's spelling too when the same paragraph also names the first one
("`POLL_INTERVAL` (`pollInterval` in JavaScript)"). A name that is also a field of the request
(quoted in the code, such as ``"prompt"``) is left alone: the prose may mean the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import RenderError
from .languages import get_language
from .model import Embed, Location, Problem, Snippet
from .pages import code_spans, find_tags
from .render import render, template_variables

CODE = "prose-variable"
_INLINE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_DEFINITION = re.compile(
    r"^[ \t]*(?:(?:const|let|var|export|readonly|local|declare(?:[ \t]+-\w+)?)[ \t]+)?([A-Za-z_$][\w$]*)[ \t]*=",
    re.M,
)
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$")


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def spellings(snippet: Snippet, embed: Embed | None) -> dict[str, dict[str, str]]:
    """Variable -> language -> the name the code rendered for ``embed`` defines for it (a line
    ``NAME = ...``, ``const name = ...``, ``NAME=...`` whose name is the variable's in any case,
    with or without underscores); a variable no code defines is left out."""
    variables: set[str] = set()
    for template in snippet.templates.values():
        variables |= template_variables(template.source)
    codes: dict[str, str] = {}
    for lang in snippet.templates:
        try:
            codes[lang] = render(snippet, lang, embed.overrides if embed else None).code
        except RenderError:
            continue
    defined = {lang: _DEFINITION.findall(code) for lang, code in codes.items()}
    found: dict[str, dict[str, str]] = {}
    for variable in variables:
        for lang, names in defined.items():
            name = next((n for n in names if _norm(n) == _norm(variable)), None)
            if name is not None:
                found.setdefault(variable, {})[lang] = name
    for variable, by_lang in list(found.items()):
        first = next(iter(by_lang))
        if re.search(rf"[\"']{re.escape(variable)}[\"']", codes.get(first, "")):
            del found[variable]  # also a request field the code quotes: the prose may mean that
    return found


def _paragraphs(text: str, skip: Iterable[tuple[int, int]]) -> list[tuple[int, str]]:
    """(first 1-based line, text) of each prose paragraph: lines between blank lines, outside the
    ``skip`` line ranges (code blocks, tags)."""
    hidden: set[int] = set()
    for start, end in skip:
        hidden.update(range(start, end))
    out: list[tuple[int, list[str]]] = []
    current: tuple[int, list[str]] | None = None
    for number, line in enumerate(text.splitlines()):
        if number in hidden or not line.strip():
            current = None
            continue
        if current is None:
            current = (number + 1, [])
            out.append(current)
        current[1].append(line)
    return [(first, "\n".join(lines)) for first, lines in out]


def prose_problems(text: str, path: str, embeds: list[tuple[Snippet, Embed]]) -> list[Problem]:
    """The ``prose-variable`` problems of one page (see the module docstring)."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        low, high = 0, len(line_starts) - 1
        while low < high:
            mid = (low + high + 1) // 2
            if line_starts[mid] <= offset:
                low = mid
            else:
                high = mid - 1
        return low

    skip = list(code_spans(text))
    for tag_name in ("snippet", "operation"):
        for tag in find_tags(text, tag_name, path):
            skip.append((line_of(tag.start), line_of(max(tag.end - 1, tag.start)) + 1))
    paragraphs = [
        (first, paragraph, [(m.group(2).strip(), m.start()) for m in _INLINE.finditer(paragraph)])
        for first, paragraph in _paragraphs(text, skip)
    ]
    mentioned = {_norm(name) for _, _, spans in paragraphs for name, _ in spans if _NAME.match(name)}
    names: dict[str, tuple[Snippet, dict[str, str]]] = {}
    """A variable's own name (``pollInterval``) and every spelling of it -> snippet and spellings."""
    for snippet, embed in embeds:
        variables = {v for t in snippet.templates.values() for v in template_variables(t.source)}
        if not {_norm(v) for v in variables} & mentioned:
            continue  # the prose names none of its variables: nothing to render
        for variable, by_lang in spellings(snippet, embed).items():
            for name in {variable, *by_lang.values()}:
                names.setdefault(name, (snippet, by_lang))
    problems = []
    for first_line, paragraph, spans in paragraphs:
        named = {name for name, _ in spans}
        for name, offset in spans:
            if not _NAME.match(name) or name not in names:
                continue
            snippet, by_lang = names[name]
            first_lang = next(iter(by_lang))
            expected = by_lang[first_lang]
            if name == expected or (name in by_lang.values() and expected in named):
                continue
            line = first_line + paragraph.count("\n", 0, offset)
            label = get_language(first_lang).label
            others = sorted(
                {f"`{n}` ({get_language(lang).label})" for lang, n in by_lang.items() if n != expected}
            )
            problems.append(
                Problem(
                    Location(path, line),
                    f"prose names `{name}`, a variable of {snippet.key} that its code spells "
                    f"`{expected}`: expected `{expected}` (as the code spells it), found `{name}`",
                    "prose-variable",
                    expected=f"`{expected}` (as the {label} code spells it)",
                    found=f"`{name}`",
                    hint="name the code's identifier; another language's spelling may follow it in the "
                    f"same paragraph{': ' + ', '.join(others) if others else ''}",
                )
            )
    return problems
