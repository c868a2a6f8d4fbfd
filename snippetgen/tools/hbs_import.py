"""``snippetgen import-hbs``: migrate a Handlebars snippet tree to Jinja with byte-identical output.

A small port of Handlebars 4.7: its lexer rules, the statement grammar for the supported subset,
and its whitespace-control pass (standalone lines, ``~``). The emitter then picks, for every run of
text between two tags, the Jinja whitespace flags under which the shared environment
(``trim_blocks``, ``lstrip_blocks``) prints exactly what Handlebars printed; a simulation of Jinja's
lexer checks each choice. Anything outside the subset is a Problem at ``file:line``, never a guess.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2.defaults import DEFAULT_NAMESPACE

from ..errors import UsageError
from ..model import Location, Problem

# ---------------------------------------------------------------- lexer (rules of handlebars.l, in order)

_MU = [
    (t, re.compile(r))
    for t, r in [
        ("OPEN_SEXPR", r"\("),
        ("CLOSE_SEXPR", r"\)"),
        ("RAW", r"\{\{\{\{"),
        ("RAW", r"\}\}\}\}"),
        ("PARTIAL", r"\{\{(~)?>"),
        ("PARTIAL", r"\{\{(~)?#>"),
        ("OPEN_BLOCK", r"\{\{(~)?#\*?"),
        ("OPEN_ENDBLOCK", r"\{\{(~)?/"),
        ("INVERSE", r"\{\{(~)?\^\s*(~)?\}\}"),
        ("INVERSE", r"\{\{(~)?\s*else\s*(~)?\}\}"),
        ("OPEN_INVERSE", r"\{\{(~)?\^"),
        ("OPEN_INVERSE_CHAIN", r"\{\{(~)?\s*else\b"),
        ("OPEN_UNESCAPED", r"\{\{(~)?\{"),
        ("OPEN", r"\{\{(~)?&"),
        ("COM", r"\{\{(~)?!--"),
        ("COMMENT", r"\{\{(~)?![\s\S]*?\}\}"),
        ("OPEN", r"\{\{(~)?\*?"),
        ("EQUALS", r"="),
        ("ID", r"\.\."),
        ("ID", r"\.(?=[=~}\s/.)|])"),
        ("SEP", r"[/.]"),
        ("WS", r"\s+"),
        ("CLOSE_UNESCAPED", r"\}(~)?\}\}"),
        ("CLOSE", r"(~)?\}\}"),
        ("STRING", r'"(\\"|[^"])*"'),
        ("STRING", r"'(\\'|[^'])*'"),
        ("DATA", r"@"),
        ("LITERAL", r"(true|false|undefined|null)(?=[~}\s)])"),
        ("LITERAL", r"-?[0-9]+(?:\.[0-9]+)?(?=[~}\s)])"),
        ("BLOCK_PARAMS", r"as\s+\||\|"),
        ("ID", r"[^\s!\"#%-,./;->@\[-^`{-~]+(?=[=~}\s/.)|])"),
        ("ID", r"\[(\\\]|[^\]])*\]"),
        ("INVALID", r"."),
    ]
]
_OPENERS = {
    "PARTIAL",
    "OPEN_BLOCK",
    "OPEN_ENDBLOCK",
    "OPEN_INVERSE",
    "OPEN_INVERSE_CHAIN",
    "OPEN_UNESCAPED",
    "OPEN",
    "RAW",
}


def _lex(src: str) -> list[tuple[str, str, int]]:
    """Tokens ``(type, text, offset)``; a tag's inner tokens follow its opener, up to its CLOSE."""
    out: list[tuple[str, str, int]] = []
    pos, state = 0, "INITIAL"
    while pos < len(src):
        if state == "emu":
            m = re.compile(r"[\s\S]{2,}?(?=\{\{|\\\{\{|\\\\\{\{|$(?![\s\S]))").match(src, pos)
            out.append(("CONTENT", m.group(), pos)) if m else out.append(("CONTENT", src[pos:], pos))
            pos, state = (m.end() if m else len(src)), "INITIAL"
        elif state == "INITIAL":
            end = src.find("{{", pos)
            text = src[pos:] if end < 0 else src[pos:end]
            state = "mu"
            if end >= 0 and text.endswith("\\") and not text.endswith("\\\\"):
                state = "emu"
            if end >= 0 and text.endswith("\\"):
                text = text[:-1]
            if text:
                out.append(("CONTENT", text, pos))
            pos = len(src) if end < 0 else end
        else:
            kind, m = _first_token(src, pos)
            if kind == "COM":
                m = re.compile(r"[\s\S]*?--(~)?\}\}").match(src, pos)
                if not m:
                    return out + [("INVALID", src[pos:], pos)]
                kind = "COMMENT"
            if kind != "WS":
                out.append((kind, m.group(), pos))
            if kind in ("COMMENT", "INVERSE", "CLOSE", "CLOSE_UNESCAPED"):
                state = "INITIAL"
            pos = m.end()
    return out


