"""``snippetgen build`` and ``snippetgen serve``: the check, then MkDocs with the snippetgen plugin.

Shared by the CLI and the MkDocs plugin (neither imports the other): :class:`SnippetgenBuildError`
carries a failed build's problems out of MkDocs as data, and :func:`build_report` records the project
states it already checked clean, so the plugin does not check them a second time.

A build empties its site folder first, so the folder is checked before anything is written
(:func:`site_dir_problem`): never the project, its pages, snippets, specs, tests or the snippetgen
package (nor a folder holding or inside one of them), and never a folder with files in it that a
build did not make. A folder a build made holds the marker file :data:`SITE_MARKER`.
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
from ..errors import UsageError
from ..model import CheckReport, Location, Problem, sort_problems
from ..project import Project
from ..secrets import find_leaks, secret_values
from ..workspace import tree_signature

CONFIG_NAME = "mkdocs.yml"
SITE_MARKER = ".snippetgen-site"
"""File a build writes into the site folder it makes; only such a folder (or an empty one) is reused."""
PACKAGE_DIR = Path(__file__).resolve().parent.parent
_DOC_FILE = re.compile(r"Doc file '([^']+)'")
_PAGE_ERROR = re.compile(r"Error (?:building|reading) page '([^']+)'")


def _protected(project: Project, extra: dict[str, Path] | None = None) -> dict[str, Path]:
    """Folders a site folder may never be, hold or sit inside, by what they are."""
    folders = {
        "the project folder": project.root,
        "the docs folder": project.docs_dir,
        "the snippets folder": project.snippets_dir,
        "the specs folder": project.specs_dir,
        "the tests folder": project.root / "tests",
        "the git folder": project.root / ".git",
        "the snippetgen package": PACKAGE_DIR,
        **(extra or {}),
    }
    return {what: path.resolve() for what, path in folders.items()}


def site_dir_problem(
    project: Project,
    site_dir: Path | str,
    setting: str,
    extra: dict[str, Path] | None = None,
    *,
    own_folders_only: bool = False,
) -> str | None:
    """Why ``site_dir`` must not be built into (a build empties it), or None when it may be.

    ``setting`` names where the folder came from (``--site-dir``, ``site_dir in mkdocs.yml``).
    ``own_folders_only`` checks only the project's folders, not whether a build made the folder
    (for a plain ``mkdocs build``, which leaves no marker).
    """
    site = Path(site_dir).resolve()
    shown = project.rel(site)
    for what, folder in _protected(project, extra).items():
        if site == folder:
            return f"{setting} {shown} is {what}"
        if folder.is_relative_to(site):
            return f"{setting} {shown} holds {what} ({project.rel(folder)})"
        if what != "the project folder" and site.is_relative_to(folder):
            return f"{setting} {shown} is inside {what} ({project.rel(folder)})"
    if site.exists() and not site.is_dir():
        return f"{setting} {shown} is a file, not a folder"
    if not own_folders_only and site.is_dir() and not (site / SITE_MARKER).is_file():
        try:
            entries = next(iter(site.iterdir()), None)
        except OSError as exc:
            return f"{setting} {shown} cannot be read: {exc.strerror}"
        if entries is not None:
            return f"{setting} {shown} has files that no snippetgen build made (no {SITE_MARKER} in it)"
    return None


def check_site_dir(
    project: Project, site_dir: Path | str, setting: str, extra: dict[str, Path] | None = None
) -> None:
    """Raise :class:`UsageError` (exit 2) naming the folder and the setting when a build must not
    empty ``site_dir``."""
    why = site_dir_problem(project, site_dir, setting, extra)
    if why is not None:
        raise UsageError(
            f"refusing to build the site there: {why}; a build deletes everything in its site folder",
            hint=f"choose an empty or new folder for {setting.split()[0]} (or delete that folder yourself)",
        )


def mark_site_dir(site_dir: Path | str) -> None:
    """Make the site folder (if needed) and mark it as one a build made."""
    site = Path(site_dir)
    site.mkdir(parents=True, exist_ok=True)
    marker = site / SITE_MARKER
    if not marker.exists():
        marker.write_text("This folder is made by `snippetgen build`; every build empties it.\n")


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
    project: Project | Path | str,
    *,
    strict: bool = True,
    site_dir: Path | str | None = None,
    setting: str = "site_dir",
) -> list[Problem]:
    """Check the project; if clean, build the site (``site/`` by default). Problems, or [] on success.

    Raises :class:`UsageError` when the site folder must not be emptied (:func:`site_dir_problem`);
    ``setting`` is how the caller names ``site_dir`` in that message (``--site-dir``).
    """
    return build_report(project, strict=strict, site_dir=site_dir, setting=setting).problems


def build_report(
    project: Project | Path | str,
    *,
    strict: bool = True,
    site_dir: Path | str | None = None,
    setting: str = "site_dir",
) -> CheckReport:
    """:func:`build`, with what the check covered and how long the whole build took."""
    start = time.perf_counter()
    project = _project(project)
    if site_dir is not None:
        check_site_dir(project, site_dir, setting)  # before the check: say it at once
    checked = check_project(project=project)
    problems = checked.problems or _build_site(project, strict, site_dir, setting)  # warnings never stop it
    return CheckReport(
        problems, checked.counts, time.perf_counter() - start, done="site built", warnings=checked.warnings
    )


def _build_site(
    project: Project, strict: bool, site_dir: Path | str | None, setting: str = "site_dir"
) -> list[Problem]:
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
        check_site_dir(
            project,
            config.site_dir,
            setting if site_dir else f"site_dir in {CONFIG_NAME}",
            {f"docs_dir of {CONFIG_NAME}": Path(config.docs_dir)},
        )
        mark_site_dir(config.site_dir)
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
    except (RecursionError, MemoryError) as exc:  # a page nested past what Markdown can parse
        where = warnings.failed_page or CONFIG_NAME
        return [
            Problem(
                Location(where),
                f"the page cannot be rendered: it nests too deeply for Markdown ({type(exc).__name__})",
                "site-build",
                hint="flatten its nested lists, quotes or HTML",
            )
        ]
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
        self.failed_page: str | None = None
        """The page MkDocs was building when it logged an error (``docs/x.md``)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            match = _PAGE_ERROR.search(record.getMessage())
            if match:
                self.failed_page = self.project.rel(self.project.docs_dir / match.group(1))
            return
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
