"""Pages with their ``<snippet>`` and ``<operation>`` tags expanded into plain Markdown.

A snippet becomes its title, an optional description, a link to its docs page and one
``pymdownx.tabbed`` tab per language (labels from the language registry, so Material's
``content.tabs.link`` switches every snippet of a site together), each holding a fenced code
block whose fence is longer than any backtick run in the code. An operation reference becomes
a summary of one OpenAPI operation (see :mod:`snippetgen.reference`).

The output is ordinary Markdown for MkDocs (``mkdocs_plugin``), Python-Markdown hosts such as
Zensical (``markdown_ext``) or a plain ``.md`` export. Nothing here imports a host.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import posixpath
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RenderError
from .languages import get_language
from .loader import Catalog, load_catalog
from .model import Embed, Location, Problem, Snippet
from .pages import code_spans, find_embeds, iter_pages, parse_attributes
from .project import Project
from .render import render_embed

OPERATION_RE = re.compile(
    r"<operation\b(?P<attrs>[^>]*?)\s*(?P<selfclose>/)?>(?:\s*</operation>)?", re.I | re.S
)
DOCS_LABEL = "Docs"
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!])")
"""Python-Markdown's own escapable characters (``|`` and ``~`` are only escapable with extensions)."""


@dataclass
class Site:
    """What page expansion needs: the catalog, the specs and which pages exist."""

    catalog: Catalog
    specs: Any = None
    """A ``spec.SpecSet``, or None when the project has no specs."""
    pages: Collection[str] | None = None
    """Docs-relative paths (``aiart/index.md``) of the site's pages; None = do not verify docs links."""
    docs_prefix: str = ""
    """How a docs-relative page path is shown in errors (``docs/``), so they read ``docs/x.md:3``."""
    fingerprints: dict[str, str] = field(default_factory=dict)
    """``snippet:<key>`` / ``api:<name>`` -> content hash, to tell which pages an edit affects."""

    @classmethod
    def load(cls, project: Project) -> tuple[Site, list[Problem]]:
        """Catalog, specs and the page list of a project (problems are the loaders')."""
        catalog, problems = load_catalog(project.snippets_dir, project.root)
        specs, spec_problems = load_site_specs(project)
        pages = {p.relative_to(project.docs_dir).as_posix() for p in iter_pages(project.docs_dir)}
        return cls.build(catalog, specs, pages, docs_prefix=page_prefix(project)), problems + spec_problems

    @classmethod
    def from_workspace(cls, ws: Any) -> Site:
        """Reuse what ``check.load_workspace`` already loaded."""
        project = ws.project
        prefix = page_prefix(project)
        pages = {p.removeprefix(prefix) for p in ws.page_texts} if prefix else set(ws.page_texts)
        return cls.build(ws.catalog, ws.specs, pages, docs_prefix=prefix)

    @classmethod
    def build(
        cls, catalog: Catalog, specs: Any = None, pages: Collection[str] | None = None, docs_prefix: str = ""
    ) -> Site:
        return cls(catalog, specs, pages, docs_prefix, fingerprints(catalog, specs))

    def display(self, page_path: str) -> str:
        return f"{self.docs_prefix}{page_path}"


def load_site_specs(project: Project) -> tuple[Any, list[Problem]]:
    """The specs as far as pages need them: parsed, ``$ref``s resolved, operations indexed.

    Validation and linting (the slow part of ``spec.load_specs``) are the check's job; a site
    build runs the check separately, so rendering does not pay for it twice.
    """
    if not project.specs_dir.is_dir():
        return None, []
    import yaml

    from .spec import Api, SpecSet, build_operations, spec_files

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    specs, problems = SpecSet(), []
    for path in spec_files(project.specs_dir):
        display = project.rel(path)
        try:
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(
                Problem(
                    Location(display, mark.line + 1 if mark else 0),
                    f"cannot read the spec: {getattr(exc, 'problem', None) or exc}",
                    "spec-yaml",
                )
            )
            continue
        if not isinstance(document, dict):
            problems.append(
                Problem(Location(display, 1), "an OpenAPI document must be a mapping", "spec-invalid")
            )
            continue
        servers = document.get("servers") or [{}]
        base_url = str(servers[0].get("url", "")) if isinstance(servers[0], dict) else ""
        api = Api(path.stem, path, document, base_url, display=display)
        api.operations, _ = build_operations(api)
        specs.apis[api.name] = api
    return specs, problems


def page_prefix(project: Project) -> str:
    """The docs folder as errors show it before a page path: ``docs/``."""
    rel = project.rel(project.docs_dir)
    return "" if rel in ("", ".") else rel.rstrip("/") + "/"


