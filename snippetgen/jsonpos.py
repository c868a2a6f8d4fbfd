"""Line and column of every JSON pointer in a JSON text, for error messages that point at a place."""

from __future__ import annotations

import bisect
import json
import re

from .pointers import escape

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[{}\[\]:,])|(?P<lit>[^\s{}\[\]:,"]+))', re.S)


def pointer_lines(text: str) -> dict[str, tuple[int, int]]:
    """Map JSON pointer -> (line, col) of the value's first character (1-based).

    Assumes the text already parsed as JSON; on anything unexpected it returns what it has so far.
    """
    positions: dict[str, tuple[int, int]] = {}
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    # Stack of [kind, pointer, next_key_or_index]
    stack: list[list] = []
    pending_key: str | None = None
    pos = 0

    def current_pointer() -> str | None:
        if not stack:
            return ""
        kind, base, state = stack[-1]
        if kind == "obj":
            return None if pending_key is None else f"{base}/{escape(pending_key)}"
        return f"{base}/{state}"

    expecting_key = False
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
        start = match.start(match.lastgroup) if match.lastgroup else match.start()
        kind = match.lastgroup
        tok = match.group(kind) if kind else ""
        if kind == "str" and stack and stack[-1][0] == "obj" and expecting_key:
            pending_key = json.loads(tok)
            expecting_key = False
            continue
        if kind == "punct":
            if tok in "{[":
                ptr = current_pointer()
                if ptr is not None:
                    positions[ptr] = where(start)
                stack.append(["obj" if tok == "{" else "arr", ptr or "", 0])
                expecting_key = tok == "{"
                pending_key = None
            elif tok in "}]":
                if not stack:
                    break
                stack.pop()
                expecting_key = False
            elif tok == ",":
                if stack and stack[-1][0] == "arr":
                    stack[-1][2] += 1
                else:
                    expecting_key = True
                    pending_key = None
            continue
        ptr = current_pointer()
        if ptr is not None:
            positions[ptr] = where(start)
    return positions
