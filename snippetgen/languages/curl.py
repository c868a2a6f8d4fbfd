"""Shell examples (curl command lines): ``curl.jinja``, checked with ``bash -n``, run with bash."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Sequence
from typing import Any

from . import Language, SyntaxIssue


def literal(value: Any) -> str:
    """A single shell word: strings quoted for bash; lists and objects as quoted JSON."""
    if isinstance(value, str):
        return shlex.quote(value)
    return shlex.quote(json.dumps(value, ensure_ascii=False))


_LINE = re.compile(r"line (\d+): (.*)")


def _bash_n(source: str) -> SyntaxIssue | None:
    proc = subprocess.run(["bash", "-n"], input=source, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    first = proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else "syntax error"
    match = _LINE.search(first)
    return SyntaxIssue(int(match.group(1)), match.group(2)) if match else SyntaxIssue(1, first)


def check_many(sources: Sequence[str]) -> list[SyntaxIssue | None]:
    """``bash -n`` on all sources joined; only a failing batch is split (bisection), so a clean
    catalog costs one process and each broken example about log2(n) more."""
    results: list[SyntaxIssue | None] = [None] * len(sources)

    def visit(lo: int, hi: int) -> None:
        if hi - lo == 1:
            results[lo] = _bash_n(sources[lo])
            return
        joined = "\n".join(s if s.endswith("\n") else s + "\n" for s in sources[lo:hi])
        if _bash_n(joined) is None:
            return
        mid = (lo + hi) // 2
        visit(lo, mid)
        visit(mid, hi)

    if sources:
        visit(0, len(sources))
    return results


LANGUAGE = Language(
    id="curl",
    label="cURL",
    lexer="bash",
    extension=".sh",
    literal=literal,
    check_many=check_many,
    command=lambda path: ["bash", path],
)
