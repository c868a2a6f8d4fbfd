"""MkDocs adapter: ``plugins: [snippetgen]`` expands ``<snippet>`` and ``<operation>`` tags.

``on_config`` loads the catalog and specs once (again only when a file under them changed, which
is what ``mkdocs serve`` needs) and starts ``snippetgen check`` in a process of its own, so it runs
on another core beside the build; its problems fail the build in ``on_post_build`` as
``path:line: message`` lines, and so does the value of any ``*_API_KEY`` found in the built site.
``on_page_markdown`` hands each page to :func:`snippetgen.site.expand_page`.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from .errors import SnippetgenError
from .loader import load_catalog
from .model import Location, Problem
from .project import Project
from .site import (
    Site,
    code_fence,
    expand_page,
    find_leaks,
    indent,
    load_site_specs,
    page_prefix,
    secret_values,
    tree_signature,
)


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
        self.failures: list[Problem] = []
        """What failed the last build, as problems (read by ``site_build.build``)."""
        self._catalog: Any = None
        self._specs: Any = None
        self._load_problems: dict[str, list[Problem]] = {"snippets": [], "specs": []}
        self._signatures: dict[str, tuple] = {}
        self._checked: tuple | None = None
        self._check: subprocess.Popen | None = None
        self._problems: list[Problem] = []
        self._cache: dict[str, tuple[str, int, dict[str, str], str]] = {}

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
        self.failures = []
        settings = project.root / "pyproject.toml"
        signatures = {
            "snippets": tree_signature(project.snippets_dir, settings),
            "specs": tree_signature(project.specs_dir, settings),
        }
        if self._catalog is None or signatures["snippets"] != self._signatures.get("snippets"):
            self._catalog, self._load_problems["snippets"] = load_catalog(project.snippets_dir, project.root)
        if signatures["specs"] != self._signatures.get("specs"):
            self._specs, self._load_problems["specs"] = load_site_specs(project)
        self._signatures = signatures
        self.site = Site.build(self._catalog, self._specs, None, docs_prefix=page_prefix(project))
        problems = self._load_problems["snippets"] + self._load_problems["specs"]
        if problems:  # a snippet or spec cannot be read: say so before pages fail with "unknown"
            self._fail(problems)
        if self.config.check and not self.skip_check:
            state = (
                signatures["snippets"],
                signatures["specs"],
                tree_signature(project.docs_dir, suffixes=(".md",)),
            )
            if state != self._checked:
                self._start_check(project)
                self._checked = state
        return config

    def _start_check(self, project: Project) -> None:
        """`snippetgen check` in its own process, so it runs on another core beside the build."""
        self._stop_check()
        self._problems = []
        self._check = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "snippetgen.cli",
                "check",
                "--root",
                str(project.root),
                "--format",
                "json",
            ],
            cwd=project.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )

    def _finish_check(self) -> list[Problem]:
        proc, self._check = self._check, None
        if proc is not None:
            out, err = proc.communicate()
            self._problems = _parse_check(proc.returncode, out, err, self.project)
            if self._problems:
                self._checked = None  # check again next time, even if nothing changed
        return self._problems

    def _stop_check(self) -> None:
        if self._check is not None and self._check.poll() is None:
            self._check.kill()
            self._check.communicate()
        self._check = None

    def on_build_error(self, *, error: Exception) -> None:
        if not self.serving:
            self._stop_check()

    def on_shutdown(self) -> None:
        self._stop_check()

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
            for path in (
                self.project.snippets_dir,
                self.project.specs_dir,
                self.project.root / "pyproject.toml",
            ):
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
                self.failures = [
                    Problem(exc.location or _loc(self.project), exc.message, "render", hint=exc.hint)
                ]
                raise PluginError(str(exc)) from exc
            _serve_log().error(str(exc))
            return _error_box(str(exc)) + markdown
        uses = {key: self.site.fingerprints.get(key, "") for key in expansion.uses}
        self._cache[src] = (markdown, offset, uses, expansion.text)
        return expansion.text

    def on_post_build(self, *, config: Any) -> None:
        problems = list(self._finish_check()) if self.config.check and not self.skip_check else []
        secrets = secret_values()
        if secrets:
            problems += find_leaks(Path(config.site_dir), secrets)
        if problems:
            self._fail(problems)

    def _fail(self, problems: list[Problem]) -> None:
        problems = sorted(
            set(problems), key=lambda p: (p.location.path, p.location.line, p.location.col, p.code)
        )
        text = "\n".join(p.format() for p in problems)
        self.failures = problems
        if self.serving:
            for p in problems:
                _serve_log().error(p.format())
            return
        raise PluginError(f"{text}\nsnippetgen: {len(problems)} problem{'s' if len(problems) != 1 else ''}")


def _loc(project: Project | None) -> Location:
    return Location(project.rel(project.root / "pyproject.toml") if project else "pyproject.toml")


def _parse_check(returncode: int, out: str, err: str, project: Project | None) -> list[Problem]:
    """The JSON report of ``snippetgen check --format json`` as problems."""
    if returncode in (0, 1):
        try:
            report = json.loads(out)
            return [
                Problem(
                    Location(d["path"], d.get("line") or 0, d.get("col") or 0),
                    d["message"],
                    d["code"],
                    d.get("expected"),
                    d.get("found"),
                    d.get("hint"),
                )
                for d in report["problems"]
            ]
        except (ValueError, KeyError, TypeError):
            pass
    detail = (err or out).strip().splitlines()
    return [
        Problem(
            _loc(project),
            f"snippetgen check failed: {detail[-1] if detail else f'exit {returncode}'}",
            "internal",
        )
    ]


def _front_matter_lines(page: Any, markdown: str) -> int:
    """Lines MkDocs removed from the top of the file (YAML front matter), for true page lines."""
    try:
        source = page.file.content_string
    except Exception:
        return 0
    source = source.replace("\r\n", "\n")
    if markdown and source.endswith(markdown) and len(source) > len(markdown):
        return source[: len(source) - len(markdown)].count("\n")
    return 0


def _error_box(message: str) -> str:
    """What a page shows under ``mkdocs serve`` instead of failing the whole server."""
    return '!!! failure "snippetgen"\n\n' + indent(code_fence(message, "text"), "    ") + "\n"
