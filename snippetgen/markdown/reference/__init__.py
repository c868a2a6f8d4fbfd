"""The operation reference: one OpenAPI operation as a page block (``<operation data-ref=...>``).

It reads like the reference of a hosted API: the method and full URL, the description and how to
authenticate, then in two columns on a wide screen (one on a phone) the fields of the request and
of each documented response on the left, and on the right a minimal ``curl`` request generated from
the spec (run against the mock like every other example) and an example per documented status: a
job's phases with the finished one marked, a stream as its ``data:`` lines. Fields are rows that
fit a phone: name, type and whether required on one line, the description under it, constraints
in one line, nested fields indented, long enums folded. Every field has an anchor
(``#<operationId>-request-<path>``, ``#<operationId>-response-<status>-<path>``). Everything the
spec marks ``x-assumed`` carries an "Assumed" badge with its reason, listed again under the
operation.

Every text taken from a spec is untrusted: descriptions are rendered with markdown-it with raw
HTML disabled, everything else is HTML-escaped, ids are reduced to ``[a-z0-9_.-]``, and the HTML is
*inert* (the characters of Markdown's inline syntax are character references) and written as one
line, so a host that runs it through Markdown again cannot turn any of it into markup.
"""

from __future__ import annotations

from ...spec.assumed import reason_of
from ...spec.model import Operation, SpecSet
from ..inert import safe_markdown
from ..tabs import md_escape
from .cite import assumed_in
from .common import anchor, badge, code, esc, mapping
from .examples import ExampleBlock, blocks_html, code_block, request_examples, response_examples
from .fields import FieldNode, fields_html, flatten, param_fields, schema_fields, type_label
from .minimal import MinimalRequest, minimal_request

__all__ = [
    "MinimalRequest",
    "auth_html",
    "code",
    "esc",
    "minimal_request",
    "operation_markdown",
    "type_label",
]

PARAM_LOCATIONS = (
    ("path", "Path parameters"),
    ("query", "Query parameters"),
    ("header", "Headers"),
    ("cookie", "Cookies"),
)


def operation_markdown(op: Operation, specs: SpecSet | None = None, *, level: int = 3) -> str:
    """The reference of one ``spec.Operation`` as Markdown: a heading and one raw HTML block."""
    api = specs.apis.get(op.api) if specs is not None else None
    document = getattr(api, "document", {}) or {}
    base_url = (getattr(api, "base_url", "") or "").rstrip("/")
    raw = op.raw or {}
    op_id = anchor(op.operation_id)
    out: list[str] = []
    if level:
        title = op.summary or f"{op.method} {op.path}"
        out.append(f"{'#' * level} {md_escape(title)}")

    method = esc(op.method.upper())
    servers = raw.get("servers") or document.get("servers")
    server = servers[0] if isinstance(servers, list) and servers else None
    marks = [m for m in (badge(server), badge(raw)) if m]  # the host, then the operation
    head = [
        f'<p class="sg-endpoint"><span class="sg-method sg-method-{method.lower()}">{method}</span> '
        f"<code>{esc(base_url + op.path)}</code>{''.join(' ' + m for m in marks)}</p>"
    ]
    main: list[str] = []
    if raw.get("deprecated"):
        main.append('<p class="sg-deprecated"><strong>Deprecated.</strong></p>')
    if op.description:
        main.append(f'<div class="sg-description">{safe_markdown(op.description)}</div>')
    main.append(f'<p class="sg-auth"><strong>Authentication:</strong> {auth_html(raw, document)}</p>')

    request: list[str] = []
    params = [p for p in raw.get("parameters") or [] if isinstance(p, dict)]
    for where, heading in PARAM_LOCATIONS:
        group = [p for p in params if p.get("in") == where]
        if group:
            request.append(f'<p class="sg-group">{heading}</p>')
            request.append(fields_html(param_fields(group), f"{op_id}-request"))
    body = mapping(raw.get("requestBody"))
    if body:
        content = mapping(body.get("content"))
        media_type = op.request_content_type or next(iter(content), "")
        media = mapping(content.get(media_type))
        schema = flatten(media.get("schema"))
        line = f'<p class="sg-group">Body <code>{esc(media_type)}</code>'
        line += " required" if body.get("required") else " optional"
        for node in (body, media):
            line += (" " + badge(node)) if badge(node) else ""
        request.append(line + "</p>")
        for text in (body.get("description"), schema.get("description")):
            if text:
                request.append(f'<div class="sg-description">{safe_markdown(str(text))}</div>')
        nodes = schema_fields(schema)
        if nodes:
            request.append(fields_html(nodes, f"{op_id}-request"))
        elif schema:
            request.append(
                f"<p>{esc(type_label(schema))}{(' ' + badge(schema)) if badge(schema) else ''}</p>"
            )
    if request:
        main.append('<p class="sg-section">Request</p>')
        main += request

    responses = mapping(raw.get("responses"))
    if responses:
        main.append('<p class="sg-section">Responses</p>')
    for status, response in responses.items():
        if isinstance(response, dict):
            main.append(_response_html(op_id, str(status), response))

    facts = assumed_in(raw)
    if facts:
        items = "".join(
            f"<li><code>{esc(pointer or '(the operation)')}</code>: {esc(why)}</li>" for pointer, why in facts
        )
        count = len(facts)
        main.append(
            f'<details class="sg-assumed-list"><summary>{count} assumed fact{"s" if count != 1 else ""}: '
            f"what the source does not say</summary><ul>{items}</ul></details>"
        )

    side: list[str] = []
    minimal = minimal_request(op, specs, base_url or None) if specs is not None else None
    if minimal is not None:
        side.append(minimal_html(minimal))
    examples: list[ExampleBlock] = request_examples(op) + response_examples(op, specs)
    side.append(blocks_html(examples))

    block = (
        f'<div class="sg-op" id="{op_id}" data-operation="{esc(op.api)}:{esc(op.operation_id)}">'
        + "".join(head)
        + '<div class="sg-op-grid"><div class="sg-op-main">'
        + "".join(main)
        + '</div><div class="sg-op-side">'
        + "".join(side)
        + "</div></div></div>"
    )
    out.append(block)
    return "\n\n".join(out) + "\n"


