"""Pages with their ``<snippet>`` and ``<operation>`` tags expanded into plain Markdown.

A snippet becomes its tabs (:mod:`.tabs`); an operation reference a summary of one OpenAPI
operation (:mod:`.reference`). The output is ordinary Markdown for MkDocs, Python-Markdown hosts
such as Zensical, or a plain ``.md`` export; the adapters in :mod:`snippetgen.integration` hand
pages to :func:`expand_page`. Nothing here imports a host.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import RenderError
from ..loader import Catalog
from ..model import Embed, Location, Snippet
from ..pages import MAX_PAGE_NESTING, find_embeds, find_tags, nesting_problem
from ..render import embed_problems
from ..spec import Operation, SpecSet
from ..workspace import Workspace
from .reference import operation_markdown
from .reference.cite import cite_html, resolve_cite
from .responses import response_block
from .tabs import snippet_markdown


@dataclass(frozen=True)
class Expansion:
    """A page after expansion and what it was built from."""

    text: str
    uses: frozenset[str]
    """``snippet:<key>`` and ``api:<name>`` entries (keys of :attr:`Site.fingerprints`)."""


@dataclass(frozen=True)
class OperationTag:
    """An ``<operation data-ref="api:operationId">`` tag found in a page."""

    location: Location
    ref: str
    attributes: dict[str, str]
    start: int
    end: int


def find_operation_tags(text: str, path: str, line_offset: int = 0) -> list[OperationTag]:
    """Every ``<operation>`` tag outside code blocks (read as :func:`snippetgen.pages.find_tags` does)."""
    tags = []
    for tag in find_tags(text, "operation", path):
        location = dataclasses.replace(tag.location, line=tag.location.line + line_offset)
        if not tag.closed:
            raise RenderError(
                "<operation> tag is never closed: a quoted attribute value has no closing quote "
                "(or the tag is longer than 64 KiB)",
                location,
                hint='close every value with the quote it opened with: data-ref="api:operationId"',
            )
        tags.append(
            OperationTag(
                location, tag.attributes.get("data-ref", "").strip(), tag.attributes, tag.start, tag.end
            )
        )
    return tags


def transform_page(
    markdown: str, page_path: str, ws: Workspace, *, line_offset: int = 0, display_path: str | None = None
) -> str:
    """The page with every snippet and operation tag replaced by Markdown.

    ``page_path`` is the page relative to the docs folder (``aiart/index.md``); docs links are made
    relative to it. ``ws`` is the loaded project. ``line_offset`` is the number
    of source lines before ``markdown`` starts (front matter a host stripped), so errors point at
    the file's real ``path:line``. Errors raise :class:`RenderError`.
    """
    return expand_page(markdown, page_path, ws, line_offset=line_offset, display_path=display_path).text


def expand_page(
    markdown: str, page_path: str, ws: Workspace, *, line_offset: int = 0, display_path: str | None = None
) -> Expansion:
    """:func:`transform_page` plus the snippets and APIs the page used."""
    page_path = page_path.replace(os.sep, "/").lstrip("/")
    shown = display_path or ws.display(page_path)
    deep = nesting_problem(markdown)
    if deep is not None:
        what, line, col = deep
        raise RenderError(
            f"the page nests too deeply for the site's Markdown: {what} (at most {MAX_PAGE_NESTING})",
            Location(shown, line + line_offset, col),
            hint="flatten its nested lists, quotes, HTML or brackets",
        )
    uses: set[str] = set()
    blocks: list[tuple[int, int, str]] = []
    lowered = markdown.lower()
    if "<snippet" in lowered:
        first: dict[str, Embed] = {}
        """Snippet key -> its first embed on this page: later ones show what they change in it."""
        for embed in find_embeds(markdown, shown):
            if line_offset:
                embed = dataclasses.replace(
                    embed,
                    location=dataclasses.replace(embed.location, line=embed.location.line + line_offset),
                )
            snippet = _snippet_for(embed, ws.catalog)
            uses.add(f"snippet:{snippet.key}")
            base = first.setdefault(snippet.key, embed)
            block = snippet_markdown(
                snippet,
                embed,
                page_path,
                ws.pages,
                base=None if base is embed else base,
                after=functools.partial(response_block, ws, snippet, embed),
            )
            blocks.append((embed.start, embed.end, block))
    if "<operation" in lowered:
        for tag in find_operation_tags(markdown, shown, line_offset):
            op = _operation_for(tag, ws.specs)
            uses.add(f"api:{op.api}")
            blocks.append((tag.start, tag.end, operation_markdown(op, ws.specs, level=_level(tag))))
    if "<assumed" in lowered:
        for cite in find_tags(markdown, "assumed", shown):
            location = dataclasses.replace(cite.location, line=cite.location.line + line_offset)
            reason, why = resolve_cite(
                ws.specs,
                cite.attributes.get("data-ref", "").strip(),
                cite.attributes.get("data-pointer", "").strip(),
            )
            if reason is None or not cite.closed:
                raise RenderError(
                    why or "<assumed> tag is never closed",
                    location,
                    hint='write <assumed data-ref="api:operationId" data-pointer="/responses/429"></assumed>',
                )
            blocks.append((cite.start, cite.end, Inline(cite_html(reason))))
            uses.add(f"api:{cite.attributes.get('data-ref', '').split(':')[0].strip()}")
    if not blocks:
        return Expansion(markdown, frozenset())
    return Expansion(splice(markdown, blocks), frozenset(uses))


class Inline(str):
    """HTML that replaces its tag where it stands, inside its line (an ``<assumed>`` badge)."""


def splice(text: str, blocks: Iterable[tuple[int, int, str]]) -> str:
    """Replace ``text[start:end]`` by each block as a Markdown block of its own.

    A tag alone on its line keeps that line's indentation (so a tag inside an admonition or a list
    item stays inside it); blank lines around the block keep it out of a neighbouring paragraph.
    """
    out = []
    pos = 0
    for start, end, block in sorted(blocks):
        if isinstance(block, Inline):
            out.append(text[pos:start] + block)
            pos = end
            continue
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start]
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        after = text[end:line_end]
        if before.strip():
            indent, head = "", text[pos:start] + "\n\n"
        else:
            indent, head = before, text[pos:line_start]
        body = "\n".join(indent + line if line.strip() else "" for line in block.rstrip("\n").split("\n"))
        out.append(head + ("\n" if head and not head.endswith("\n\n") else "") + body + "\n")
        if after.strip():
            out.append("\n" + indent)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _level(tag: OperationTag) -> int:
    raw = tag.attributes.get("data-level", "3").strip()
    if not raw.isdigit() or not 0 <= int(raw) <= 6:
        raise RenderError(f"data-level must be a number from 0 (no heading) to 6, not {raw!r}", tag.location)
    return int(raw)


def _snippet_for(embed: Embed, catalog: Catalog) -> Snippet:
    for problem in embed_problems(embed, catalog):
        raise RenderError(problem.message, problem.location, problem.hint)
    return catalog.snippets[embed.name]


def _operation_for(tag: OperationTag, specs: SpecSet | None) -> Operation:
    if not tag.ref:
        raise RenderError(
            "<operation> without data-ref",
            tag.location,
            hint='write <operation data-ref="api:operationId"></operation>',
        )
    if specs is None:
        raise RenderError(
            f"unknown operation {tag.ref!r}: the project has no OpenAPI specs",
            tag.location,
            hint="specs live in shared/openapi/<api>.yaml",
        )
    op = specs.resolve(tag.ref)
    if op is None:
        close = specs.suggest(tag.ref)
        raise RenderError(
            f"unknown operation {tag.ref!r}",
            tag.location,
            hint=f"did you mean {' or '.join(map(repr, close))}?"
            if close
            else f"known APIs: {', '.join(specs.apis) or '(none)'}; "
            "refer to operations as api:operationId or api:METHOD /path",
        )
    return op
