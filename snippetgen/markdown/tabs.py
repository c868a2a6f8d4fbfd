"""How one snippet looks on a page: title, description, docs link and one tab per language.

Tabs are ``pymdownx.tabbed`` blocks labelled from the language registry, so Material's
``content.tabs.link`` switches every snippet of a site together; each holds a fenced code block
whose fence is longer than any backtick run in the code. Plain Markdown, no host imported.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Callable, Collection

from ..errors import RenderError
from ..languages import RunSetup, get_language
from ..model import Embed, Location, Snippet
from ..render import render_embed
from .inert import safe_markdown

DOCS_LABEL = "Docs"


def example_anchor(line: int) -> str:
    """The HTML id of the embed at ``line`` of a page (the examples status page links to it)."""
    return f"example-{line}"


_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!])")
"""Python-Markdown's own escapable characters (``|`` and ``~`` are only escapable with extensions)."""


VARIANT_SHARE = 0.5
"""A later embed of a snippet on a page shows only its changes while the changed lines (old and
new) are at most this share of its program (or at most 6); a bigger change shows the whole program."""
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,100}$")


def snippet_markdown(
    snippet: Snippet,
    embed: Embed,
    page_path: str,
    pages: Collection[str] | None = None,
    *,
    base: Embed | None = None,
    after: Callable[[dict[str, str]], str] | None = None,
) -> str:
    """Title, description, docs link and one tab per language, as Markdown.

    ``base``: an earlier embed of the same snippet on the page. When given, each tab shows what
    this embed changes in that program (a diff) instead of the whole program again, unless the
    change is most of the program. ``after``: given the code of each language, a block to put under
    the tabs (the proven response), or "".
    """
    codes = {lang: render_embed(snippet, embed, lang).code for lang in snippet.templates}
    diffs = _variant_diffs(snippet, base, codes) if base is not None else None
    # The anchor the examples status page links to (one per embed: its page line).
    head = f'<span id="{example_anchor(embed.location.line)}"></span>**{md_escape(snippet.title)}**'
    if snippet.docs:
        try:
            href = docs_href(snippet.docs, page_path, pages)
        except ValueError as exc:
            config = Location(str(snippet.config_path), snippet.line_of("/docs"))
            raise RenderError(
                f"{snippet.key}: {exc} (docs in {config})",
                embed.location,
                hint="use an https URL or a page of this site such as aiart/img2video.md",
            ) from None
        if href is not None:
            head += f" · [{DOCS_LABEL}]({href})"
    parts = [head]
    description = str(snippet.config.get("description") or "").strip()
    if description and diffs is None:  # untrusted text: Markdown that cannot carry raw HTML, rendered inert
        parts.append(safe_markdown(description, inline=True))
    if diffs is not None:
        parts.append(
            "Changes from the program above (the same snippet): lines starting with `-` go, lines "
            "starting with `+` come in their place."
        )
    key_env = snippet.payload.get("apiKeyEnv")
    key_env = key_env if isinstance(key_env, str) and _ENV_NAME.match(key_env) else None
    for index, (lang, code) in enumerate(codes.items()):
        language = get_language(lang)
        marker = "===!" if index == 0 else "==="
        if diffs is not None:
            body = code_fence(diffs[lang], "diff") if diffs[lang] else "The same program as above.\n"
            parts.append(f'{marker} "{language.label}"\n\n' + indent(body.rstrip("\n"), "    "))
            continue
        body = code_fence(code, language.lexer).rstrip("\n")
        run = run_line(language.setup(code), key_env)
        if run:
            body += "\n\n" + run
        parts.append(f'{marker} "{language.label}"\n\n' + indent(body, "    "))
    below = after(codes) if after is not None else ""
    if below:
        parts.append(below.rstrip("\n"))
    return "\n\n".join(parts) + "\n"


RUN_CLASS = "snippetgen-run"


