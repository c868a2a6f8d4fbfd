"""The "Response" block under an example: what it received when it ran against the mock.

The pytest plugin writes the execution record (``.snippetgen/runs/*.json``, see
:func:`snippetgen.runner.run.write_record`); each row holds the answers one example received and the
digest of the code a page shows for it. A page shows the answers of an embed when one of its
languages has a passing row whose digest matches the code rendered now, and no spec changed after
the record was written; otherwise it shows nothing (a stale answer would be a claim nobody proved).
"""

from __future__ import annotations

import datetime
import html
import json
import threading
from typing import Any

from ..languages import get_language
from ..model import Embed, Snippet
from ..project import Project
from ..proven import MAX_CALLS, code_digest
from ..record import Run, read_runs, runs_dir
from ..secrets import mask
from ..workspace import Workspace
from .inert import inert

BLOCK_CLASS = "snippetgen-proven"
MAX_BODY = 20_000
"""Characters of one answer a page shows (the record is untrusted input)."""


_CACHE: dict[str, tuple[tuple[tuple[str, int, int], ...], dict[str, Run]]] = {}
_LOCK = threading.Lock()


def read_rows(project: Project) -> dict[str, Run]:
    """:func:`snippetgen.record.read_runs`, read again only when a file of the record changed (a
    site build expands every page)."""
    folder = runs_dir(project)
    try:
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        signature = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    except OSError:
        return {}
    with _LOCK:
        cached = _CACHE.get(str(folder))
        if cached is not None and cached[0] == signature:
            return cached[1]
    runs = read_runs(project)
    with _LOCK:
        _CACHE[str(folder)] = (signature, runs)
    return runs


def _specs_changed_after(ws: Workspace, mtime: float) -> bool:
    folder = ws.project.specs_dir
    try:
        return any(p.stat().st_mtime > mtime for p in folder.iterdir() if p.is_file())
    except OSError:
        return False


def proven_row(ws: Workspace, usage: str, codes: dict[str, str]) -> tuple[str, Run] | None:
    """The first language (in tab order) whose row for ``usage`` proves the code shown now."""
    runs = read_rows(ws.project)
    for lang, code in codes.items():
        run = runs.get(f"{usage}::{lang}")
        if run is None or not run.passed:
            continue
        answers = run.row.get("responses")
        if not isinstance(answers, list) or not answers:
            continue
        if run.row.get("code_sha256") != code_digest(code) or _specs_changed_after(ws, run.mtime):
            continue
        return lang, run
    return None


def usage_id(snippet: Snippet, embed: Embed) -> str:
    """The runner's usage id of an embed (``runner.collect``)."""
    return f"{embed.location.path}:{embed.location.line}::{snippet.key}"


def response_block(ws: Workspace, snippet: Snippet, embed: Embed, codes: dict[str, str]) -> str:
    """The ``<details>`` block with the answers the embed received, or "" when none is proven."""
    found = proven_row(ws, usage_id(snippet, embed), codes)
    if found is None:
        return ""
    lang, row = found
    when = datetime.datetime.fromtimestamp(row.mtime, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f'<details class="{BLOCK_CLASS} success">',
        "<summary>Response</summary>",
        f'<p class="{BLOCK_CLASS}-note">What this example received from the mock server when its '
        f"{esc(get_language(lang).label)} program ran in the test run of {esc(when)}, checked against the "
        "API's schema; long values are shortened.</p>",
    ]
    for answer in row.row["responses"][:MAX_CALLS]:
        if isinstance(answer, dict) and answer.get("valid") is not False:
            parts += _answer_html(answer)
    parts.append("</details>")
    return inert(mask("\n".join(parts))) + "\n"


def _answer_html(answer: dict[str, Any]) -> list[str]:
    calls = answer.get("calls")
    repeat = f" (the last of {int(calls)} such answers)" if isinstance(calls, int) and calls > 1 else ""
    head = (
        f'<p class="{BLOCK_CLASS}-call"><code>{esc(answer.get("method"))} {esc(answer.get("path"))}</code> '
        f"→ <code>{esc(answer.get('status'))}</code>{repeat}</p>"
    )
    if "json" in answer:
        body, lexer = json.dumps(answer["json"], indent=2, ensure_ascii=False), "json"
    elif isinstance(answer.get("events"), list):
        lines = [str(e) for e in answer["events"]]
        more = answer.get("more_events")
        if isinstance(more, int) and more > 0:
            lines.append(f": … {more} more events")
        body, lexer = "\n\n".join(lines), "text"
    elif "text" in answer:
        body, lexer = str(answer["text"]), "text"
    elif "binary" in answer:
        body, lexer = str(answer["binary"]), "text"
    else:
        body, lexer = "(no body)", "text"
    if len(body) > MAX_BODY:
        body = f"{body[:MAX_BODY]}\n… ({len(body) - MAX_BODY} more characters)"
    return [head, f'<pre class="{BLOCK_CLASS}-body"><code class="language-{lexer}">{esc(body)}</code></pre>']


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))
