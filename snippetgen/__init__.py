"""snippetgen: API documentation examples written once as templates, proven against a mock.

The library behind the ``snippetgen`` command, the MkDocs plugin, the Markdown extension and the
pytest plugin (``snippetgen.integration``)::

    import snippetgen

    problems = snippetgen.run_check(".")            # every problem of the project, located
    ws, _ = snippetgen.load_workspace(snippetgen.Project.load("."))
    snippet = ws.catalog.get("aiart.generate-image")
    print(snippetgen.render(snippet, "py").code)

Nothing here imports a host framework (click, MkDocs, Python-Markdown, pytest, uvicorn).
"""

from .check import run_check
from .errors import CatalogError, RenderError, SnippetgenError, SpecError, UsageError
from .languages import Language, all_languages, get_language
from .loader import Catalog, load_catalog
from .markdown.expand import expand_page
from .model import Embed, Location, Problem, Snippet, Template
from .project import Project
from .render import Rendered, render
from .spec import Api, Operation, SpecSet, load_specs
from .workspace import Workspace, load_workspace

__all__ = [
    "Api",
    "Catalog",
    "CatalogError",
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
    "render",
    "run_check",
]