def run_line(setup: RunSetup, key_env: str | None = None) -> str:
    """One Markdown paragraph saying how to run the program: runtime and packages, the file to save
    it as, the key's variable and the command. It is wrapped in an inline ``<span>`` of class
    :data:`RUN_CLASS` (Markdown inside a span is still Markdown, and no extension is needed)."""
    needs = setup.runtime
    if setup.packages and not setup.install:
        head, _, last = needs.rpartition(" and ")
        named = [*([head, last] if head else [needs] if needs else []), *setup.packages]
        needs = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
    steps = []
    if setup.install:
        steps.append(f"install with `{setup.install}`")
    steps.append(f"save as `{setup.file}`")
    if key_env:
        steps.append(f"set `{key_env}` to your key")
    if setup.command:
        steps.append(f"run `{setup.command}`")
    text = (f"**To run:** {md_escape(needs)}; " if needs else "**To run:** ") + ", ".join(steps) + "."
    return f'<span class="{RUN_CLASS}">{text}</span>'


def _variant_diffs(snippet: Snippet, base: Embed, codes: dict[str, str]) -> dict[str, str] | None:
    """Per language, the changes from ``base``'s program as diff lines (``-`` old, ``+`` new, an
    ``@@ line N @@`` header per change); None when a change is too big to read as a diff."""
    diffs = {}
    for lang, code in codes.items():
        old = render_embed(snippet, base, lang).code.splitlines()
        new = code.splitlines()
        lines: list[str] = []
        changed = 0
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            lines.append(f"@@ line {j1 + 1} @@")
            lines += [f"-{line}" for line in old[i1:i2]] + [f"+{line}" for line in new[j1:j2]]
            changed += (i2 - i1) + (j2 - j1)
        if changed > max(VARIANT_SHARE * len(new), 6):
            return None
        diffs[lang] = "\n".join(lines)
    return diffs


def code_fence(code: str, lexer: str) -> str:
    """A fenced code block that nothing in ``code`` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lexer}\n{code.rstrip(chr(10))}\n{fence}\n"


def indent(text: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(keepends=True))


def md_escape(text: str) -> str:
    """Plain text made safe as inline Markdown: no markup, no raw HTML."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_PUNCT.sub(r"\\\1", " ".join(text.split()))


def docs_href(docs: str, page_path: str, pages: Collection[str] | None = None) -> str | None:
    """The link from ``page_path`` to a snippet's docs: an https URL as is, a site page relative.

    ``aiart/img2video.md``, ``/aiart/img2video/`` and ``aiart/img2video.md#usage`` all name the
    page ``aiart/img2video.md`` (or ``aiart/img2video/index.md``); the link is relative to the
    current page so it works under any site URL prefix. None when the docs page is this page.
    Raises ``ValueError`` when ``pages`` is given and no page matches.
    """
    docs = docs.strip()
    if re.match(r"https?://", docs, re.I):
        return _url_quote(docs)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", docs):
        raise ValueError(f"docs link {docs!r} is neither an https URL nor a page of this site")
    target, _, fragment = docs.partition("#")
    target = posixpath.normpath(target.lstrip("/")) if target.strip("/") else ""
    if target.startswith("../") or target == "..":
        raise ValueError(f"docs link {docs!r} leaves the docs folder")
    if target in ("", "."):
        candidates = ["index.md", "README.md"]
    elif target.endswith(".md"):
        candidates = [target]
    else:
        stem = target.removesuffix(".html").removesuffix("/index")
        candidates = [f"{stem}.md", f"{stem}/index.md", f"{stem}/README.md"]
    if pages is not None:
        found = [c for c in candidates if c in pages]
        if not found:
            close = difflib.get_close_matches(candidates[0], list(pages), n=1)
            raise ValueError(
                f"docs link {docs!r} names no page of the site"
                + (f" (did you mean {close[0]!r}?)" if close else "")
            )
        chosen = found[0]
    else:
        chosen = candidates[0]
    anchor = f"#{fragment}" if fragment else ""
    if chosen == page_path:
        return anchor or None
    return _url_quote(posixpath.relpath(chosen, posixpath.dirname(page_path) or ".") + anchor)


def _url_quote(url: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in " ()<>\"'`" else c for c in url)
