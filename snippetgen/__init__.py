"""snippetgen: API documentation examples written once as templates, proven against a mock.

The library behind the ``snippetgen`` command, the MkDocs plugin, the Markdown extension and the
pytest plugin (``snippetgen.integration``)::

    import snippetgen

    problems = snippetgen.run_check(".")            # every problem of the project, located
    ws, _ = snippetgen.load_workspace(snippetgen.Project.load("."))
    snippet = ws.catalog.get("aiart.generate-image")
    print(snippetgen.render(snippet, "py").code)

Names load on first use (PEP 562), so an adapter that imports one submodule (the pytest plugin
loads in every pytest run) does not pay for the whole library. Nothing here imports a host
framework (click, MkDocs, Python-Markdown, pytest, uvicorn).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import run_check
    from .errors import CatalogError, RenderError, SnippetgenError, SpecError, UsageError
    from .languages import Language, all_languages, get_language
    from .languages import register as register_language
    from .languages import unregister as unregister_language
    from .loader import Catalog, load_catalog
    from .markdown.expand import expand_page
    from .model import CheckReport, Embed, Location, Problem, Snippet, Template
    from .project import Project
    from .render import Rendered, render
    from .spec import Api, Operation, SpecSet, load_specs
    from .workspace import Workspace, load_workspace

_EXPORTS = {
    "Api": ("spec", "Api"),
    "Catalog": ("loader", "Catalog"),
    "CatalogError": ("errors", "CatalogError"),
    "CheckReport": ("model", "CheckReport"),
    "Embed": ("model", "Embed"),
    "Language": ("languages", "Language"),
    "Location": ("model", "Location"),
    "Operation": ("spec", "Operation"),
    "Problem": ("model", "Problem"),
    "Project": ("project", "Project"),
    "RenderError": ("errors", "RenderError"),
    "Rendered": ("render", "Rendered"),
    "Snippet": ("model", "Snippet"),
    "SnippetgenError": ("errors", "SnippetgenError"),
    "SpecError": ("errors", "SpecError"),
    "SpecSet": ("spec", "SpecSet"),
    "Template": ("model", "Template"),
    "UsageError": ("errors", "UsageError"),
    "Workspace": ("workspace", "Workspace"),
    "all_languages": ("languages", "all_languages"),
    "expand_page": ("markdown.expand", "expand_page"),
    "get_language": ("languages", "get_language"),
    "load_catalog": ("loader", "load_catalog"),
    "load_specs": ("spec", "load_specs"),
    "load_workspace": ("workspace", "load_workspace"),
    "register_language": ("languages", "register"),
    "render": ("render", "render"),
    "run_check": ("check", "run_check"),
    "unregister_language": ("languages", "unregister"),
}

__all__ = [
    "Api",
    "Catalog",
    "CatalogError",
    "CheckReport",
    "Embed",
    "Language",
    "Location",
    "Operation",
    "Problem",
    "Project",
    "RenderError",
    "Rendered",
    "Snippet",
    "SnippetgenError",
    "SpecError",
    "SpecSet",
    "Template",
    "UsageError",
    "Workspace",
    "all_languages",
    "expand_page",
    "get_language",
    "load_catalog",
    "load_specs",
    "load_workspace",
    "register_language",
    "render",
    "run_check",
    "unregister_language",
]
assert sorted(__all__) == sorted(_EXPORTS)  # one list of names, kept in step


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
