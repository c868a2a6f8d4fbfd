"""MkDocs adapter: the ``snippetgen`` plugin.

``plugins: [snippetgen]`` expands ``<snippet>`` and ``<operation>`` tags. ``on_config`` loads the
project once (again only when a file under it changed, which is what ``mkdocs serve`` needs) and
starts the core check (:func:`snippetgen.check.run_check`) in a worker process, so it runs on
another core beside the build; its problems fail the build in ``on_post_build``, and so does the
value of any ``*_API_KEY`` found in the built site. ``on_page_markdown`` hands each page to
:func:`snippetgen.markdown.expand.expand_page`.

A failed build raises :class:`~.site_build.SnippetgenBuildError`, a ``PluginError`` that carries
the problems, so :func:`.site_build.build` returns them as data for the CLI to print.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File

from .. import progress
from ..check import run_check
from ..errors import SnippetgenError
from ..loader import load_catalog
from ..markdown.expand import expand_page
from ..markdown.tabs import code_fence, indent
from ..model import Location, Problem
from ..pages import front_matter_lines
from ..project import Project
from ..record import read_runs, runs_dir
from ..secrets import find_leaks, secret_values
from ..spec import load_specs
from ..tools.status import compute as compute_status
from ..tools.status import site_page
from ..workspace import Workspace, load_workspace, tree_signature
from .site_build import CHECKED_CLEAN, SnippetgenBuildError, project_state, site_dir_problem


def _check_in_worker(root: str) -> list[Problem]:
    """The core check, run in a worker process (problems are plain, picklable data)."""
    return run_check(project=Project.load(root))


def _serve_log() -> logging.Logger:
    """Errors under ``mkdocs serve``: printed, but outside the ``mkdocs`` logger, whose counter
    would abort the rebuild in strict mode and leave the browser on the stale page. Instead the
    page shows the error where the snippet would be, and the next save re-renders it."""
    logger = logging.getLogger("snippetgen.serve")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("ERROR    -  %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    return logger


class SnippetgenConfig(base.Config):
    root = c.Optional(c.Type(str))
    """Project folder (holds ``pyproject.toml`` and ``shared/``); default: the folder of mkdocs.yml."""
    check = c.Type(bool, default=True)
    """Run the snippetgen check with every build; its problems fail the build."""
    status_page = c.Type(str, default="examples-status.md")
    """The generated "Examples status" page (operation x language, coloured by the last test run);
    empty: none. A page of that name in the docs folder wins over the generated one."""


class SnippetgenPlugin(BasePlugin[SnippetgenConfig]):
    """Expands snippets and operation references; fails the build on any snippetgen problem."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.project: Project | None = None
        self.site: Workspace | None = None
        self.serving = False
        self._catalog: Any = None
        self._specs: Any = None
        self._load_problems: dict[str, list[Problem]] = {"snippets": [], "specs": []}
        self._signatures: dict[str, tuple[Any, ...]] = {}
        self._checked: tuple[Any, ...] | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._check: Future[list[Problem]] | None = None
        self._problems: list[Problem] = []
        self._cache: dict[str, tuple[str, int, dict[str, str], str]] = {}
        self._pages_done = self._pages_total = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Defining on_startup keeps this instance across `mkdocs serve` rebuilds (MkDocs >= 1.4),
        # so only what changed is loaded again.
        self.serving = command == "serve"

    def on_config(self, config: Any) -> Any:
        root = self.config.root or (
            os.path.dirname(config.config_file_path) if config.config_file_path else "."
        )
        try:
            project = Project.load(root)
        except SnippetgenError as exc:
            raise PluginError(f"snippetgen: {exc}") from None
        self.project = project
        if not self.serving:  # a build empties site_dir first: never one of the project's folders
            why = site_dir_problem(
                project,
                config.site_dir,
                "site_dir",
                {"docs_dir": Path(config.docs_dir)},
                own_folders_only=True,
            )
            if why is not None:
                raise PluginError(f"snippetgen: refusing to build the site there: {why}")
        settings = project.root / "pyproject.toml"
        signatures = {
            "snippets": tree_signature(project.snippets_dir, settings),
            "specs": tree_signature(project.specs_dir, settings),
            "record": tree_signature(runs_dir(project)),
        }
        if signatures["record"] != self._signatures.get("record"):
            self._cache.clear()  # a new test run: pages show its responses (and the status page)
        if self._catalog is None or signatures["snippets"] != self._signatures.get("snippets"):
            self._catalog, self._load_problems["snippets"] = load_catalog(
                project.snippets_dir,
                project.root,
                max_config_bytes=project.max_config_bytes,
                missing_ok=project.specs_dir.is_dir(),
            )
        if signatures["specs"] != self._signatures.get("specs"):
            self._specs, self._load_problems["specs"] = (
                load_specs(project.specs_dir, project.root, validate=False)
                if project.specs_dir.is_dir()
                else (None, [])
            )
        self._signatures = signatures
        self.site = Workspace(project, self._catalog, self._specs)
        problems = self._load_problems["snippets"] + self._load_problems["specs"]
        if problems:  # a snippet or spec cannot be read: say so before pages fail with "unknown"
            self._fail(problems)
        if self.config.check:
            state = project_state(project)
            if state in CHECKED_CLEAN:
                self._problems = []
            elif state != self._checked:
                self._start_check(project)
                self._checked = state
        return config

    def _start_check(self, project: Project) -> None:
        """The core check in a worker process, so it runs on another core beside the build."""
        self._stop_check()
        self._problems = []
        # spawn, not fork: `mkdocs serve` runs threads, and a forked copy of them is unsafe.
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self._check = self._pool.submit(_check_in_worker, str(project.root))

    def _finish_check(self) -> list[Problem]:
        future, self._check = self._check, None
        if future is not None:
            try:
                self._problems = future.result()
            except Exception as exc:  # the worker died or the check had a bug: one line, not a traceback
                self._problems = [
                    Problem(
                        _loc(self.project),
                        f"snippetgen check failed: {type(exc).__name__}: {exc}",
                        "internal",
                    )
                ]
            self._stop_check()
            if self._problems:
                self._checked = None  # check again next time, even if nothing changed
        return self._problems

    def _stop_check(self) -> None:
        if self._check is not None:
            self._check.cancel()
        self._check = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def on_build_error(self, *, error: Exception) -> None:
        if not self.serving:
            self._stop_check()

    def on_shutdown(self) -> None:
        self._stop_check()

    def on_files(self, files: Any, *, config: Any) -> Any:
        name = self.config.status_page
        if self.project is not None and name and files.get_file_from_path(name) is None:
            ws, _ = load_workspace(self.project, validate_specs=False)
            if ws.specs is not None:
                page = site_page(compute_status(ws, read_runs(self.project)), name)
                files.append(File.generated(config, name, content=page))
        if self.site is not None:
            self.site.pages = {f.src_uri for f in files.documentation_pages()}
            self._pages_done, self._pages_total = 0, len(self.site.pages)
            for file in files.documentation_pages():  # `--dirty`: rebuild pages whose inputs changed
                entry = self._cache.get(file.src_uri)
                if entry and any(self.site.fingerprints.get(k) != v for k, v in entry[2].items()):
                    file.is_modified = lambda: True
        return files

    def on_serve(self, server: Any, *, config: Any, builder: Any) -> Any:
        if self.project is not None:
            for path in (
                self.project.snippets_dir,
                self.project.specs_dir,
                self.project.root / "pyproject.toml",
                runs_dir(self.project),  # a test run writes a new record: new Response blocks
            ):
                if path.exists():
                    server.watch(str(path))
        return server

    # -- pages ----------------------------------------------------------------------------------

    def on_page_markdown(self, markdown: str, *, page: Any, config: Any, files: Any) -> str:
        if self.site is None or self.project is None:
            return markdown
        self._pages_done += 1
        progress.report("building pages", self._pages_done, self._pages_total)
        src = page.file.src_uri
        offset = _front_matter_lines(page, markdown)
        cached = self._cache.get(src)
        if (
            cached
            and cached[0] == markdown
            and cached[1] == offset
            and all(self.site.fingerprints.get(k) == v for k, v in cached[2].items())
        ):
            return cached[3]
        display = self.project.rel(Path(page.file.abs_src_path)) if page.file.abs_src_path else None
        try:
            expansion = expand_page(markdown, src, self.site, line_offset=offset, display_path=display)
        except SnippetgenError as exc:
            if not self.serving:
                raise SnippetgenBuildError(
                    [Problem(exc.location or _loc(self.project), exc.message, "render", hint=exc.hint)]
                ) from None
            _serve_log().error(str(exc))
            return _error_box(str(exc)) + markdown
        uses = {key: self.site.fingerprints.get(key, "") for key in expansion.uses}
        self._cache[src] = (markdown, offset, uses, expansion.text)
        return expansion.text

    def on_post_build(self, *, config: Any) -> None:
        problems = list(self._finish_check())
        secrets = secret_values()
        if secrets:
            problems += find_leaks(Path(config.site_dir), secrets)
        if problems:
            self._fail(problems)

    def _fail(self, problems: list[Problem]) -> None:
        error = SnippetgenBuildError(problems)
        if self.serving:
            for p in error.problems:
                _serve_log().error(p.format())
            return
        raise error


def _loc(project: Project | None) -> Location:
    return Location(project.rel(project.root / "pyproject.toml") if project else "pyproject.toml")


def _front_matter_lines(page: Any, markdown: str) -> int:
    """Lines MkDocs removed from the top of the page file (YAML front matter), for true page lines."""
    try:
        source = page.file.content_string
    except Exception:
        return 0
    return front_matter_lines(source, markdown)


def _error_box(message: str) -> str:
    """What a page shows under ``mkdocs serve`` instead of failing the whole server."""
    return '!!! failure "snippetgen"\n\n' + indent(code_fence(message, "text"), "    ") + "\n"
