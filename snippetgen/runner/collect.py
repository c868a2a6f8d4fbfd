"""What the example runner runs: one Example per usage x language.

A usage is a page embed (with its overrides), a snippet's defaults when no page embeds it, or a
hand-written fenced code block in a page that calls one of the APIs (its language is the one whose
``fences`` name the block's info string).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import RenderError
from ..languages import fence_language
from ..markdown.expand import find_operation_tags
from ..markdown.reference.minimal import minimal_request
from ..model import Location, Snippet
from ..pages import find_code_blocks
from ..spec.servers import resolve_server
from ..workspace import Workspace

SKIP_MARKER = "<!-- snippetgen: skip -->"
"""Put this HTML comment on the line just above a fenced block to keep it from being run."""


@dataclass(frozen=True)
class Example:
    """One thing to execute: a snippet usage in one language, or a hand-written block."""

    usage: str
    """Location-like id of the usage, e.g. ``docs/video/kling.md:42::kling.text-to-video``."""
    lang: str
    location: Location
    """Where a docs author goes to fix it (the page line, or the snippet's config.json)."""
    snippet: Snippet | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    """Source of a hand-written block (``None`` for snippets, which are rendered)."""
    operations: tuple[str, ...] = ()
    """Operations a block must call (an operation reference's minimal request); snippets declare theirs."""
    key_envs: tuple[str, ...] = ()
    """Environment variables a block reads its credentials from (set to the mock's key)."""
    fixtures: tuple[str, ...] = ()
    """Built-in sample files a block uploads (``image.png``)."""

    @property
    def id(self) -> str:
        """The id the execution record keys the example by: ``<usage>::<lang>``."""
        return f"{self.usage}::{self.lang}"

    @property
    def file(self) -> str:
        """The file pytest collects the example from: the page, or the snippet's config.json."""
        return self.location.path

    @property
    def line(self) -> int | None:
        """The page line of the usage; ``None`` for a snippet no page embeds (its config.json)."""
        head = self.usage.split("::", 1)[0]
        number = head[len(self.file) + 1 :] if head.startswith(f"{self.file}:") else ""
        return int(number) if number.isdigit() else None

    @property
    def test_name(self) -> str:
        """The example's name in pytest, parametrize-style so pytest resolves every id it prints:
        ``kling.text-to-video[line42-py]`` (``<file>::<test_name>`` is its node id);
        ``<file>::kling.text-to-video`` selects every usage of it in the file, in every language."""
        what = self.usage.split("::", 1)[1].replace("::", ":") if "::" in self.usage else self.usage
        what = what.replace("[", "(").replace("]", ")")
        params = f"line{self.line}-{self.lang}" if self.line is not None else self.lang
        return f"{what}[{params}]"

    @property
    def page(self) -> str:
        return self.location.path


def api_origins(ws: Workspace) -> dict[str, str]:
    """API name -> origin (scheme://host[:port]) examples call it at: the project's ``base_url``,
    else the spec's server, else its placeholder origin (:func:`~snippetgen.spec.servers.resolve_server`)."""
    if ws.specs is None:
        return {}
    return {
        name: resolve_server(api.document, name, ws.project.api(name).base_url).origin
        for name, api in ws.specs.apis.items()
    }


def collect_examples(ws: Workspace) -> list[Example]:
    """Every example of the project, in a stable order (pages first, then unembedded snippets)."""
    examples: list[Example] = []
    embedded: set[str] = set()
    for embed in ws.embeds:
        snippet = ws.catalog.get(embed.name)
        if snippet is None:
            continue
        embedded.add(snippet.key)
        usage = f"{embed.location.path}:{embed.location.line}::{snippet.key}"
        for lang in snippet.templates:
            examples.append(Example(usage, lang, embed.location, snippet, dict(embed.overrides)))
    for key in sorted(ws.catalog.snippets):
        if key in embedded:
            continue
        snippet = ws.catalog.snippets[key]
        loc = Location(str(snippet.config_path), 1)
        for lang in snippet.templates:
            examples.append(Example(f"{snippet.config_path}::{key}", lang, loc, snippet))
    origins = tuple(api_origins(ws).values())
    for page, text in sorted(ws.page_texts.items()):
        lines = text.splitlines()
        for block in find_code_blocks(text, page):
            language = fence_language(block.info or "")
            if language is None or not origins or not any(o in block.code for o in origins):
                continue
            above = lines[block.location.line - 2].strip() if block.location.line >= 2 else ""
            if above == SKIP_MARKER:
                continue
            examples.append(
                Example(f"{page}:{block.location.line}::block", language.id, block.location, code=block.code)
            )
    examples += minimal_requests(ws)
    return examples


def minimal_requests(ws: Workspace) -> list[Example]:
    """The minimal ``curl`` request of every ``<operation>`` reference of the pages, as shown beside
    it, with the id ``<page>:<line>::op:<api>.<operationId>::curl``."""
    if ws.specs is None:
        return []
    out = []
    for page, text in sorted(ws.page_texts.items()):
        if "<operation" not in text.lower():
            continue
        try:
            tags = find_operation_tags(text, page)
        except RenderError:
            continue  # the page does not build: check and the site build report it
        for tag in tags:
            op = ws.specs.resolve(tag.ref)
            request = minimal_request(op, ws.specs, ws.specs.apis[op.api].base_url) if op else None
            if op is None or request is None:
                continue
            usage = f"{page}:{tag.location.line}::op:{op.api}.{op.operation_id}"
            out.append(
                Example(
                    usage,
                    "curl",
                    tag.location,
                    code=request.run,
                    operations=request.operations,
                    key_envs=request.key_envs,
                    fixtures=request.fixtures,
                )
            )
    return out


def usage_groups(examples: list[Example]) -> dict[str, list[Example]]:
    groups: dict[str, list[Example]] = {}
    for example in examples:
        groups.setdefault(example.usage, []).append(example)
    return groups


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def slug(text: str) -> str:
    return _SAFE.sub("-", text).strip("-")[:80]


def parse_shard(text: str) -> tuple[int, int] | None:
    """``"2/3"`` -> ``(2, 3)``; ``None`` unless it is ``i/n`` with ``1 <= i <= n``."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", text)
    if not match:
        return None
    index, count = int(match.group(1)), int(match.group(2))
    return (index, count) if 1 <= index <= count else None


def assign_shards(units: dict[str, tuple[str, int]], count: int) -> dict[str, int]:
    """Unit id -> shard (1-based) for ``count`` shards; deterministic on the units alone.

    A unit is what must run on one machine (a usage's tabs, compared with each other; a test file),
    given as ``id -> (kind, weight)``: its kind (e.g. its languages) and how many tests it holds.
    Kind by kind, heaviest first, each unit goes to the shard with the least weight so far (ties to
    the lowest shard), so every shard gets a fair share of every kind. Same units on every machine,
    same shards: nothing depends on hashing salts, time or the order units were given in.
    """
    loads = [0] * count
    shards: dict[str, int] = {}
    for unit, (_, weight) in sorted(units.items(), key=lambda u: (u[1][0], -u[1][1], u[0])):
        best = min(range(count), key=lambda i: (loads[i], i))
        shards[unit] = best + 1
        loads[best] += max(weight, 1)
    return shards
