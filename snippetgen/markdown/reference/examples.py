"""The examples of an operation: every documented status, every named example of it (a job's
phases, the finished one marked), event streams as ``data:`` lines, as highlighted code blocks.

What is shown is what the mock would serve: the spec's own examples first (a poll's last
``x-mock.job-poll`` phase is the finished job), a stream's ``x-mock.stream`` sequence, else a value
built from the schema by the mock's own sampler. A shared error example that names a request field
this operation never sends (a GET's 400 talking about ``model``) is replaced by the API's
``x-mock.error`` body with a message about a field the operation does have.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

from ...mock.samples import sample
from ...spec.assumed import reason_of
from ...spec.model import Operation, SpecSet
from ..inert import inert
from .common import assumed_badge, esc, mapping

SSE = "text/event-stream"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class ExampleBlock:
    label: str
    """HTML: ``200`` and the example's name or summary."""
    body: str
    """The code text."""
    lexer: str
    """``json``, ``text`` or ``bash``."""
    note: str = ""
    """HTML shown under the label (the finished state of a job, generated from the schema...)."""


def code_block(text: str, lexer: str) -> str:
    """Highlighted code as Material renders a fenced block (its copy button included)."""
    try:
        tokens = get_lexer_by_name(lexer)
    except ClassNotFound:  # an unknown lexer: plain text
        tokens = get_lexer_by_name("text")
    inner = highlight(text, tokens, HtmlFormatter(nowrap=True))
    # pygments escapes <, > and &; the inert pass keeps a second Markdown run from reading the text
    inner = inert(inner).rstrip("\n").replace("\n", "&#10;")
    return f'<div class="language-{esc(lexer)} highlight"><pre><span></span><code>{inner}</code></pre></div>'


def request_examples(op: Operation) -> list[ExampleBlock]:
    """The request body examples of the spec (each named one), beside the fields."""
    body = mapping(op.raw.get("requestBody"))
    content = mapping(body.get("content"))
    media_type = op.request_content_type or next(iter(content), "")
    media = mapping(content.get(media_type))
    out = []
    for name, value, summary, reason in _named(media):
        label = f"Request body · {esc(summary or name)}" if name else "Request body"
        if reason:
            label += " " + assumed_badge(reason)
        out.append(ExampleBlock(label, *_render(value, media_type)))
    return out


def response_examples(op: Operation, specs: SpecSet | None) -> list[ExampleBlock]:
    """One block per documented status and named example, in the spec's order."""
    api = specs.apis.get(op.api) if specs is not None else None
    document = getattr(api, "document", {}) or {}
    x = mapping(op.raw.get("x-mock"))
    poll = mapping(x.get("job-poll"))
    phases = [p for p in poll.get("phases") or [] if isinstance(p, dict)]
    finished = phases[-1] if phases else None
    out: list[ExampleBlock] = []
    for status, response in mapping(op.raw.get("responses")).items():
        if not isinstance(response, dict):
            continue
        content = mapping(response.get("content"))
        if not content:
            out.append(ExampleBlock(f"{esc(status)} · no body", "", "text"))
            continue
        media_type = next(iter(content))
        media = mapping(content[media_type])
        base = media_type.split(";")[0].strip().lower()
        label = f"{esc(status)} · <code>{esc(base)}</code>"
        if base == SSE:
            out.append(
                ExampleBlock(label, _stream_text(x, media), "text", "one <code>data:</code> line per event")
            )
            continue
        if not _textual(base):
            out.append(ExampleBlock(label, f"({base} bytes: the file itself, not text)", "text"))
            continue
        named = _named(media)
        if not named:
            value = sample(media.get("schema") or {})
            out.append(ExampleBlock(label, *_render(value, base), note="built from the schema"))
            continue
        if str(status) in ("400", "422") and not _fits(op, specs, named[0][1]):
            value = _error_body(document, op, str(status), named[0][1])
            out.append(ExampleBlock(label, *_render(value, base)))
            continue
        for name, value, summary, reason in named:
            head = label + (f" · {esc(summary or name)}" if name and len(named) > 1 else "")
            if reason:
                head += " " + assumed_badge(reason)
            note = ""
            if finished is not None and str(finished.get("status")) == str(status):
                if name == finished.get("example") and len(phases) > 1:
                    note = "the final state of the job"
                elif name and any(p.get("example") == name for p in phases):
                    note = "while the job runs"
            out.append(ExampleBlock(head, *_render(value, base), note=note))
    return out


