"""The package's shape: no import circles, a core that runs without its hosts, a pinned public face."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import snippetgen

PACKAGE = Path(snippetgen.__file__).parent
ROOT = PACKAGE.parent
HOSTS = ("click", "mkdocs", "markdown", "pytest", "uvicorn", "starlette", "watchfiles")
"""Frameworks that host snippetgen; only ``snippetgen.integration`` and the mock's server import them."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p
        for p in sorted(PACKAGE.rglob("*.py"))
        if "runtime" not in p.relative_to(PACKAGE).parts
    }


def _imports(name: str, path: Path, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported snippetgen module, line, inside a function) for every import in the file,
    function-level ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name in known:
                        found.append((alias.name, child.lineno, inner))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if not target.startswith("snippetgen"):
                    continue
                ancestors = {name.rsplit(".", i)[0] for i in range(name.count(".") + 1)}
                if target in known and target not in ancestors:
                    found.append((target, child.lineno, inner))
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    if sub in known:
                        found.append((sub, child.lineno, inner))
            visit(child, inner)

    visit(tree, False)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: {t for t, _, _ in _imports(name, path, known)} - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_circles_counting_function_level_imports():
    assert _cycles(_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_function_level_imports_say_why():
    """Imports inside functions only where they buy start-up time, each with a one-line reason."""
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "runtime" in path.relative_to(PACKAGE).parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    text = lines[node.lineno - 1]
                    above = lines[node.lineno - 2].strip() if node.lineno >= 2 else ""
                    if "#" not in text and not above.startswith("#"):
                        unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text.strip()}")
    assert unexplained == []


def test_only_adapters_and_the_mock_server_import_hosts():
    offenders = []
    for name, path in _modules().items():
        if name.startswith("snippetgen.integration") or name in (
            "snippetgen.mock.server",
            "snippetgen.mock.asgi",
        ):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            offenders += [f"{name}:{node.lineno} imports {r}" for r in roots if r in HOSTS]
    assert offenders == []


def test_adapters_never_import_each_other():
    adapters = {f"snippetgen.integration.{n}" for n in ("cli", "mkdocs", "markdown", "pytest")}
    graph = _graph()
    assert {a: sorted(graph[a] & adapters) for a in adapters if graph[a] & adapters} == {}


def test_the_core_check_runs_without_hosts():
    """Not only importing: calling the core check on this repository loads no host."""
    code = (
        "import json, sys\n"
        "from snippetgen import run_check\n"
        "problems = run_check('.')\n"
        f"print(json.dumps([len(problems), sorted(m for m in {HOSTS!r} if m in sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    count, hosts = json.loads(out.stdout.strip().splitlines()[-1])
    assert count == 0 and hosts == []


def test_the_host_probe_sees_a_host():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, snippetgen.integration.cli; print('click' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.stdout.strip() == "True"


PUBLIC = [
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


def test_public_api_is_pinned():
    assert sorted(snippetgen.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(snippetgen, name) is not None, name
    with pytest.raises(AttributeError):
        snippetgen.no_such_name  # noqa: B018


def test_importing_the_package_loads_nothing_else():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, snippetgen; print(sorted(m for m in sys.modules if m.startswith('snippetgen.')))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", PUBLIC)
def test_public_names_are_documented(name):
    assert (getattr(snippetgen, name).__doc__ or "").strip(), f"{name} has no docstring"