def _first_token(src: str, pos: int) -> tuple[str, re.Match[str]]:
    """The first mustache-state rule that matches at ``pos`` (the last rule matches anything)."""
    for kind, rx in _MU:
        m = rx.match(src, pos)
        if m:
            return kind, m
    raise AssertionError("the last mustache rule matches any character")


# ---------------------------------------------------------------- parser and whitespace control


class Content:
    def __init__(self, text: str):
        self.original, self.a, self.b, self.ls, self.rs = text, 0, len(text), False, False

    @property
    def value(self) -> str:
        return self.original[self.a : self.b]


class Node:
    """A mustache, comment or block; ``strip`` holds Handlebars' ``~`` flags."""

    def __init__(self, kind: str, line: int, **kw: Any):
        self.kind, self.line = kind, line
        self.path: Any = None
        self.helper: list[str] | None = None
        self.program: list[Any] = []
        """Statements of a block (empty for mustaches and comments)."""
        self.inverse: list[Any] | None = None
        self.text, self.triple = "", False
        self.offset = 0
        self.open_strip = self.else_strip = self.close_strip = (False, False)
        self.__dict__.update(kw)


class HbsError(Exception):
    def __init__(self, message: str, offset: int, code: str = "hbs-unsupported", hint: str | None = None):
        super().__init__(message)
        self.message, self.offset, self.code, self.hint = message, offset, code, hint


def _strip(open_text: str, close_text: str) -> tuple[bool, bool]:
    return (open_text[2:3] == "~", close_text[-3:-2] == "~")


