"""One loaded project: its catalog, specs and pages, as every part of snippetgen sees it.

``load_workspace`` is the one way to load a project: ``check``, the site adapters, the test runner,
``coverage`` and ``run`` all start from the :class:`Workspace` it returns, with the problems found
while loading (a snippet that cannot be read, a spec that does not parse) beside it.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from .loader import Catalog, load_catalog
from .model import Counts, Embed, Problem
from .pages import find_embeds, iter_pages
from .project import Project
from .spec import SpecSet, load_specs


@dataclass
class Workspace:
    """A project's catalog, specs and pages, loaded once."""

    project: Project
    catalog: Catalog
    specs: SpecSet | None = None
    """None when the project has no specs folder."""
    page_texts: dict[str, str] = field(default_factory=dict)
    """Project-relative page path (``docs/aiart/index.md``) -> text."""
    embeds: list[Embed] = field(default_factory=list)
    """Every ``<snippet>`` tag of every page, in page order."""
    pages: Collection[str] | None = None
    """Docs-relative paths (``aiart/index.md``) of the site's pages; None = do not verify docs links."""
    fingerprints: dict[str, str] = field(default_factory=dict)
    """``snippet:<key>`` / ``api:<name>`` -> content hash, to tell which pages an edit affects."""
    _by_name: dict[str, list[Embed]] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.fingerprints:
            self.fingerprints = fingerprints(self.catalog, self.specs)

    @property
    def docs_prefix(self) -> str:
        """How a docs-relative page path is shown in errors (``docs/``), so they read ``docs/x.md:3``."""
        return page_prefix(self.project)

    def display(self, page_path: str) -> str:
        return f"{self.docs_prefix}{page_path}"

    def counts(self) -> Counts:
        """How many snippets, templates, pages, embeds, specs and operations the workspace holds."""
        return Counts(
            snippets=len(self.catalog.snippets),
            templates=sum(len(s.templates) for s in self.catalog.snippets.values()),
            pages=len(self.pages) if self.pages is not None else len(self.page_texts),
            embeds=len(self.embeds),
            specs=len(self.specs.apis) if self.specs is not None else 0,
            operations=len(self.specs.operations()) if self.specs is not None else 0,
        )

    def embeds_of(self, key: str) -> list[Embed]:
        """Embeds of one snippet (indexed once: a scan per snippet would make check quadratic)."""
        if self._by_name is None:
            by_name: dict[str, list[Embed]] = defaultdict(list)
            for embed in self.embeds:
                by_name[embed.name].append(embed)
            self._by_name = dict(by_name)
        return list(self._by_name.get(key, []))


def load_workspace(
    project: Project, *, validate_specs: bool = True, read_pages: bool = True
) -> tuple[Workspace, list[Problem]]:
    """Catalog, specs and pages of ``project``, with the problems found while loading them.

    ``validate_specs=False`` skips the OpenAPI validator and the spec lints (the check's job), for
    adapters that only render; ``read_pages=False`` lists the pages without reading them.
    """
    catalog, problems = load_catalog(
        project.snippets_dir,
        project.root,
        max_config_bytes=project.max_config_bytes,
        missing_ok=project.specs_dir.is_dir(),
    )
    specs = None
    if project.specs_dir.is_dir():
        specs, spec_problems = load_specs(
            project.specs_dir, project.root, validate=validate_specs, max_bytes=project.max_spec_bytes
        )
        problems += spec_problems
    ws = Workspace(project, catalog, specs)
    pages = []
    for page in iter_pages(project.docs_dir):
        pages.append(page.relative_to(project.docs_dir).as_posix())
        if read_pages:
            rel = project.rel(page)
            text = page.read_text(encoding="utf-8", errors="replace")
            ws.page_texts[rel] = text
            ws.embeds.extend(find_embeds(text, rel))
    ws.pages = set(pages)
    return ws, problems


def page_prefix(project: Project) -> str:
    """The docs folder as errors show it before a page path: ``docs/``."""
    rel = project.rel(project.docs_dir)
    return "" if rel in ("", ".") else rel.rstrip("/") + "/"


def fingerprints(catalog: Catalog, specs: SpecSet | None = None) -> dict[str, str]:
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


def tree_signature(*roots: Path, suffixes: tuple[str, ...] = ()) -> tuple[tuple[str, int, int], ...]:
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
