"""Untrusted prose (a spec's, a config's) as inert HTML: Markdown allowed, raw HTML shown as text.

*Inert* HTML holds no Markdown inline syntax in its text (each such character is a character
reference), so the site's own Markdown pass leaves it as it is; tags are kept.
"""

from __future__ import annotations

import functools
import re

from markdown_it import MarkdownIt


@functools.cache
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


_MARKDOWN_SYNTAX = re.compile(r"[\\`*_{}\[\]()!]")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)|([^<]+)")


def inert(fragment: str) -> str:
    """HTML whose text holds no Markdown inline syntax (each such character a character reference),
    so a second Markdown pass leaves it as it is. Tags are kept as they are."""
    return _TAG_OR_TEXT.sub(
        lambda m: m.group(1) or _MARKDOWN_SYNTAX.sub(lambda c: f"&#{ord(c.group())};", m.group(2)),
        fragment,
    )


def safe_markdown(text: str, *, inline: bool = False) -> str:
    """Untrusted prose (a spec's, a config's) as inert HTML: Markdown allowed, raw HTML shown as
    text, no unsafe links."""
    if not text or not str(text).strip():
        return ""
    text = str(text).strip()
    if inline or "\n\n" not in text and not re.search(r"^\s*(?:[-*+] |\d+[.)] |\||```|    )", text, re.M):
        return inert(_md().renderInline(" ".join(text.split()) if inline else text))
    return inert(_md().render(text).strip())