def _parse(src: str) -> tuple[list[Any], list[HbsError]]:
    tokens, i = _lex(src), 0
    errors: list[HbsError] = []

    def line(off: int) -> int:
        return src.count("\n", 0, off) + 1

    root: list[Any] = []
    stack: list[tuple[Node, list[Any]]] = []
    body = root
    while i < len(tokens):
        kind, text, off = tokens[i]
        i += 1
        if kind == "CONTENT":
            body.append(Content(text))
            continue
        if kind == "COMMENT":
            comment = re.sub(r"-?-?~?\}\}$", "", re.sub(r"^\{\{~?!-?-?", "", text))
            body.append(Node("comment", line(off), text=comment, open_strip=_strip(text, text)))
            continue
        if kind == "INVERSE":
            if not stack or stack[-1][0].inverse is not None:
                raise HbsError("{{else}} outside a block, or a second {{else}}", off, "hbs-syntax")
            node = stack[-1][0]
            node.else_strip, node.inverse = _strip(text, text), []
            body = node.inverse
            continue
        if kind not in _OPENERS:
            raise HbsError(f"unexpected {text!r}", off, "hbs-syntax")
        inner: list[tuple[str, str, int]] = []
        while i < len(tokens) and tokens[i][0] not in ("CLOSE", "CLOSE_UNESCAPED"):
            inner.append(tokens[i])
            i += 1
        if i == len(tokens) or kind == "RAW":
            raise HbsError(
                "raw block {{{{" if kind == "RAW" else "unclosed {{",
                off,
                "hbs-syntax" if kind != "RAW" else "hbs-unsupported",
            )
        close = tokens[i][1]
        i += 1
        if (tokens[i - 1][0] == "CLOSE_UNESCAPED") != (kind == "OPEN_UNESCAPED"):
            raise HbsError(
                f"{text}...{close} do not pair",
                off,
                "hbs-syntax",
                "Handlebars reads '}}}' as the end of a triple-stash: put a space before the last '}'",
            )
        strip = _strip(text, close)
        if bad := [t for t in inner if t[0] == "INVALID"]:
            raise HbsError(f"invalid character {bad[0][1]!r} in {{{{", bad[0][2], "hbs-syntax")
        exprs = _exprs(inner)
        what: tuple[Any, ...] | None = None
        if kind == "OPEN_ENDBLOCK":
            if not stack:
                raise HbsError(f"{text}{close} closes nothing", off, "hbs-syntax")
            node, body = stack.pop()
            name = exprs[0][2] if exprs and exprs[0][0] == "path" else None
            if name != node.helper:
                raise HbsError(
                    f"{'/'.join(name or ['?'])} doesn't match {'/'.join(node.helper or [])}",
                    off,
                    "hbs-syntax",
                )
            node.close_strip = strip
            continue
        if kind in ("OPEN", "OPEN_UNESCAPED") or (kind == "PARTIAL" and "#" not in text):
            what = exprs[0] if kind != "PARTIAL" and len(exprs) == 1 and exprs[0][0] == "path" else None
            if what is None or text.endswith("*"):
                errors.append(HbsError(_describe(kind, text, exprs), off))
            body.append(Node("mustache", line(off), path=what, open_strip=strip))
            continue
        if kind == "OPEN_INVERSE_CHAIN":
            errors.append(
                HbsError(
                    "'{{else " + " ".join(e[1] for e in exprs) + "}}' chains",
                    off,
                    hint="nest an {{#if}} inside {{else}}",
                )
            )
            continue
        helper = exprs[0][2] if exprs and exprs[0][0] == "path" and not exprs[0][3] else None
        node = Node("block", line(off), helper=helper, open_strip=strip, program=[], offset=off)
        ok = kind == "OPEN_BLOCK" and not text.endswith("*") and helper in (["if"], ["unless"], ["each"])
        if ok and (len(exprs) != 2 or exprs[1][0] != "path"):
            ok = False
        if ok:
            node.path = exprs[1]
        else:
            errors.append(HbsError(_describe(kind, text, exprs), off))
        body.append(node)
        stack.append((node, body))
        body = node.program
    if stack:
        raise HbsError(
            f"{{{{#{'/'.join(stack[-1][0].helper or ['?'])}}}}} is never closed",
            stack[-1][0].offset,
            "hbs-syntax",
        )
    return root, errors


def _exprs(inner: list) -> list[tuple]:
    """``('path', text, parts, data)`` for paths; ``(kind, text, None, False)`` for anything else."""
    out: list[tuple] = []
    j = 0
    while j < len(inner):
        kind, text, _ = inner[j]
        data = kind == "DATA"
        if data:
            j += 1
            if j == len(inner):
                break
            kind, text = inner[j][0], "@" + inner[j][1]
        if kind == "ID" and j + 1 < len(inner) and inner[j + 1][0] == "EQUALS":
            out.append(("hash", f"{text}=", None, False))
            j += 2
            continue
        if kind == "ID":
            parts = [inner[j][1]]
            while j + 2 < len(inner) and inner[j + 1][0] == "SEP" and inner[j + 2][0] == "ID":
                parts.append(inner[j + 2][1])
                text += inner[j + 1][1] + inner[j + 2][1]
                j += 2
            out.append(("path", text, parts, data))
        else:
            out.append((kind.lower(), text, None, False))
        j += 1
    return out


