"""Examples status: every operation x language, coloured by how its examples fared in the last run.

The proof made visible. :func:`compute` joins the workspace (which examples exist: what
``runner.collect`` would run, and which operations their snippets call) with the execution record
(:mod:`snippetgen.record`: what the last test run did). Each example is ``passed``, ``cached``
(passed earlier, nothing it depends on changed since), ``failed``, ``changed`` (passed, but a file
it is rendered from changed after the run), ``not run`` or ``skipped`` (its config skips its test);
a cell takes its worst example's state, ``no example`` when no snippet calls the operation in that
language. The same :class:`Status` is written as JSON, Markdown (a CI job summary, the site's
page) or a standalone HTML page. Pure: no host imported; links are computed by the caller's rule.
"""

from __future__ import annotations

import html
import json
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..languages import get_language, language_ids
from ..markdown.tabs import example_anchor
from ..record import Run, record_time
from ..runner.collect import Example, collect_examples
from ..workspace import Workspace, page_prefix

STATES = ("failed", "changed", "not run", "cached", "passed", "skipped", "no example")
"""Worst first: a cell shows the worst state among its examples (a deliberately skipped example
never hides one that ran)."""

COLOURS = {
    "passed": "#1a7f37",
    "cached": "#2f6f9f",
    "failed": "#cf222e",
    "changed": "#9a6700",
    "not run": "#6e7781",
    "skipped": "#6e7781",
    "no example": "#afb8c1",
}

SYMBOLS = {
    "passed": "✅",
    "cached": "♻️",
    "failed": "❌",
    "changed": "⚠️",
    "not run": "⏸️",
    "skipped": "⏭️",
    "no example": "·",
}


@dataclass(frozen=True)
class ExampleStatus:
    """One example (a usage in one language) and its state in the last run."""

    id: str
    snippet: str
    lang: str
    path: str
    """Project-relative page or config.json the example comes from."""
    line: int
    page: str | None
    """The docs page (relative to the docs folder) when the example is a page embed."""
    state: str
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "snippet": self.snippet,
            "lang": self.lang,
            "path": self.path,
            "line": self.line,
            "page": self.page,
            "state": self.state,
            **({"why": self.why} if self.why else {}),
        }


@dataclass
class Cell:
    examples: list[ExampleStatus] = field(default_factory=list)

    @property
    def state(self) -> str:
        if not self.examples:
            return "no example"
        return min((e.state for e in self.examples), key=STATES.index)


@dataclass(frozen=True)
class ApiVersion:
    name: str
    title: str
    version: str
    digest: str
    """The first 12 hex digits of the spec file's content hash."""


@dataclass
class Status:
    langs: list[str]
    apis: dict[str, ApiVersion]
    rows: dict[str, dict[str, Cell]]
    """Operation ref (``api:operationId``) -> language -> cell, in spec order."""
    summaries: dict[str, str]
    """Operation ref -> its one-line summary (``POST /images``)."""
    record: str | None
    """When the last run wrote its record (ISO 8601), None when there is none."""

    def counts(self) -> dict[str, int]:
        """Examples per state (each example once, even when it calls several operations)."""
        seen: dict[str, str] = {}
        for row in self.rows.values():
            for cell in row.values():
                for e in cell.examples:
                    seen[e.id] = e.state
        out = {state: 0 for state in STATES if state != "no example"}
        for state in seen.values():
            out[state] += 1
        return out

    def summary(self) -> str:
        counts = self.counts()
        total = sum(counts.values())
        parts = [f"{n} {state}" for state, n in counts.items() if n]
        when = f"last run {self.record}" if self.record else "no test run recorded yet"
        return f"{total} examples: " + (", ".join(parts) if parts else "none") + f" ({when})"


# --- computing -----------------------------------------------------------------------------


def compute(ws: Workspace, runs: dict[str, Run]) -> Status:
    langs = language_ids()
    rows: dict[str, dict[str, Cell]] = {}
    summaries: dict[str, str] = {}
    apis: dict[str, ApiVersion] = {}
    if ws.specs is not None:
        for name, api in sorted(ws.specs.apis.items()):
            info = api.document.get("info") if isinstance(api.document, dict) else None
            info = info if isinstance(info, dict) else {}
            apis[name] = ApiVersion(
                name,
                str(info.get("title") or name),
                str(info.get("version") or "?"),
                api.digest.rpartition(":")[2][:12],
            )
        for op in ws.specs.operations():
            rows[op.ref] = {lang: Cell() for lang in langs}
            summaries[op.ref] = f"{op.method} {op.path}"
    prefix = page_prefix(ws.project)
    for example in collect_examples(ws):
        snippet = example.snippet
        declared = snippet.operations if snippet is not None else list(example.operations)
        if not declared:
            continue  # a hand-written code block that names no operation
        label = snippet.key if snippet is not None else example.usage.rsplit("::", 1)[-1]
        state, why = _state(ws, example, runs.get(example.id), declared)
        page = (
            example.page[len(prefix) :]
            if example.page.startswith(prefix) and example.page.endswith(".md")
            else None
        )
        status = ExampleStatus(
            example.id, label, example.lang, example.page, example.location.line, page, state, why
        )
        run = runs.get(example.id)
        called = set(run.operations) if run is not None else set()
        for ref in declared:
            resolved = ws.specs.resolve(ref) if ws.specs is not None else None
            if resolved is not None:
                called.add(resolved.ref)
        for ref in sorted(called):
            cell = rows.get(ref, {}).get(example.lang)
            if cell is not None:
                cell.examples.append(status)
    return Status(langs, apis, rows, summaries, record_time(runs))