def fingerprints(catalog: Catalog, specs: Any = None) -> dict[str, str]:
    """A content hash per snippet and per API: a page is stale when one it uses changes."""
    out = {}
    for key, snippet in catalog.snippets.items():
        digest = hashlib.sha1(repr(sorted(snippet.config.items(), key=lambda kv: kv[0])).encode())
        for lang, template in snippet.templates.items():
            digest.update(f"\0{lang}\0{template.source}".encode())
        out[f"snippet:{key}"] = digest.hexdigest()
    if specs is not None:
        for name, api in specs.apis.items():
            out[f"api:{name}"] = hashlib.sha1(repr(api.document).encode()).hexdigest()
    return out


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
    """Every ``<operation>`` tag outside code blocks."""
    spans = code_spans(text)
    tags = []
    for match in OPERATION_RE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if any(lo <= line - 1 < hi for lo, hi in spans):
            continue
        col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        attrs = parse_attributes(match.group("attrs"))
        tags.append(
            OperationTag(
                Location(path, line + line_offset, col),
                attrs.get("data-ref", "").strip(),
                attrs,
                match.start(),
                match.end(),
            )
        )
    return tags


def transform_page(
    markdown: str, page_path: str, ws: Any, *, line_offset: int = 0, display_path: str | None = None
) -> str:
    """The page with every snippet and operation tag replaced by Markdown.

    ``page_path`` is the page relative to the docs folder (``aiart/index.md``); docs links are made
    relative to it. ``ws`` is a :class:`Site` or a ``check.Workspace``. ``line_offset`` is the number
    of source lines before ``markdown`` starts (front matter a host stripped), so errors point at
    the file's real ``path:line``. Errors raise :class:`RenderError`.
    """
    return expand_page(markdown, page_path, ws, line_offset=line_offset, display_path=display_path).text


def expand_page(
    markdown: str, page_path: str, ws: Any, *, line_offset: int = 0, display_path: str | None = None
) -> Expansion:
    """:func:`transform_page` plus the snippets and APIs the page used."""
    site = ws if isinstance(ws, Site) else Site.from_workspace(ws)
    page_path = page_path.replace(os.sep, "/").lstrip("/")
    shown = display_path or site.display(page_path)
    uses: set[str] = set()
    blocks: list[tuple[int, int, str]] = []
    lowered = markdown.lower()
    if "<snippet" in lowered:
        for embed in find_embeds(markdown, shown):
            if line_offset:
                embed = dataclasses.replace(
                    embed,
                    location=dataclasses.replace(embed.location, line=embed.location.line + line_offset),
                )
            snippet = _snippet_for(embed, site.catalog)
            uses.add(f"snippet:{snippet.key}")
            blocks.append((embed.start, embed.end, snippet_markdown(snippet, embed, page_path, site.pages)))
    if "<operation" in lowered:
        from .reference import operation_markdown

        for tag in find_operation_tags(markdown, shown, line_offset):
            op = _operation_for(tag, site.specs)
            uses.add(f"api:{op.api}")
            blocks.append((tag.start, tag.end, operation_markdown(op, site.specs, level=_level(tag))))
    if not blocks:
        return Expansion(markdown, frozenset())
    return Expansion(splice(markdown, blocks), frozenset(uses))


def splice(text: str, blocks: Iterable[tuple[int, int, str]]) -> str:
    """Replace ``text[start:end]`` by each block as a Markdown block of its own.

    A tag alone on its line keeps that line's indentation (so a tag inside an admonition or a list
    item stays inside it); blank lines around the block keep it out of a neighbouring paragraph.
    """
    out = []
    pos = 0
    for start, end, block in sorted(blocks):
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
    from .check import embed_problems

    for problem in embed_problems(embed, catalog):
        raise RenderError(problem.message, problem.location, problem.hint)
    return catalog.snippets[embed.name]


def _operation_for(tag: OperationTag, specs: Any) -> Any:
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


# --- one snippet -----------------------------------------------------------------------------


def snippet_markdown(
    snippet: Snippet, embed: Embed, page_path: str, pages: Collection[str] | None = None
) -> str:
    """Title, description, docs link and one tab per language, as Markdown."""
    head = f"**{md_escape(snippet.title)}**"
    if snippet.docs:
        try:
            href = docs_href(snippet.docs, page_path, pages)
        except ValueError as exc:
            config = Location(str(snippet.config_path), snippet.line_of("/docs"))
            raise RenderError(
                f"{snippet.key}: {exc} (docs in {config})",
                embed.location,
                hint="use an https URL or a page of this site such as aiart/img2video.md",
            ) from None
        if href is not None:
            head += f" · [{DOCS_LABEL}]({href})"
    parts = [head]
    description = str(snippet.config.get("description") or "").strip()
    if description:
        parts.append(" ".join(description.split()))
    for index, lang in enumerate(snippet.templates):
        language = get_language(lang)
        code = render_embed(snippet, embed, lang).code
        marker = "===!" if index == 0 else "==="
        parts.append(
            f'{marker} "{language.label}"\n\n' + indent(code_fence(code, language.lexer).rstrip("\n"), "    ")
        )
    return "\n\n".join(parts) + "\n"