def _describe(kind: str, text: str, exprs: list) -> str:
    tag = text + " ".join(e[1] for e in exprs) + "}}"
    head = exprs[0][1] if exprs else ""
    if kind == "PARTIAL":
        what = "partial block" if "#" in text else "partial"
    elif text.endswith("*"):
        what = "decorator"
    elif kind == "OPEN_INVERSE":
        what = "inverse section"
    elif kind == "OPEN_BLOCK" and head not in ("if", "unless", "each"):
        what = f"block helper #{head}"
    elif kind == "OPEN_BLOCK":
        what = f"#{head} form (it takes exactly one variable)"
    else:
        kinds = {e[0] for e in exprs[1:]}
        what = (
            "subexpression"
            if "open_sexpr" in kinds
            else "hash argument"
            if "hash" in kinds
            else "helper call"
            if len(exprs) > 1
            else "literal or empty expression"
        )
    return f"unsupported {what}: {tag}"


def _ws_rx(multiple: bool, right: bool) -> re.Pattern:
    ws = "\\s" if multiple else "[ \\t]"
    return re.compile(
        f"^{ws}+" if right and multiple else "^[ \\t]*\\r?\\n?" if right else f"{ws}+$(?![\\s\\S])"
    )


def _omit_right(body: list, i: int | None = None, multiple: bool = False) -> None:
    j = 0 if i is None else i + 1
    cur = body[j] if j < len(body) else None
    if not isinstance(cur, Content) or (not multiple and cur.rs):
        return
    m = _ws_rx(multiple, True).match(cur.value)
    cur.a += len(m.group()) if m else 0
    cur.rs = bool(m and m.group())


def _omit_left(body: list, i: int | None = None, multiple: bool = False) -> bool:
    j = len(body) - 1 if i is None else i - 1
    cur = body[j] if j >= 0 else None
    if not isinstance(cur, Content) or (not multiple and cur.ls):
        return False
    m = _ws_rx(multiple, False).search(cur.value)
    cur.b -= len(m.group()) if m else 0
    cur.ls = bool(m)
    return cur.ls


def _prev_ws(body: list, i: int | None = None, root: bool = False) -> bool:
    i = len(body) if i is None else i
    prev, sib = (body[i - 1] if i >= 1 else None), (body[i - 2] if i >= 2 else None)
    if prev is None:
        return root
    rx = r"\r?\n\s*$(?![\s\S])" if sib is not None or not root else r"(^|\r?\n)\s*$(?![\s\S])"
    return isinstance(prev, Content) and re.search(rx, prev.original) is not None


def _next_ws(body: list, i: int | None = None, root: bool = False) -> bool:
    i = -1 if i is None else i
    nxt, sib = (body[i + 1] if i + 1 < len(body) else None), (body[i + 2] if i + 2 < len(body) else None)
    if nxt is None:
        return root
    rx = r"^\s*?\r?\n" if sib is not None or not root else r"^\s*?(\r?\n|$(?![\s\S]))"
    return isinstance(nxt, Content) and re.match(rx, nxt.original) is not None


def _whitespace(body: list, root: bool = False) -> None:
    """Handlebars' WhitespaceControl.Program, on ``Content.a/b``."""
    for i, cur in enumerate(body):
        if isinstance(cur, Content):
            continue
        strip = {"open": cur.open_strip[0], "close": cur.open_strip[1]}
        if cur.kind == "comment":
            strip["inline"] = True
        elif cur.kind == "block":
            strip = _whitespace_block(cur)
        prev_ws, next_ws = _prev_ws(body, i, root), _next_ws(body, i, root)
        if strip["close"]:
            _omit_right(body, i, True)
        if strip["open"]:
            _omit_left(body, i, True)
        if strip.get("inline") and prev_ws and next_ws:
            _omit_right(body, i)
            _omit_left(body, i)
        if strip.get("open_sa") and prev_ws:
            _omit_right(cur.program)
            _omit_left(body, i)
        if strip.get("close_sa") and next_ws:
            _omit_right(body, i)
            _omit_left(cur.inverse if cur.inverse is not None else cur.program)


