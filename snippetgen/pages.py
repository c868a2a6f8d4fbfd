"""Finding ``<snippet data-name=... data-...>`` embeds (and hand-written code blocks) in Markdown pages.

Tags are read by the standard library's HTML tokenizer (:mod:`html.parser`), as a browser would:
a quoted attribute value may hold any character, ``>`` and newlines included, and character
references (``&gt;``, ``&quot;``) are decoded. A tag whose quoted value is never closed is reported
at its line instead of swallowing the rest of the page.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from .model import Embed, Location
from .render import camel_case

MAX_TAG_CHARS = 64 * 1024
"""Longest ``<snippet ...>`` / ``<operation ...>`` start tag read; longer is reported as unclosed."""
MAX_PAGE_NESTING = 48
"""Deepest nesting a page may have (quotes, list indentation in 4-column steps, HTML elements,
brackets): Python-Markdown parses nesting recursively and fails somewhere past a few hundred."""
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_QUOTES = re.compile(r"^(?:[ \t]{0,3}>)+")
_BRACKET = re.compile(r"\\.|[\[\]]")  # an escaped character is skipped
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*?(/?)>")  # stops at "<": linear
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())

_md = MarkdownIt("commonmark")


@dataclass(frozen=True)
class Tag:
    """One ``<snippet>`` or ``<operation>`` tag of a page, read like a browser reads it."""

    location: Location
    attributes: dict[str, str]
    """Lower-case names; values decoded; the first of repeated attributes wins (as in HTML)."""
    start: int
    end: int
    """Offsets of the tag in the page text, its ``</snippet>`` included when it follows; ``end`` is
    ``start`` for a start tag that never ends (an unclosed quote), whose ``attributes`` are empty."""
    raw: str

    @property
    def closed(self) -> bool:
        return self.end > self.start


class _StartTag(HTMLParser):
    """Reads the one start tag at the beginning of its input, then stops."""

    class Done(Exception):
        pass

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tag: tuple[list[tuple[str, str | None]], str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = (attrs, self.get_starttag_text() or "")
        raise self.Done

    handle_startendtag = handle_starttag


def read_start_tag(text: str, start: int) -> tuple[dict[str, str], int] | None:
    """Attributes and end offset of the start tag at ``text[start]``; None when it does not end
    within :data:`MAX_TAG_CHARS`."""
    parser = _StartTag()
    try:
        parser.feed(text[start : start + MAX_TAG_CHARS])
    except _StartTag.Done:
        pass
    if parser.tag is None:
        return None
    attrs, raw = parser.tag
    values: dict[str, str] = {}
    for name, value in attrs:
        values.setdefault(name.lower(), value or "")
    return values, start + len(raw)


def find_tags(text: str, name: str, path: str, spans: list[tuple[int, int]] | None = None) -> list[Tag]:
    """Every ``<name ...>`` tag outside code blocks, with a following ``</name>`` taken along."""
    spans = code_spans(text) if spans is None else spans
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    opener = re.compile(rf"<{re.escape(name)}(?=[\s/>])", re.I)
    closer = re.compile(rf"\s*</{re.escape(name)}\s*>", re.I)
    tags: list[Tag] = []
    end = 0
    for match in opener.finditer(text):
        start = match.start()
        if start < end:
            continue  # inside the previous tag (a quoted value holding "<snippet")
        line = _line_of(line_starts, start)
        if any(lo <= line - 1 < hi for lo, hi in spans):
            continue
        location = Location(path, line, start - line_starts[line - 1] + 1)
        read = read_start_tag(text, start)
        if read is None:
            stop = text.find("\n", start)
            end = len(text) if stop < 0 else stop
            tags.append(Tag(location, {}, start, start, text[start:end][:200]))
            continue
        attributes, end = read
        after = closer.match(text, end)
        if after is not None:
            end = after.end()
        tags.append(Tag(location, attributes, start, end, text[start:end]))
    return tags


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block written by hand in a page."""

    location: Location
    """Line of the opening fence."""
    info: str
    code: str
    first_line: int
    """Page line of the first code line."""
    start: int
    end: int


