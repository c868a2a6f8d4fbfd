"""MkDocs adapter: ``plugins: [snippetgen]`` expands ``<snippet>`` and ``<operation>`` tags.

``on_config`` loads the catalog and specs once (again only when a file under them changed, which
is what ``mkdocs serve`` needs) and starts ``snippetgen check``; the check runs beside the build
and its problems fail it in ``on_post_build`` as ``path:line: message`` lines.
``on_page_markdown`` hands each page to :func:`snippetgen.site.expand_page`.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from .errors import SnippetgenError
from .model import Problem
from .project import Project
from .site import Site, code_fence, expand_page, find_leaks, indent, secret_values, tree_signature

log = logging.getLogger("mkdocs.plugins.snippetgen")


class SnippetgenConfig(base.Config):
    root = c.Optional(c.Type(str))
    """Project folder (holds ``pyproject.toml`` and ``shared/``); default: the folder of mkdocs.yml."""
    check = c.Type(bool, default=True)
    """Run ``snippetgen check`` with every build; its problems fail the build."""


class SnippetgenPlugin(BasePlugin[SnippetgenConfig]):
    """Expands snippets and operation references; fails the build on any snippetgen problem."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.project: Project | None = None
        self.site: Site | None = None
        self.serving = False
        self.skip_check = False
        """Set by ``site_build.build`` after it already ran the check."""
        self._inputs: tuple | None = None
        self._checked_inputs: tuple | None = None
        self._check_thread: threading.Thread | None = None
        self._problems: list[Problem] = []
        self._cache: dict[str, tuple[str, int, dict[str, str], str]] = {}
        self.failures: list[Problem] = []
        """What failed the last build, as problems (read by ``site_build.build``)."""

    # -- lifecycle ------------------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup keeps this instance across `mkdocs serve` rebuilds (MkDocs >= 1.4).
        self.serving = command == "serve"

    def on_config(self, config: Any) -> Any:
        root = self.config.root or (os.path.dirname(config.config_file_path) if config.config_file_path else ".")
        try:
            project = Project.load(root)
        except SnippetgenError as exc:
            raise PluginError(f"snippetgen: {exc}") from None
        self.project = project
        self.failures = []
        inputs = tree_signature(project.snippets_dir, project.specs_dir, project.root / "pyproject.toml")
        pages = tree_signature(project.docs_dir, suffixes=(".md",))
        run_check = self.config.check and not self.skip_check
        if inputs != self._inputs or self.site is None or (run_check and (inputs, pages) != self._checked_inputs):
            self._load(project, run_check)
            self._inputs = inputs
            self._checked_inputs = (inputs, pages) if run_check else None
        return config

    def _load(self, project: Project, run_check: bool) -> None:
        from .check import check_workspace, load_workspace
        from .render import environment

        ws, problems = load_workspace(project)
        self.site = Site.from_workspace(ws)
        if problems:  # the catalog or a spec cannot be read: say so before pages fail with "unknown"
            self._fail(problems)
        self._problems = []
        if not run_check:
            return
        environment()  # created once, before another thread can race to create it

        def work() -> None:
            try:
                self._problems = check_workspace(ws)
            except Exception as exc:  # noqa: BLE001 - reported by on_post_build
                self._problems = [Problem(_loc(project), f"snippetgen check crashed: {exc!r}", "internal")]

        self._check_thread = threading.Thread(target=work, name="snippetgen-check", daemon=True)
        self._check_thread.start()

    def on_files(self, files: Any, *, config: Any) -> Any:
        if self.site is not None:
            self.site.pages = {f.src_uri for f in files.documentation_pages()}
            for file in files.documentation_pages():  # `--dirty`: rebuild pages whose inputs changed
                entry = self._cache.get(file.src_uri)
                if entry and any(self.site.fingerprints.get(k) != v for k, v in entry[2].items()):
                    file.is_modified = lambda: True  # type: ignore[method-assign]
        return files

    def on_serve(self, server: Any, *, config: Any, builder: Any) -> Any:
        if self.project is not None:
            for path in (self.project.snippets_dir, self.project.specs_dir, self.project.root / "pyproject.toml"):
                if path.exists():
                    server.watch(str(path))
        return server

    # -- pages ----------------------------------------------------------------------------------

    def on_page_markdown(self, markdown: str, *, page: Any, config: Any, files: Any) -> str:
        if self.site is None or self.project is None:
            return markdown
        src = page.file.src_uri
        offset = _front_matter_lines(page, markdown)
        cached = self._cache.get(src)
        if (cached and cached[0] == markdown and cached[1] == offset
                and all(self.site.fingerprints.get(k) == v for k, v in cached[2].items())):
            return cached[3]
        display = self.project.rel(Path(page.file.abs_src_path)) if page.file.abs_src_path else None
        try:
            expansion = expand_page(markdown, src, self.site, line_offset=offset, display_path=display)
        except SnippetgenError as exc:
            if not self.serving:
                self.failures = [Problem(exc.location or _loc(self.project), exc.message, "render", hint=exc.hint)]
                raise PluginError(str(exc)) from exc
            log.error(str(exc))
            return _error_box(str(exc)) + markdown
        uses = {key: self.site.fingerprints.get(key, "") for key in expansion.uses}
        self._cache[src] = (markdown, offset, uses, expansion.text)
        return expansion.text

    def on_post_build(self, *, config: Any) -> None:
        problems: list[Problem] = []
        if self._check_thread is not None:
            self._check_thread.join()
            self._check_thread = None
        problems += self._problems
        secrets = secret_values()
        if secrets:
            problems += find_leaks(Path(config.site_dir), secrets)
        if problems:
            self._fail(problems)

    def _fail(self, problems: list[Problem]) -> None:
        problems = sorted(set(problems), key=lambda p: (p.location.path, p.location.line, p.location.col, p.code))
        text = "\n".join(p.format() for p in problems)
        self.failures = problems
        if self.serving:
            for p in problems:
                log.error(p.format())
            return
        raise PluginError(f"{text}\nsnippetgen: {len(problems)} problem{'s' if len(problems) != 1 else ''}")


def _loc(project: Project):  # noqa: ANN202
    from .model import Location

    return Location(project.rel(project.root / "pyproject.toml"))


def _front_matter_lines(page: Any, markdown: str) -> int:
    """Lines MkDocs removed from the top of the file (YAML front matter), for true page lines."""
    try:
        source = page.file.content_string
    except Exception:  # noqa: BLE001
        return 0
    source = source.replace("\r\n", "\n")
    if markdown and source.endswith(markdown) and len(source) > len(markdown):
        return source[: len(source) - len(markdown)].count("\n")
    return 0


def _error_box(message: str) -> str:
    """What a page shows under ``mkdocs serve`` instead of failing the whole server."""
    return '!!! failure "snippetgen"\n\n' + indent(code_fence(message, "text"), "    ") + "\n"