def _whitespace_block(block: Node) -> dict:
    _whitespace(block.program)
    if block.inverse is not None:
        _whitespace(block.inverse)
    program, inverse = block.program, block.inverse
    strip = {
        "open": block.open_strip[0],
        "close": block.close_strip[1],
        "open_sa": _next_ws(program),
        "close_sa": _prev_ws(inverse if inverse is not None else program),
    }
    if block.open_strip[1]:
        _omit_right(program, None, True)
    if inverse is not None:
        if block.else_strip[0]:
            _omit_left(program, None, True)
        if block.else_strip[1]:
            _omit_right(inverse, None, True)
        if block.close_strip[0]:
            _omit_left(inverse, None, True)
        if _prev_ws(program) and _next_ws(inverse):
            _omit_left(program)
            _omit_right(inverse)
    elif block.close_strip[0]:
        _omit_left(program, None, True)
    return strip


# ---------------------------------------------------------------- emitter

_HELPERS = {"helperMissing", "blockHelperMissing", "each", "if", "unless", "with", "log", "lookup"}
_RESERVED = {
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "loop",
    "self",
    "caller",
    "varargs",
    "kwargs",
    *DEFAULT_NAMESPACE,
}
_LOOP = {"index": ("loop.index0", "num"), "first": ("loop.first", "bool"), "last": ("loop.last", "bool")}
_MISSING = object()


class Tag:
    def __init__(self, kind: str, code: str, tilde: tuple[bool, bool]):
        self.kind, self.code, self.tilde, self.lflag, self.rflag = kind, code, tilde, "", ""

    def render(self) -> str:
        o, c = {"var": ("{{", "}}"), "block": ("{%", "%}"), "comment": ("{#", "#}")}[self.kind]
        return f"{o}{self.lflag} {self.code} {self.rflag}{c}"


def _escape(text: str, before_tag: bool) -> list[tuple[bool, str]]:
    """Text as ``(is_escape, piece)``: ``{{``, ``{%``, ``{#`` (and a ``{`` just before a tag) become ``{{ '..' }}``."""
    parts = [(p in ("{{", "{%", "{#"), p) for p in re.split(r"(\{[{%#])", text) if p]
    if before_tag and parts and not parts[-1][0] and parts[-1][1].endswith("{"):
        parts[-1:] = [(False, parts[-1][1][:-1]), (True, "{")]
    return parts


def _jinja_output(
    parts: list[tuple[bool, str]], left: Tag | None, lflag: str, right: Tag | None, rflag: str
) -> str:
    """What Jinja's lexer (trim_blocks, lstrip_blocks) keeps of ``parts`` between two tags."""
    if not parts or parts[0][0]:
        parts = [(False, "")] + parts
    if parts[-1][0]:
        parts = parts + [(False, "")]
    first, last = parts[0][1], len(parts) - 1
    line_starting = left is None
    if left is not None and lflag == "-":
        rest = re.sub(r"^\s*", "", first)
        line_starting, first = first[: len(first) - len(rest)].endswith("\n"), rest
    elif left is not None and lflag == "" and left.kind != "var" and first.startswith("\n"):
        line_starting, first = True, first[1:]
    parts[0] = (False, first)
    text = parts[last][1]
    if last:
        line_starting = False
    if right is not None and rflag == "-":
        text = text.rstrip()
    elif right is not None and rflag == "" and right.kind != "var":
        l_pos = text.rfind("\n") + 1
        if (l_pos > 0 or line_starting) and re.fullmatch(r"\s+", text[l_pos:]):
            text = text[:l_pos]
    parts[last] = (False, text)
    return "".join(p for _, p in parts)


