"""``snippetgen build`` and ``snippetgen serve``: the check, then MkDocs with the snippetgen plugin.

Shared by the CLI and the MkDocs plugin (neither imports the other): :class:`SnippetgenBuildError`
carries a failed build's problems out of MkDocs as data, and :func:`build_report` records the project
states it already checked clean, so the plugin does not check them a second time.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.commands.serve import serve as mkdocs_serve
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError, PluginError

from ..check import check_project
from ..model import CheckReport, Location, Problem, sort_problems
from ..project import Project
from ..secrets import find_leaks, secret_values
from ..workspace import tree_signature

CONFIG_NAME = "mkdocs.yml"
_DOC_FILE = re.compile(r"Doc file '([^']+)'")


class SnippetgenBuildError(PluginError):
    """The build failed for these problems (``path:line: message`` each, in the message too)."""

    def __init__(self, problems: list[Problem]):
        self.problems = sort_problems(problems)
        text = "\n".join(p.format() for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{text}\nsnippetgen: {n} problem{'s' if n != 1 else ''}")


CHECKED_CLEAN: set[tuple[Any, ...]] = set()
"""Project states (:func:`project_state`) that :func:`build` already checked clean, so the plugin does not
check them again in the same process."""


def project_state(project: Project) -> tuple[Any, ...]:
    settings = project.root / "pyproject.toml"
    return (
        tree_signature(project.snippets_dir, settings),
        tree_signature(project.specs_dir, settings),
        tree_signature(project.docs_dir, suffixes=(".md",)),
    )


def _project(project: Project | Path | str) -> Project:
    return project if isinstance(project, Project) else Project.load(project)


def build(
    project: Project | Path | str, *, strict: bool = True, site_dir: Path | str | None = None
) -> list[Problem]:
    """Check the project; if clean, build the site (``site/`` by default). Problems, or [] on success."""
    return build_report(project, strict=strict, site_dir=site_dir).problems


def build_report(
    project: Project | Path | str, *, strict: bool = True, site_dir: Path | str | None = None
) -> CheckReport:
    """:func:`build`, with what the check covered and how long the whole build took."""
    start = time.perf_counter()
    project = _project(project)
    checked = check_project(project=project)
    problems = checked.problems or _build_site(project, strict, site_dir)  # warnings never stop a build
    return CheckReport(
        problems, checked.counts, time.perf_counter() - start, done="site built", warnings=checked.warnings
    )


def _build_site(project: Project, strict: bool, site_dir: Path | str | None) -> list[Problem]:
    """MkDocs' strict build of a project the check found clean: its problems, or [] on success.

    The plugin raises :class:`SnippetgenBuildError` with the problems of a page it cannot render.
    """
    CHECKED_CLEAN.add(project_state(project))
    config_file = project.root / CONFIG_NAME
    if not config_file.is_file():
        return [
            Problem(
                Location(CONFIG_NAME),
                "no mkdocs.yml in the project folder",
                "site-config",
                hint="copy the mkdocs.yml of the snippetgen repository and adjust site_name",
            )
        ]
    warnings = _WarningCollector(project)
    mkdocs_log = logging.getLogger("mkdocs")
    mkdocs_log.addHandler(warnings)
    try:
        overrides = {"site_dir": str(Path(site_dir).resolve())} if site_dir else {}
        config = load_config(config_file=str(config_file), strict=strict, **overrides)
        with_plugin = config.plugins.get("snippetgen") is not None
        mkdocs_build(config)
    except ConfigurationError as exc:
        return [Problem(Location(CONFIG_NAME), f"invalid site configuration: {exc}", "site-config")]
    except (Abort, PluginError) as exc:
        # MkDocs logs a plugin's BuildError and raises Abort from it: the problems ride along.
        failed = exc if isinstance(exc, SnippetgenBuildError) else exc.__context__
        if isinstance(failed, SnippetgenBuildError):
            return warnings.problems + failed.problems
        return warnings.problems or [Problem(Location(CONFIG_NAME), str(exc), "site-build")]
    finally:
        mkdocs_log.removeHandler(warnings)
    problems = list(warnings.problems) if strict else []
    if not with_plugin:  # the plugin scans for leaked keys itself; without it, do it here
        problems += find_leaks(Path(config.site_dir), secret_values())
    return problems


class _WarningCollector(logging.Handler):
    """MkDocs warnings (broken links, missing nav targets) as problems; strict mode fails on them."""

    def __init__(self, project: Project):
        super().__init__(logging.WARNING)  # errors reach build() as exceptions
        self.project = project
        self.problems: list[Problem] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno != logging.WARNING or record.name.startswith("mkdocs.plugins.snippetgen"):
            return
        message = record.getMessage()
        match = _DOC_FILE.search(message)
        path = self.project.rel(self.project.docs_dir / match.group(1)) if match else CONFIG_NAME
        self.problems.append(Problem(Location(path), message.strip().splitlines()[0], "site-warning"))


def serve(project: Project | Path | str, dev_addr: str = "127.0.0.1:8000") -> None:
    """Serve the site with live reload; editing a page, template, config.json or spec re-renders."""
    project = _project(project)
    config_file = project.root / CONFIG_NAME
    mkdocs_serve(config_file=str(config_file), dev_addr=dev_addr, livereload=True)