def _state(ws: Workspace, example: Example, run: Run | None, declared: list[str]) -> tuple[str, str]:
    snippet = example.snippet
    if run is None:
        skip = snippet.test.get("skip") if snippet is not None else None
        if skip:
            return "skipped", f"its config skips its test: {skip}"
        return "not run", "not in the last test run"
    if not run.passed:
        return "failed", f"failed in the run of {run.time}"
    changed = _changed_since(ws, example, run.mtime, declared)
    if changed:
        return "changed", f"{changed} changed after the run of {run.time}"
    return ("cached" if run.cached else "passed"), f"run of {run.time}"


def _changed_since(ws: Workspace, example: Example, mtime: float, declared: list[str]) -> str | None:
    """A file the example is made from that changed after its run: the snippet's config and
    template, or for an example without one (a minimal request, made from the spec) the specs of
    the operations it calls; and its page."""
    snippet = example.snippet
    files: list[Path] = []
    if snippet is not None:
        files.append(snippet.config_path)
        if example.lang in snippet.templates:
            files.append(snippet.templates[example.lang].path)
    elif ws.specs is not None:
        for ref in declared:
            op = ws.specs.resolve(ref)
            if op is not None:
                files.append(ws.specs.apis[op.api].path)
    if example.page.endswith(".md"):
        files.append(Path(example.page))
    for rel in files:
        path = rel if rel.is_absolute() else ws.project.root / rel
        try:
            if path.stat().st_mtime > mtime:
                return ws.project.rel(path)
        except OSError:
            continue
    return None


# --- writing -------------------------------------------------------------------------------


def to_json(status: Status) -> str:
    return json.dumps(
        {
            "record": status.record,
            "counts": status.counts(),
            "apis": {
                a.name: {"title": a.title, "version": a.version, "digest": a.digest}
                for a in status.apis.values()
            },
            "operations": {
                ref: {
                    lang: {"state": cell.state, "examples": [e.as_dict() for e in cell.examples]}
                    for lang, cell in row.items()
                }
                for ref, row in status.rows.items()
            },
        },
        indent=1,
        ensure_ascii=False,
    )


Link = Callable[[ExampleStatus], "str | None"]
"""Where an example's link points (None: no link)."""


def _md_text(text: str) -> str:
    """Plain text safe in a Markdown table cell (no markup, no raw HTML, no cell break)."""
    out = html.escape(" ".join(text.split()), quote=True)
    for ch in "\\`*_[]|#<>!":
        out = out.replace(ch, "\\" + ch)
    return out