def _gap(contents: list[Content], left: Tag | None, right: Tag | None) -> list:
    """Choose the emitted text and the neighbours' flags so Jinja prints the Handlebars text exactly."""
    value = "".join(c.value for c in contents)
    pre = contents[0].original[: contents[0].a] if contents else ""
    post = contents[-1].original[contents[-1].b :] if contents else ""
    pres = [(pre, 0), ("\n", 1), ("", 2)] if pre.endswith("\n") and pre != "\n" else [(pre, 0), ("", 2)]
    posts = [(post, 0), ("", 2)]

    def flags(tag: Tag | None, side: int) -> list[tuple[str, int]]:
        if tag is None:
            return [("", 0)]
        dash = ("-", 0 if tag.tilde[side] else 3)
        return [("", 0), dash] if tag.kind == "var" else [("", 0), dash, ("+", 2)]

    best: tuple[Any, ...] | None = None
    for p, pc in pres:
        for s, sc in posts:
            parts = _escape(p + value + s, right is not None)
            for lf, lc in flags(left, 1):
                for rf, rc in flags(right, 0):
                    cost = pc + sc + lc + rc
                    if (best is None or cost < best[0]) and _jinja_output(
                        list(parts), left, lf, right, rf
                    ) == value:
                        best = (cost, parts, lf, rf)
    assert best is not None  # E = value with "+" flags always works
    _, parts, lf, rf = best
    if left is not None:
        left.rflag = lf
    if right is not None:
        right.lflag = rf
    return ["{{ '" + p + "' }}" if esc else p for esc, p in parts]


class _Emitter:
    def __init__(self, payload: Mapping[str, Any] | None, item: str):
        self.payload, self.item = payload, item
        self.items: list[Content | Tag] = []
        self.errors: list[tuple[int, str, str | None]] = []

    def path(self, path: tuple, depth: int, line: int) -> tuple[str, str | None]:
        _, text, parts, data = path
        if data:
            if len(parts) == 1 and parts[0] in _LOOP and depth:
                return _LOOP[parts[0]]
            hint = "only @index, @first and @last are supported, inside {{#each}}"
            self.errors.append((line, f"unsupported data variable @{text.lstrip('@')}", hint))
            return "none", None
        this = parts[0] in ("this", ".")
        segs = parts[1:] if this else parts
        if any(p in ("this", ".", "..") or p.startswith("[") for p in segs) or not (segs or depth):
            what = "parent scope ../" if ".." in parts else "this outside {{#each}}" if not segs else "path"
            self.errors.append((line, f"unsupported {what}: {text}", None))
            return "none", None
        if not this and len(parts) == 1 and parts[0] in _HELPERS:
            self.errors.append(
                (line, f"{{{{{text}}}}} calls the Handlebars helper {text!r}", "rename the variable")
            )
        kind: str | None = None
        if depth:
            expr = self.item if depth == 1 else f"{self.item}{depth}"
        else:
            expr, segs = segs[0], segs[1:]
            if (
                not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expr)
                or expr in _RESERVED
                or expr.startswith("__")
            ):
                self.errors.append(
                    (
                        line,
                        f"variable name {expr!r} is not usable in Jinja",
                        "rename it: letters, digits and _, not a Jinja keyword",
                    )
                )
            value = _MISSING if self.payload is None else self.payload.get(expr, _MISSING)
            if self.payload is not None and not segs:
                kind = (
                    "str"
                    if value is _MISSING or isinstance(value, str)
                    else "list"
                    if isinstance(value, list)
                    else None
                    if isinstance(value, dict)
                    else "scalar"
                )
        for seg in segs:
            if seg == "length" or seg.startswith("__"):
                self.errors.append(
                    (line, f"unsupported property {seg!r} in {text}", "write it in Jinja by hand")
                )
            plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", seg) and seg not in _RESERVED
            plain = plain and not any(hasattr(t, seg) for t in (dict, list, str))
            expr += f".{seg}" if plain else f"[{json.dumps(seg)}]"
        return expr, kind

    def walk(self, body: list, depth: int) -> bool:
        """Emit ``body``; True if its JS value may be a number or boolean (Handlebars then adds with ``+``)."""
        pieces: list[bool] = []
        for node in body:
            if isinstance(node, Content):
                self.items.append(node)
                if node.value:
                    pieces.append(False)
                continue
            if node.kind == "comment":
                self.items.append(Tag("comment", node.text.strip().replace("#}", "# }"), node.open_strip))
                continue
            expr, kind = self.path(node.path, depth, node.line) if node.path else ("none", None)
            if node.kind == "mustache":
                plain = kind in ("str", "num")
                self.items.append(Tag("var", expr if plain else f"{expr} | hbs", node.open_strip))
                pieces.append(kind != "str")
            elif node.helper == ["each"]:
                it = self.item if depth == 0 else f"{self.item}{depth + 1}"
                iterable = expr if kind == "list" else f"{expr} | hbs_each"
                self.items.append(Tag("block", f"for {it} in {iterable}", node.open_strip))
                self.walk(node.program, depth + 1)
                pieces.append(self.inverse(node, depth, "endfor"))
            else:
                cond = expr if kind in ("str", "num", "bool", "list", "scalar") else f"{expr} | hbs_truthy"
                neg = "not " if node.helper == ["unless"] else ""
                self.items.append(Tag("block", f"if {neg}{cond}", node.open_strip))
                pieces.append(self.walk(node.program, depth) | self.inverse(node, depth, "endif"))
            if len(pieces) == 2 and all(pieces):
                self.errors.append(
                    (
                        node.line,
                        "Handlebars adds two numbers or booleans printed side by side at "
                        "the start of a block ({{a}}{{b}} with 1 and 2 gives 3)",
                        "put text between them, or give the variables string defaults",
                    )
                )
        return bool(pieces) and all(pieces)

    def inverse(self, node: Node, depth: int, end: str) -> bool:
        nonstring = False
        if node.inverse is not None:
            self.items.append(Tag("block", "else", node.else_strip))
            nonstring = self.walk(node.inverse, depth)
        self.items.append(Tag("block", end, node.close_strip))
        return nonstring

    def source(self) -> str:
        out: list = []
        gap: list[Content] = []
        left: Tag | None = None
        for item in [*self.items, None]:
            if isinstance(item, Content):
                gap.append(item)
                continue
            out += _gap(gap, left, item)
            out.append(item)
            gap, left = [], item
        return "".join(x.render() if isinstance(x, Tag) else x for x in out if x is not None)


