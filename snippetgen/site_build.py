"""``snippetgen build`` and ``snippetgen serve``: the check, then MkDocs with the snippetgen plugin.

Both take a :class:`~snippetgen.project.Project` (or its folder); the site's configuration is
``mkdocs.yml`` in the project folder. ``build`` returns problems instead of raising, so the CLI
prints them as ``path:line: message`` lines like the check's.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .check import run_check
from .model import Location, Problem
from .project import Project
from .site import find_leaks, secret_values

CONFIG_NAME = "mkdocs.yml"
_DOC_FILE = re.compile(r"Doc file '([^']+)'")


def _project(project: Project | Path | str) -> Project:
    return project if isinstance(project, Project) else Project.load(project)


def build(
    project: Project | Path | str, *, strict: bool = True, site_dir: Path | str | None = None
) -> list[Problem]:
    """Check the project; if clean, build the site (``site/`` by default). Problems, or [] on success."""
    project = _project(project)
    problems = run_check(project=project)
    if problems:
        return problems
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

    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    warnings = _WarningCollector(project)
    mkdocs_log = logging.getLogger("mkdocs")
    mkdocs_log.addHandler(warnings)
    plugin = None
    try:
        overrides = {"site_dir": str(Path(site_dir).resolve())} if site_dir else {}
        config = load_config(config_file=str(config_file), strict=strict, **overrides)
        plugin = config.plugins.get("snippetgen")
        if plugin is not None:
            plugin.skip_check = True  # the check above already ran
        mkdocs_build(config)
    except ConfigurationError as exc:
        return [Problem(Location(CONFIG_NAME), f"invalid site configuration: {exc}", "site-config")]
    except (Abort, PluginError) as exc:
        failures = list(getattr(plugin, "failures", None) or [])
        return warnings.problems + failures or [Problem(Location(CONFIG_NAME), str(exc), "site-build")]
    finally:
        mkdocs_log.removeHandler(warnings)
    problems = list(warnings.problems) if strict else []
    if plugin is None:  # the plugin scans for leaked keys itself; without it, do it here
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
    from mkdocs.commands.serve import serve as mkdocs_serve

    mkdocs_serve(config_file=str(config_file), dev_addr=dev_addr, livereload=True)
