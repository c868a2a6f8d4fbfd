"""Finding ``<snippet data-name=... data-...>`` embeds (and hand-written code blocks) in Markdown pages."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from .model import Embed, Location
from .render import camel_case

TAG_RE = re.compile(r"<snippet\b(?P<attrs>[^>]*?)\s*(?P<selfclose>/)?>(?:\s*</snippet>)?", re.I | re.S)
ATTR_RE = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")

_md = MarkdownIt("commonmark")


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


def parse_attributes(raw: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in ATTR_RE.finditer(raw)
    }


def find_embeds(text: str, path: str) -> list[Embed]:
    """Every ``<snippet>`` tag outside code blocks, with ``data-*`` attributes camelCased."""
    spans = code_spans(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    embeds = []
    for match in TAG_RE.finditer(text):
        line = _line_of(line_starts, match.start())
        if any(lo <= line - 1 < hi for lo, hi in spans):
            continue
        attrs = parse_attributes(match.group("attrs"))
        overrides = {camel_case(k): v for k, v in attrs.items() if k.startswith("data-") and k != "data-name"}
        embeds.append(
            Embed(
                Location(path, line, match.start() - line_starts[line - 1] + 1),
                attrs.get("data-name", ""),
                overrides,
                match.start(),
                match.end(),
                match.group(0),
            )
        )
    return embeds


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