def convert_template(
    source: str, path: str, *, payload: Mapping[str, Any] | None = None
) -> tuple[str | None, list[Problem]]:
    """Handlebars source -> Jinja source printing the same bytes, or None and the problems.

    ``payload`` (the snippet's defaults) lets top-level strings print as plain ``{{ name }}``:
    a variable without a default can only come from a ``data-*`` attribute, i.e. be a string.
    """
    if "\r" in source:
        line = source.count("\n", 0, source.index("\r")) + 1
        return None, [
            Problem(
                Location(path, line),
                "carriage return in template: Jinja turns \\r\\n into \\n",
                "hbs-line-endings",
                hint="convert the file to \\n line endings first",
            )
        ]
    try:
        body, errors = _parse(source)
    except HbsError as exc:
        errors, body = [exc], None
    problems = [
        Problem(Location(path, source.count("\n", 0, e.offset) + 1), e.message, e.code, hint=e.hint)
        for e in errors
    ]
    if body is None:
        return None, problems
    _whitespace(body, root=True)
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))
    item = next(
        p
        for p in ("item", "it", "elem", "each_item", "item_")
        if not any(re.fullmatch(re.escape(p) + r"\d*", n) for n in names)
    )
    emitter = _Emitter(payload, item)
    emitter.walk(body, 0)
    problems += [
        Problem(Location(path, line), msg, "hbs-unsupported", hint=hint) for line, msg, hint in emitter.errors
    ]
    if problems:
        return None, sorted(set(problems), key=lambda p: (p.location.line, p.message))
    return emitter.source(), []


