"""This repository's own catalog, specs and pages: clean, fully covered, runnable on a fresh machine."""

from __future__ import annotations

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


def test_curl_tabs_need_only_curl_and_posix_tools():
    """The README promises a fresh machine with Python, node and curl: no jq, no python in cURL tabs."""
    offenders = []
    for template in sorted((ROOT / "shared" / "snippets").glob("*/*/curl.jinja")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(
                r"(^|[|;&(`$]\s*|\s)(jq|python3?|node)\b(?!\.)", line
            ) and not line.lstrip().startswith("#"):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
