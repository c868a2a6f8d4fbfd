"""Python-Markdown adapter: the ``snippetgen`` extension expands tags like the MkDocs plugin.

For generators that load Markdown extensions but not MkDocs plugins (e.g. Zensical)::

    markdown.markdown(text, extensions=["pymdownx.superfences", "pymdownx.tabbed", "snippetgen"],
                      extension_configs={"snippetgen": {"root": ".", "page": "aiart/index.md"}})

``root`` is the project folder; ``page`` (optional) is the page being converted, relative to the
docs folder, so docs links come out relative to it and errors read ``docs/<page>:line``.
The catalog and specs are loaded once per project and again only when a file under them changes.
"""

from __future__ import annotations

import threading
from pathlib import Path

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from ..markdown.expand import transform_page
from ..pages import front_matter_lines
from ..project import Project
from ..workspace import Workspace, load_workspace, tree_signature

_SITES: dict[Path, tuple[tuple[object, ...], Workspace]] = {}
_LOCK = threading.Lock()


def load_site(root: Path | str) -> Workspace:
    """The project's :class:`Workspace`, reloaded only when its snippets, specs or page list changed."""
    project = Project.load(root)
    signature = (
        tree_signature(project.snippets_dir, project.specs_dir, project.root / "pyproject.toml"),
        tuple(entry[0] for entry in tree_signature(project.docs_dir, suffixes=(".md",))),
    )
    with _LOCK:
        cached = _SITES.get(project.root)
        if cached and cached[0] == signature:
            return cached[1]
        # Loader problems surface as errors where a page uses them; validating is the check's job.
        site, _ = load_workspace(project, validate_specs=False, read_pages=False)
        _SITES[project.root] = (signature, site)
        return site


class SnippetPreprocessor(Preprocessor):
    """Runs before fenced code is stashed, so the expanded tabs are processed like written ones."""

    def __init__(self, md: Markdown, extension: SnippetExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        lowered = text.lower()
        if "<snippet" not in lowered and "<operation" not in lowered:
            return lines
        root = self.extension.getConfig("root") or "."
        page = str(self.extension.getConfig("page") or "").lstrip("/")
        site = load_site(root)
        offset = _front_matter_lines(site, page, text)
        display = site.display(page) if page else "<markdown>"
        return transform_page(text, page or "index.md", site, line_offset=offset, display_path=display).split(
            "\n"
        )


def _front_matter_lines(site: Workspace, page: str, text: str) -> int:
    """Lines a host stripped from the top of the page file before handing it over."""
    if not page:
        return 0
    try:
        source = (site.project.docs_dir / page).read_text(encoding="utf-8-sig")
    except OSError:
        return 0
    return front_matter_lines(source, text)


class SnippetExtension(Extension):
    """``markdown.extensions: snippetgen``."""

    def __init__(self, **kwargs: object):
        self.config = {
            "root": [".", "Project folder (holds pyproject.toml, shared/snippets and docs)"],
            "page": ["", "Page being converted, relative to the docs folder (for links and error lines)"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # After normalize_whitespace (30); before fenced code (25) and raw HTML (20) are stashed.
        md.preprocessors.register(SnippetPreprocessor(md, self), "snippetgen", 29)


def makeExtension(**kwargs: object) -> SnippetExtension:
    return SnippetExtension(**kwargs)