def import_tree(src: Path, dest: Path, *, force: bool = False) -> tuple[list[Path], list[Problem]]:
    """Convert ``src/<group>/<name>/{config.json,<lang>.hbs}`` to ``dest/<group>/<name>/{config.json,<lang>.jinja}``.

    A snippet is written whole or not at all: any problem in one of its templates (or an existing
    destination, unless ``force``) leaves it unwritten. Folder names are reported, never renamed.
    ``src`` and ``dest`` must be separate trees (neither inside the other): the import never writes
    over its own input. A file that resolves outside ``src`` (a symlink) is reported, not read.
    """
    real_src, real_dest = src.resolve(), dest.resolve()
    if real_src == real_dest or real_src in real_dest.parents or real_dest in real_src.parents:
        raise UsageError(
            f"SRC {src} and DEST {dest} overlap; the import would write over its own input",
            hint="convert into a new folder, e.g. snippetgen import-hbs old-snippets shared/snippets",
        )
    written: list[Path] = []
    problems: list[Problem] = []
    files = []
    for path in sorted(p for p in src.rglob("*") if p.is_file() and p.suffix in (".hbs", ".json")):
        if real_src not in path.resolve().parents:
            problems.append(
                Problem(Location(str(path)), "file resolves outside SRC (a symlink); not read", "hbs-layout")
            )
            continue
        files.append(path)
    for f in files:
        if len(f.relative_to(src).parts) != 3:
            problems.append(
                Problem(
                    Location(str(f)),
                    "file is not at <group>/<name>/<file>",
                    "hbs-layout",
                    hint="the original engine only read shared/snippets/<group>/<name>/*",
                )
            )
    for folder in sorted({f.parent for f in files if len(f.relative_to(src).parts) == 3}):
        rel = folder.relative_to(src)
        for part in rel.parts:
            if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", part):
                problems.append(
                    Problem(
                        Location(str(folder)),
                        f"folder name {part!r} is not kebab-case",
                        "hbs-folder-name",
                        hint=f"rename it to {_kebab(part)!r} (not done for you; "
                        "the original engine turned '_' into '-' only in template keys)",
                    )
                )
        config_path, snippet_problems = folder / "config.json", []
        try:
            config_text = config_path.read_text(encoding="utf-8")
            config = json.loads(config_text)
            if not isinstance(config, dict):
                raise ValueError("config.json is not a JSON object")
        except (OSError, ValueError) as exc:
            line = getattr(exc, "lineno", 0)
            problems.append(
                Problem(Location(str(config_path), line), f"cannot read config: {exc}", "hbs-config")
            )
            continue
        for extra in sorted(p for p in folder.iterdir() if p.name != "config.json" and p.suffix != ".hbs"):
            snippet_problems.append(
                Problem(
                    Location(str(extra)),
                    "not a config.json or <lang>.hbs file",
                    "hbs-layout",
                    hint="copy or delete it by hand",
                )
            )
        out: dict[str, str] = {}
        for tpl in sorted(folder.glob("*.hbs")):
            try:
                text = tpl.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                snippet_problems.append(Problem(Location(str(tpl)), f"cannot read: {exc}", "hbs-unsupported"))
                continue
            jinja, found = convert_template(text, str(tpl), payload=config.get("payload") or {})
            snippet_problems += found
            if jinja is not None:
                out[tpl.stem + ".jinja"] = jinja
        target = dest / rel
        if target.exists() and any(target.iterdir()) and not force:
            snippet_problems.append(
                Problem(
                    Location(str(target)),
                    "destination snippet already exists",
                    "hbs-exists",
                    hint="pass --force to overwrite it",
                )
            )
        problems += snippet_problems
        if any(p.code != "hbs-layout" for p in snippet_problems):
            continue
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(config_path, target / "config.json")
        written.append(target / "config.json")
        for name, jinja in out.items():
            (target / name).write_text(jinja, encoding="utf-8", newline="")
            written.append(target / name)
    return written, problems


def _kebab(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name).lower()).strip("-")
