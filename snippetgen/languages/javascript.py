"""JavaScript examples (Node 18+): ``js.jinja``, syntax-checked in one batched node process."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import Language, SyntaxIssue

_NODE_FLAGS = ["--experimental-vm-modules", "--no-warnings"]
_CHECKER = Path(__file__).resolve().parent.parent / "runtime" / "js_check.cjs"


def literal(value: Any) -> str:
    """JSON is valid JavaScript for every JSON value; keep non-ASCII text readable."""
    return json.dumps(value, ensure_ascii=False)


def _node_check_file(source: str, suffix: str) -> SyntaxIssue:
    # vm.SourceTextModule reports no line for module syntax errors; `node --check` on a file does.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"example{suffix}"
        path.write_text(source, encoding="utf-8")
        proc = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    text = proc.stderr
    line_match = re.search(rf"example{re.escape(suffix)}:(\d+)", text)
    msg_match = re.search(r"^(SyntaxError: .*)$", text, re.M)
    return SyntaxIssue(
        int(line_match.group(1)) if line_match else 1,
        msg_match.group(1).removeprefix("SyntaxError: ") if msg_match else text.strip()[:200],
    )


def check_many(sources: Sequence[str]) -> list[SyntaxIssue | None]:
    """One node process checks every source as a classic script or an ES module."""
    if not sources:
        return []
    proc = subprocess.run(
        ["node", *_NODE_FLAGS, str(_CHECKER)],
        input=json.dumps(list(sources)),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"node syntax checker failed: {proc.stderr.strip()[:500]}")
    issues: list[SyntaxIssue | None] = []
    for source, found in zip(sources, json.loads(proc.stdout), strict=True):
        if found is None:
            issues.append(None)
        elif found["line"] == 1 and "\n" in source.strip():
            # Module errors come without a position: ask node about this one file.
            issues.append(_node_check_file(source, ".mjs" if _is_module(source) else ".js"))
        else:
            issues.append(SyntaxIssue(found["line"], found["message"]))
    return issues


def _is_module(source: str) -> bool:
    """ES module unless the code is CommonJS: ``require``, ``module.exports`` or ``__dirname``.

    Plain fetch code runs the same either way, and as a module it may use top-level ``await``.
    """
    if re.search(r"^\s*(import\s[^(]|import\{|export\s)", source, re.M):
        return True
    return not re.search(r"\brequire\(|\bmodule\.exports\b|\b__dirname\b|\b__filename\b", source)


def command(path: str) -> list[str]:
    return ["node", path]


LANGUAGE = Language(
    id="js",
    label="JavaScript",
    lexer="javascript",
    extension=".js",
    literal=literal,
    check_many=check_many,
    command=command,
    file_name=lambda source: "example.mjs" if _is_module(source) else "example.cjs",
)