def _named(media: dict) -> list[tuple[str, Any, str, str]]:
    """(name, value, summary, assumed reason) of each example of a media type; the name is '' for
    a lone ``example``."""
    examples = media.get("examples")
    if isinstance(examples, dict) and examples:
        out = []
        for name, item in examples.items():
            if isinstance(item, dict) and "value" in item:
                out.append((str(name), item["value"], str(item.get("summary") or ""), reason_of(item) or ""))
        if out:
            return out
    if "example" in media:
        return [("", media["example"], "", "")]
    schema = mapping(media.get("schema"))
    if "example" in schema:
        return [("", schema["example"], "", "")]
    return []


def _textual(media_type: str) -> bool:
    return media_type.endswith("json") or media_type.startswith("text/") or media_type.endswith("xml")


def _render(value: Any, media_type: str) -> tuple[str, str]:
    if isinstance(value, str) and "json" not in media_type:
        return value, "text"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value, "text"
    return json.dumps(value, ensure_ascii=False, indent=2), "json"


def _stream_text(x: dict, media: dict) -> str:
    """An event stream as the wire carries it: ``data: {...}`` per event, a blank line between."""
    stream = mapping(x.get("stream"))
    sequences = mapping(stream.get("sequences"))
    default = stream.get("default")
    events = sequences.get(default) if isinstance(default, str) else None
    if events is None and sequences:
        events = next(iter(sequences.values()))
    if not isinstance(events, list):
        named = _named(media)
        value = named[0][1] if named else None
        if isinstance(value, dict) and "data" in value:
            events = [value["data"]]
        elif isinstance(value, list):
            events = value
        else:
            events = [value] if value is not None else []
    lines = []
    for event in events:
        text = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
        lines.append(f"data: {text}")
    return "\n\n".join(lines)


def _fits(op: Operation, specs: SpecSet | None, value: Any) -> bool:
    """False when an error example names a request field of another operation of the API that this
    one never sends (the shared 400 of a GET talking about ``model``)."""
    if specs is None or op.api not in specs.apis:
        return True
    own = set(op.request_fields())
    others: set[str] = set()
    for other in specs.apis[op.api].operations:
        if other is not op:
            others.update(other.request_fields())
    foreign = others - own
    text = json.dumps(value, ensure_ascii=False)
    return not any(word in foreign for word in _WORD.findall(text))


def _error_body(document: dict, op: Operation, status: str, fallback: Any) -> Any:
    """The API's ``x-mock.error`` body (else the example itself, its message replaced) with a
    message about this operation's own first required field."""
    fields = op.request_fields()
    required = [n for n in fields if n in op.required_fields()] or list(fields)
    subject = f"{required[0]} is missing or invalid" if required else "the request is malformed"
    template = mapping(mapping(document.get("x-mock")).get("error")).get("body")
    if template is not None:
        return _fill(template, subject, status)
    if isinstance(fallback, dict):
        key = next((k for k in ("message", "detail", "error") if isinstance(fallback.get(k), str)), None)
        if key:
            return {**fallback, key: subject}
    return fallback


def _fill(template: Any, message: str, status: str) -> Any:
    if isinstance(template, str):
        return template.replace("{message}", message).replace("{status}", status)
    if isinstance(template, list):
        return [_fill(v, message, status) for v in template]
    if isinstance(template, dict):
        return {k: _fill(v, message, status) for k, v in template.items()}
    return template


def blocks_html(blocks: list[ExampleBlock]) -> str:
    out = []
    for block in blocks:
        note = f' <span class="sg-example-note">{block.note}</span>' if block.note else ""
        body = code_block(block.body, block.lexer) if block.body else ""
        out.append(f'<div class="sg-example"><p class="sg-example-label">{block.label}{note}</p>{body}</div>')
    return "".join(out)
