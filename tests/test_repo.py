"""This repository: its catalog, specs and pages clean, fully covered and runnable on a fresh machine;
its adapters thin."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from snippetgen.check import run_check
from snippetgen.project import Project
from snippetgen.tools.coverage import compute
from snippetgen.workspace import load_workspace

ROOT = Path(__file__).resolve().parent.parent


def test_repo_checks_clean():
    problems = run_check(ROOT)
    assert problems == [], "\n".join(p.format() for p in problems)


def test_every_operation_has_an_embedded_snippet_in_every_language():
    ws, _ = load_workspace(Project.load(ROOT))
    cov = compute(ws, [])
    missing = [f"{op} [{lang}]" for op, row in cov.rows.items() for lang, c in row.items() if not c.snippets]
    unembedded = [
        f"{op} [{lang}]" for op, row in cov.rows.items() for lang, c in row.items() if not c.embedded
    ]
    assert len(cov.rows) > 30
    assert missing == [] and unembedded == []


def test_curl_tabs_need_only_curl_jq_and_posix_tools():
    """cURL tabs are curl commands that read answers with jq: no python or node in them, and the
    machine that runs them (CI, the README's test command) installs jq."""
    offenders, uses_jq = [], False
    for template in sorted((ROOT / "shared" / "snippets").glob("*/*/curl.jinja")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            if re.search(r"(^|[|;&(`$]\s*|\s)(python3?|node)\b(?!\.)", line):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()}")
            uses_jq = uses_jq or bool(re.search(r"(^|[|;&(`$]\s*|\s)jq\b", line))
    assert offenders == []
    if uses_jq:
        assert re.search(r"^\s*pkgs=\(.*\bjq\b", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.M)
        assert "apt-get install chromium bubblewrap jq" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_javascript_tabs_are_es_modules_without_commonjs():
    """Every JavaScript tab is an ES module (the page says to save it as .mjs): nothing that only
    CommonJS has, so a pasted program never dies on ``require is not defined``."""
    offenders = []
    commonjs = re.compile(r"\brequire\s*\(|\b__dirname\b|\b__filename\b|\bmodule\.exports\b|\bexports\.\w")
    for template in sorted((ROOT / "shared" / "snippets").glob("*/*/js.jinja")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1):
            if commonjs.search(line) and not line.lstrip().startswith("//"):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


ADAPTERS = {"cli", "mkdocs", "markdown", "pytest"}
"""Modules of ``snippetgen/integration/``, one per host; ``site_build`` is shared by cli and mkdocs."""


def imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Dotted names of the modules a parsed module of ``package`` imports (relative ones resolved)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_adapters_never_import_each_other_and_the_core_no_adapter():
    package = ROOT / "snippetgen"
    for path in sorted(package.rglob("*.py")):
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        name = dotted.removesuffix(".__init__")
        package_name = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        modules = imported_modules(ast.parse(path.read_text(encoding="utf-8")), package_name)
        adapters = {m.split(".")[2] for m in modules if m.startswith("snippetgen.integration.")}
        adapters &= ADAPTERS | {"site_build"}
        if name == "snippetgen.__main__":
            assert adapters == {"cli"}
        elif name.startswith("snippetgen.integration."):
            own = name.rsplit(".", 1)[1]
            allowed = {"site_build"} if own in ("cli", "mkdocs") else set()
            assert adapters - {own} <= allowed, f"{name} imports {adapters - {own}}"
        else:
            assert adapters == set(), f"the core module {name} imports {adapters}"


def test_imports_inside_adapter_functions_say_why():
    """Adapters import at the top, except what a command loads only when it runs, with a comment why."""
    files = [
        *sorted((ROOT / "snippetgen" / "integration").glob("*.py")),
        ROOT / "snippetgen" / "authoring.py",
    ]
    silent = []
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and "#" not in lines[node.lineno - 1]:
                        silent.append(
                            f"{path.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}"
                        )
    assert silent == []