def code_fence(code: str, lexer: str) -> str:
    """A fenced code block that nothing in ``code`` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lexer}\n{code.rstrip(chr(10))}\n{fence}\n"


def indent(text: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(keepends=True))


def md_escape(text: str) -> str:
    """Plain text made safe as inline Markdown: no markup, no raw HTML."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_PUNCT.sub(r"\\\1", " ".join(text.split()))


def docs_href(docs: str, page_path: str, pages: Collection[str] | None = None) -> str | None:
    """The link from ``page_path`` to a snippet's docs: an https URL as is, a site page relative.

    ``aiart/img2video.md``, ``/aiart/img2video/`` and ``aiart/img2video.md#usage`` all name the
    page ``aiart/img2video.md`` (or ``aiart/img2video/index.md``); the link is relative to the
    current page so it works under any site URL prefix. None when the docs page is this page.
    Raises ``ValueError`` when ``pages`` is given and no page matches.
    """
    docs = docs.strip()
    if re.match(r"https?://", docs, re.I):
        return _url_quote(docs)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", docs):
        raise ValueError(f"docs link {docs!r} is neither an https URL nor a page of this site")
    target, _, fragment = docs.partition("#")
    target = posixpath.normpath(target.lstrip("/")) if target.strip("/") else ""
    if target.startswith("../") or target == "..":
        raise ValueError(f"docs link {docs!r} leaves the docs folder")
    if target in ("", "."):
        candidates = ["index.md", "README.md"]
    elif target.endswith(".md"):
        candidates = [target]
    else:
        stem = target.removesuffix(".html").removesuffix("/index")
        candidates = [f"{stem}.md", f"{stem}/index.md", f"{stem}/README.md"]
    if pages is not None:
        found = [c for c in candidates if c in pages]
        if not found:
            close = difflib.get_close_matches(candidates[0], list(pages), n=1)
            raise ValueError(
                f"docs link {docs!r} names no page of the site"
                + (f" (did you mean {close[0]!r}?)" if close else "")
            )
        chosen = found[0]
    else:
        chosen = candidates[0]
    anchor = f"#{fragment}" if fragment else ""
    if chosen == page_path:
        return anchor or None
    return _url_quote(posixpath.relpath(chosen, posixpath.dirname(page_path) or ".") + anchor)


def _url_quote(url: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in " ()<>\"'`" else c for c in url)


# --- secrets in the built site ---------------------------------------------------------------

PLACEHOLDER_RE = re.compile(
    r"^(?:<.*>|\$\{?\w+\}?|your[-_ ]?\w*|x+|test|mock[-\w]*|dummy[-\w]*|changeme)$", re.I
)


def secret_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Real-looking values of ``*_API_KEY`` environment variables: name -> value.

    Short values and obvious placeholders (``<YOUR_API_KEY>``, ``test``, ``mock-test-key``) are
    not secrets, so a CI that exports the mock's key does not fail the build.
    """
    environ = os.environ if environ is None else environ
    return {
        name: value
        for name, value in environ.items()
        if name.upper().endswith("_API_KEY")
        and len(value.strip()) >= 12
        and not PLACEHOLDER_RE.match(value.strip())
    }


def find_leaks(site_dir: Path, secrets: Mapping[str, str]) -> list[Problem]:
    """One problem per built file that contains the value of a key from the environment."""
    if not secrets:
        return []
    needles = {name: value.encode() for name, value in secrets.items()}
    problems = []
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file()):
        data = path.read_bytes()
        for name, needle in needles.items():
            if needle in data:
                line = data.count(b"\n", 0, data.index(needle)) + 1
                shown = (
                    path.relative_to(Path(site_dir).parent) if Path(site_dir).parent in path.parents else path
                )
                problems.append(
                    Problem(
                        Location(shown.as_posix(), line),
                        f"the built site contains the value of ${name}",
                        "secret-leak",
                        hint="examples must read keys from the environment at run time, "
                        "never embed them; find what copied it into the page",
                    )
                )
    return problems


def tree_signature(*roots: Path, suffixes: tuple[str, ...] = ()) -> tuple:
    """Paths, sizes and mtimes of the files below ``roots``: changes when any of them does."""
    entries = []
    for root in roots:
        root = Path(root)
        if root.is_file():
            st = root.stat()
            entries.append((str(root), st.st_size, st.st_mtime_ns))
            continue
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
            for name in sorted(filenames):
                if suffixes and not name.endswith(suffixes):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                entries.append((path, st.st_size, st.st_mtime_ns))
    return tuple(entries)