def minimal_html(minimal: MinimalRequest) -> str:
    needs = ""
    if minimal.needs:
        variable, _, rest = minimal.needs.partition(": ")
        needs = f'<p class="sg-example-note sg-needs"><code>{esc(variable)}</code>: {esc(rest)}</p>'

    return (
        '<div class="sg-example sg-minimal"><p class="sg-example-label">Minimal request</p>'
        f"{code_block(minimal.shown, 'bash')}{needs}</div>"
    )


def _response_html(op_id: str, status: str, response: dict) -> str:
    ident = anchor(op_id, "response", status)
    line = f'<p class="sg-status"><a href="#{ident}"><code>{esc(status)}</code></a> '
    line += safe_markdown(str(response.get("description") or ""), inline=True)
    line += (" " + badge(response)) if badge(response) else ""
    line += "</p>"
    folded: list[tuple[str, str, str]] = []  # an error's headers and fields fold away; a success's stay open
    headers = mapping(response.get("headers"))
    if headers:
        rows = []
        for name, header in headers.items():
            header = mapping(header)
            schema = flatten(header.get("schema"))
            merged = {**schema, "description": header.get("description") or schema.get("description") or ""}
            if reason_of(header):
                merged["x-assumed"] = header["x-assumed"]
            rows.append((str(name), merged))
        nodes = [FieldNode(name, f"header.{name}", schema, "") for name, schema in rows]
        folded.append(('<p class="sg-group">Headers</p>', fields_html(nodes, ident), "headers"))
    content = mapping(response.get("content"))
    for media_type, media in content.items():
        media = mapping(media)
        schema = flatten(media.get("schema"))
        mark = badge(media)
        nodes = schema_fields(schema)
        if not nodes:
            if mark:
                line += f"<p><code>{esc(media_type)}</code> {mark}</p>"
            continue
        label = f"Fields of the <code>{esc(media_type)}</code> body{(' ' + mark) if mark else ''}"
        folded.append((f'<p class="sg-group">{label}</p>', fields_html(nodes, ident), "body fields"))
        break
    parts = [line]
    if status.startswith("2"):
        parts += [head + listed for head, listed, _ in folded]
    elif folded:
        what = " and ".join(kind for _, _, kind in folded)
        inner = "".join(head + listed for head, listed, _ in folded)
        parts.append(
            f'<details class="sg-response-fields"><summary>{what.capitalize()}</summary>{inner}</details>'
        )
    return f'<div class="sg-response" id="{ident}">{"".join(parts)}</div>'


def auth_html(raw: dict, document: dict) -> str:
    """How to authenticate, from the operation's (or the document's) security requirements."""
    security = raw.get("security", document.get("security")) or []
    requirements = [req for req in security if isinstance(req, dict)]
    named = [req for req in requirements if req]
    if not named:
        return "none"
    text = " or ".join(_schemes_html(req, document) for req in named)
    return f"optional; {text}" if len(named) < len(requirements) else text


def _schemes_html(requirement: dict, document: dict) -> str:
    schemes = mapping(mapping(document.get("components")).get("securitySchemes"))
    parts = []
    for name in requirement:
        scheme = mapping(schemes.get(name))
        kind = scheme.get("type")
        http = str(scheme.get("scheme", "")).lower()
        if kind == "http" and http == "bearer":
            text, usage = "bearer token", "<code>Authorization: Bearer &lt;key&gt;</code>"
        elif kind == "http" and http == "basic":
            text, usage = "HTTP Basic", "<code>Authorization: Basic &lt;credentials&gt;</code>"
        elif kind == "apiKey":
            where = {"header": "header", "query": "query parameter", "cookie": "cookie"}.get(
                str(scheme.get("in")), "field"
            )
            text, usage = f"API key in the {where} <code>{esc(scheme.get('name', ''))}</code>", ""
        else:
            text, usage = (esc(kind) if kind else f"<code>{esc(name)}</code>"), ""
        if scheme.get("description"):
            usage = safe_markdown(scheme["description"], inline=True)
        if usage:
            text += f": {usage}"
        parts.append(text)
    return " and ".join(parts)