def to_markdown(status: Status, link: Link | None = None, *, html_states: bool = False) -> str:
    """A Markdown table per API: operation rows, a column per language.

    ``link`` turns an example into a URL (the site: a relative page link with the embed's anchor;
    a CI summary: none). ``html_states`` colours the states with ``<span class="sg-state ...">``
    (for the site, whose stylesheet has the colours); otherwise a symbol says the state.
    """
    labels = [get_language(lang).label for lang in status.langs]
    out = [f"{status.summary()}.", ""]
    legend = ", ".join(f"{SYMBOLS[s]} {s}" for s in STATES)
    if not html_states:
        out += [f"Legend: {legend}.", ""]
    by_api: dict[str, list[str]] = {}
    for ref in status.rows:
        by_api.setdefault(ref.split(":", 1)[0], []).append(ref)
    for name, refs in by_api.items():
        api = status.apis.get(name)
        head = f"### {_md_text(api.title if api else name)}"
        if api is not None:
            head += f" (`{name}`, version {_md_text(api.version)}, spec `{api.digest}`)"
        out += [head, "", "| Operation | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
        for ref in refs:
            cells = [_cell_md(status.rows[ref][lang], link, html_states) for lang in status.langs]
            op = f"`{ref.split(':', 1)[1]}`<br>{_md_text(status.summaries.get(ref, ''))}"
            out.append(f"| {op} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _cell_md(cell: Cell, link: Link | None, html_states: bool) -> str:
    state = cell.state
    if html_states:
        head = f'<span class="sg-state sg-state-{state.replace(" ", "-")}">{state}</span>'
    else:
        head = f"{SYMBOLS[state]} {state}"
    parts = [head]
    for where, examples in _by_place(cell.examples).items():
        marks = []
        for e in examples:
            target = link(e) if link is not None else None
            text = f"{e.line}" if e.page else e.lang
            text = f"[{text}]({target})" if target else text
            marks.append(text + ("" if e.state == state else f" ({e.state})"))
        parts.append(f"{_md_text(where)}: " + ", ".join(marks))
    return "<br>".join(parts)


def _by_place(examples: list[ExampleStatus]) -> dict[str, list[ExampleStatus]]:
    """Examples grouped by page (docs-relative), or by snippet for those no page embeds."""
    out: dict[str, list[ExampleStatus]] = {}
    for e in examples:
        out.setdefault(e.page or e.snippet, []).append(e)
    return out


def to_html(status: Status, link: Link | None = None) -> str:
    """A standalone HTML page (inline style, no script), e.g. a CI artefact."""
    labels = [get_language(lang).label for lang in status.langs]
    esc = html.escape
    rows: list[str] = []
    by_api: dict[str, list[str]] = {}
    for ref in status.rows:
        by_api.setdefault(ref.split(":", 1)[0], []).append(ref)
    for name, refs in by_api.items():
        api = status.apis.get(name)
        title = esc(api.title if api else name)
        meta = (
            f" <small>{esc(name)} · version {esc(api.version)} · spec {esc(api.digest)}</small>"
            if api
            else ""
        )
        rows.append(f"<h2>{title}{meta}</h2>")
        rows.append("<table><thead><tr><th>Operation</th>" + "".join(f"<th>{esc(x)}</th>" for x in labels))
        rows.append("</tr></thead><tbody>")
        for ref in refs:
            tds = []
            for lang in status.langs:
                cell = status.rows[ref][lang]
                items = []
                for where, examples in _by_place(cell.examples).items():
                    marks = []
                    for e in examples:
                        target = link(e) if link is not None else None
                        label = esc(str(e.line) if e.page else e.lang)
                        text = f'<a href="{esc(target)}">{label}</a>' if target else label
                        state = "" if e.state == cell.state else f" <em>{esc(e.state)}</em>"
                        marks.append(f'<span title="{esc(e.why)}">{text}{state}</span>')
                    items.append(f"<li>{esc(where)}: {', '.join(marks)}</li>")
                colour = COLOURS[cell.state]
                tds.append(
                    f'<td style="border-left:4px solid {colour}"><b style="color:{colour}">{esc(cell.state)}</b>'
                    + (f"<ul>{''.join(items)}</ul>" if items else "")
                    + "</td>"
                )
            op = f"<code>{esc(ref)}</code><br><small>{esc(status.summaries.get(ref, ''))}</small>"
            rows.append(f"<tr><td>{op}</td>{''.join(tds)}</tr>")
        rows.append("</tbody></table>")
    style = (
        "body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1f2328}"
        "table{border-collapse:collapse;width:100%;margin-bottom:2rem}"
        "th,td{border:1px solid #d0d7de;padding:.4rem .6rem;vertical-align:top;text-align:left}"
        "ul{margin:.2rem 0 0;padding-left:1.1rem}small{color:#57606a}"
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Examples status</title><style>{style}</style></head><body>"
        f"<h1>Examples status</h1><p>{esc(status.summary())}.</p>" + "".join(rows) + "</body></html>\n"
    )


def site_link(from_page: str) -> Link:
    """Links from the site page ``from_page`` (docs-relative) to each embed, as Markdown page links."""
    base = posixpath.dirname(from_page) or "."

    def link(e: ExampleStatus) -> str | None:
        if e.page is None:
            return None
        return posixpath.relpath(e.page, base) + "#" + example_anchor(e.line)

    return link


def site_page(status: Status, page: str = "examples-status.md") -> str:
    """The site's "Examples status" page (Markdown for MkDocs)."""
    intro = (
        "# Examples status\n\n"
        "Every operation of the APIs documented here, in every language, and how its examples fared "
        "when the test suite last ran them against the mock built from the spec. A cell links to each "
        "example on its page. *Cached* examples passed in an earlier run and nothing they depend on "
        "(code, settings, specs, runtimes) changed since; *changed* ones passed, but a file they are "
        "rendered from changed after that run.\n\n"
    )
    if status.record is None:
        intro += (
            '!!! note "No test run recorded"\n    This site was built without a test run: run '
            "`pytest` before `snippetgen build` to fill this page.\n\n"
        )
    return intro + to_markdown(status, site_link(page), html_states=True)


def write(status: Status, fmt: str) -> str:
    if fmt == "json":
        return to_json(status)
    if fmt == "markdown":
        return "## Examples status\n\n" + to_markdown(status)
    if fmt == "html":
        return to_html(status)
    raise ValueError(f"unknown format {fmt!r}")