def code_spans(text: str) -> list[tuple[int, int]]:
    """0-based [start, end) line ranges of fenced and indented code in a Markdown text."""
    return [tuple(tok.map) for tok in _md.parse(text) if tok.type in ("fence", "code_block") and tok.map]


def find_embeds(text: str, path: str) -> list[Embed]:
    """Every ``<snippet>`` tag outside code blocks, with ``data-*`` attributes camelCased.

    An unclosed tag is an embed without a name that spans no text (:func:`is_unclosed`;
    :func:`snippetgen.render.embed_problems` reports it).
    """
    embeds = []
    for tag in find_tags(text, "snippet", path):
        attrs = tag.attributes
        overrides = {camel_case(k): v for k, v in attrs.items() if k.startswith("data-") and k != "data-name"}
        embeds.append(Embed(tag.location, attrs.get("data-name", ""), overrides, tag.start, tag.end, tag.raw))
    return embeds


def is_unclosed(embed: Embed) -> bool:
    """Whether an embed's start tag never ends (a quoted value left open)."""
    return bool(embed.raw) and embed.end == embed.start


def nesting_problem(text: str) -> tuple[str, int, int] | None:
    """(what, line, col) of the first place a page nests deeper than :data:`MAX_PAGE_NESTING`:
    block quotes, indentation (list levels), HTML elements or ``[`` brackets. Fenced code is not
    counted. One linear pass, so a hostile page costs no more than reading it."""
    fence: str | None = None
    html_depth = 0
    for number, line in enumerate(text.split("\n"), start=1):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        quotes = _QUOTES.match(line)
        if quotes and quotes.group().count(">") > MAX_PAGE_NESTING:
            return f"{quotes.group().count('>')} block quotes deep", number, 1
        width = len(line) - len(line.lstrip(" \t"))
        columns = len(line[:width].expandtabs(4))
        if line.strip() and columns > MAX_PAGE_NESTING * 4:
            return f"about {columns // 4} list levels ({columns} columns of indentation)", number, 1
        brackets = 0
        for bracket in _BRACKET.finditer(line) if "[" in line else ():
            if bracket.group() == "[":
                brackets += 1
                if brackets > MAX_PAGE_NESTING:
                    return f"{brackets} brackets deep", number, bracket.start() + 1
            elif bracket.group() == "]" and brackets:
                brackets -= 1
        if "<" in line:
            for tag in _HTML_TAG.finditer(line):
                closing, name, self_closing = tag.groups()
                if name.lower() in _VOID or self_closing:
                    continue
                html_depth = max(html_depth - 1, 0) if closing else html_depth + 1
                if html_depth > MAX_PAGE_NESTING:
                    return f"{html_depth} HTML elements deep", number, tag.start() + 1
    return None


def find_code_blocks(text: str, path: str) -> list[CodeBlock]:
    """Fenced code blocks with their info string and page lines."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    blocks = []
    for tok in _md.parse(text):
        if tok.type == "fence" and tok.map:
            lo, hi = tok.map
            blocks.append(
                CodeBlock(
                    Location(path, lo + 1),
                    tok.info.strip(),
                    tok.content,
                    lo + 2,
                    offsets[lo],
                    offsets[min(hi, len(lines))],
                )
            )
    return blocks


def front_matter_lines(source: str, text: str) -> int:
    """Lines a host stripped from the top of a page file (YAML front matter) before handing over
    ``text``: what to add to a line of ``text`` for the line of the file ``source``. 0 if unknown.

    Shared by the MkDocs plugin and the Markdown extension, so errors name true page lines.
    """
    source = source.replace("\r\n", "\n")
    body = text.rstrip("\n")
    index = source.rfind(body) if body else -1
    return source.count("\n", 0, index) if index > 0 else 0


def _line_of(line_starts: list[int], offset: int) -> int:
    """1-based line holding ``offset``, given the offsets where lines start."""
    return bisect.bisect_right(line_starts, offset)


def iter_pages(docs_dir: Path) -> Iterator[Path]:
    """Markdown pages below ``docs_dir`` in a stable order."""
    if docs_dir.is_dir():
        yield from sorted(p for p in docs_dir.rglob("*.md") if p.is_file())
