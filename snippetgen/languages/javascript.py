"""JavaScript examples (Node 18+): ``js.jinja``, syntax-checked in one batched node process.

node's ``fetch`` ignores proxy variables, so the sandbox preloads ``runtime/guard.cjs`` (the egress
guard) into every node process with ``NODE_OPTIONS``.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..scaffold.common import lit, path_lit, path_local, segments, static
from ..scaffold.plan import Field, Plan, Poll, camel
from . import Language, SyntaxIssue

_NODE_FLAGS = ["--experimental-vm-modules", "--no-warnings"]
RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
_CHECKER = RUNTIME / "js_check.cjs"


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


def environment() -> dict[str, str]:
    """The egress guard, preloaded into every node process; no experimental-feature warnings."""
    return {"NODE_OPTIONS": f"--require {RUNTIME / 'guard.cjs'}", "NODE_NO_WARNINGS": "1"}


# --- scaffold: the code `snippetgen new` writes --------------------------------------------------


_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _js_key(name: str) -> str:
    return name if _IDENT.match(name) else json.dumps(static(name), ensure_ascii=False)


def _js_url(plan: Plan, path: str, poll: Poll | None = None) -> str:
    parts = "".join(
        static(t.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${"))
        if kind == "text"
        else "${" + camel(path_local(poll, t)) + "}"
        for kind, t in segments(path)
    )
    return f"`${{baseUrl}}{parts}`"


def _js_headers(plan: Plan, json_body: bool, extra: str = "") -> list[str]:
    items = []
    if plan.auth is not None:
        kind, header = plan.auth
        if kind == "bearer":
            items.append(f"{_js_key(header)}: `Bearer ${{apiKey}}`")
        elif kind == "header":
            items.append(f"{_js_key(header)}: apiKey")
        elif kind == "cookie":
            cookie = static(header).replace("`", "\\`").replace("${", "\\${")
            items.append(f"Cookie: `{cookie}=${{apiKey}}`")
        elif kind == "basic":
            items.append(
                'Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`'
            )
    if json_body:
        items.append('"Content-Type": "application/json"')
    if extra:
        items.append(extra)
    return items


def _js_request(
    plan: Plan,
    fields: list[Field],
    method: str,
    url: str,
    *,
    body: str | None,
    target: str = "response",
    url_var: str = "url",
    header_extra: str = "",
    query_extra: Sequence[str] = (),
    accept: str = "",
) -> list[str]:
    out: list[str] = []
    query = [f for f in fields if f.where == "query"]
    auth_query = plan.auth is not None and plan.auth[0] == "query"
    if query or query_extra or auth_query:
        out.append(f"const {url_var} = new URL({url});")
        for line in query_extra:
            out.append(line)
        if auth_query and plan.auth is not None:
            out.append(f"{url_var}.searchParams.set({json.dumps(static(plan.auth[1]))}, apiKey);")
        for f in query:
            if isinstance(f.value, list):
                out.append(
                    f"for (const value of {lit(f)}) {url_var}.searchParams.append("
                    f"{json.dumps(static(f.name))}, value);"
                )
            else:
                name = json.dumps(static(f.name))
                out.append(f"{url_var}.searchParams.set({name}, {lit(f, text=True)});")
        url = url_var
    if body == "multipart":
        out.append("const form = new FormData();")
        for f in fields:
            if f.where == "file":
                out.append(
                    f"form.append({json.dumps(static(f.name))}, new Blob([await readFile("
                    f"{json.dumps(static(f.filename))})], {{ type: {json.dumps(static(f.content_type))} }}), "
                    f"{json.dumps(static(f.filename))});"
                )
            elif f.where == "body":
                out.append(f"form.append({json.dumps(static(f.name))}, {lit(f, text=True)});")
    elif body == "form":
        out.append("const form = new URLSearchParams();")
        for f in fields:
            if f.where != "body":
                continue
            name = json.dumps(static(f.name))
            if isinstance(f.value, list):
                out.append(f"for (const value of {lit(f)}) form.append({name}, value);")
            else:
                out.append(f"form.append({name}, {lit(f, text=True)});")
    uploads = [f for f in fields if f.where == "upload"] if body == "binary" else []
    if accept:
        header_extra = ", ".join(x for x in (header_extra, f"Accept: {json.dumps(static(accept))}") if x)
    if uploads:
        ctype = json.dumps(static(uploads[0].content_type))
        header_extra = ", ".join(x for x in (header_extra, f'"Content-Type": {ctype}') if x)
    options = []
    if method != "GET":
        options.append(f'method: "{method}",')
    headers = _js_headers(plan, body == "json", header_extra)
    if headers:
        options += ["headers: {", *[f"  {h}," for h in headers], "},"]
    document = [f for f in fields if f.where == "document"]
    if body == "json" and document:
        options.append(f"body: JSON.stringify({lit(document[0])}),")
    elif body == "json":
        options += [
            "body: JSON.stringify({",
            *[f"  {_js_key(f.name)}: {lit(f)}," for f in fields if f.where == "body"],
            "}),",
        ]
    elif body in ("multipart", "form"):
        options.append("body: form,")
    elif uploads:
        options.append(f"body: await readFile({json.dumps(uploads[0].filename)}),")
    if options:
        out += [f"const {target} = await fetch({url}, {{", *[f"  {o}" for o in options], "});"]
    else:
        out.append(f"const {target} = await fetch({url});")
    return out


def _js_fail(what: str, target: str = "response", indent: str = "") -> list[str]:
    return [
        f"{indent}if (!{target}.ok) {{",
        f"{indent}  console.error(`{what} failed (${{{target}.status}}): ${{await {target}.text()}}`);",
        f"{indent}  process.exit(1);",
        f"{indent}}}",
    ]


def scaffold(plan: Plan) -> list[str]:
    """An ES module with top-level ``await`` and the global ``fetch``; ``process.exit(1)`` on failure."""
    r, poll = plan.request, plan.poll
    fs = [
        name
        for name, used in (
            ("readFile", r.body in ("multipart", "binary")),
            ("writeFile", r.response == "binary"),
        )
        if used
    ]
    out = [f'import {{ {", ".join(fs)} }} from "node:fs/promises";', ""] if fs else []
    out.append("const baseUrl = {{ baseUrl | lit }};")
    if plan.auth is not None:  # a missing key stops with one line naming its variable
        names = ["username", "password"] if plan.auth[0] == "basic" else ["apiKey"]
        for name in names:
            var = {"username": "usernameEnv", "password": "passwordEnv"}.get(name, "apiKeyEnv")
            what = {"username": "API user name", "password": "API password"}.get(name, "API key")
            out += [
                f"const {name} = process.env[{{{{ {var} | lit }}}}];",
                f"if (!{name}) {{",
                f'  console.error({{{{ ("Set " ~ {var} ~ " to your {what}.") | lit }}}});',
                "  process.exit(1);",
                "}",
            ]
    if poll is not None:
        out += [
            "const pollInterval = {{ pollInterval | lit }}; // seconds between two polls",
            "const pollTimeout = {{ pollTimeout | lit }}; // give up after this many seconds",
        ]
    for f in r.of("path"):
        out.append(f"const {camel(path_local(None, f.name))} = {path_lit(f)};")
    out.append("")
    out += _js_request(plan, r.fields, r.op.method, _js_url(plan, r.op.path), body=r.body, accept=r.accept)
    out += _js_fail("Request")
    if poll is not None:
        return out + _js_poll(plan, poll)
    if r.response == "sse":
        out += [
            "const decoder = new TextDecoder();",
            'let buffer = "";',
            "for await (const chunk of response.body) {",
            "  buffer += decoder.decode(chunk, { stream: true });",
            '  const lines = buffer.split("\\n");',
            "  buffer = lines.pop();",
            "  for (const line of lines) {",
            '    if (line.startsWith("data:")) console.log(line.slice("data:".length).trim());',
            "  }",
            "}",
        ]
    elif r.response == "json":
        out.append("console.log(JSON.stringify(await response.json(), null, 2));")
    elif r.response == "text":
        out.append("console.log(await response.text());")
    elif r.response == "binary":
        name = json.dumps(r.output_file or "output.bin")
        out += [
            f"await writeFile({name}, Buffer.from(await response.arrayBuffer()));",
            f'console.log("Saved", {name});',
        ]
    else:
        out.append('console.log("Done:", response.status);')
    return out


def _js_poll(plan: Plan, poll: Poll) -> list[str]:
    local = camel(poll.local)
    access = "created" + "".join(
        f"[{p}]" if isinstance(p, int) else (f".{p}" if _IDENT.match(p) else f"[{json.dumps(static(p))}]")
        for p in poll.id_pointer
    )
    out = [
        "const created = await response.json();",
        f"const {local} = {access};",
        f"console.log(`Started job ${{{local}}}`);",
        "",
    ]
    query_extra = (
        [f"pollUrl.searchParams.set({json.dumps(static(poll.param))}, {local});"]
        if poll.param_in == "query"
        else []
    )
    header_extra = f"{_js_key(poll.param)}: {local}" if poll.param_in == "header" else ""
    request = _js_request(
        plan,
        [f for f in poll.extra if f.var],
        "GET",
        _js_url(plan, poll.op.path, poll),
        body=None,
        target="poll",
        url_var="pollUrl",
        header_extra=header_extra,
        query_extra=query_extra,
    )
    setup = [
        line
        for line in request
        if not line.startswith("const poll =") and not line.startswith("  ") and line != "});"
    ]
    fetch = request[len(setup) :]
    out += setup
    out += ["const deadline = Date.now() + pollTimeout * 1000;", "let job;", "while (true) {"]
    out += ["  " + line for line in fetch]
    out += _js_fail("Polling", "poll", "  ")
    out.append("  job = await poll.json();")
    if poll.status_field:
        field = poll.status_field
        status = f"job.{field}" if _IDENT.match(field) else f"job[{json.dumps(static(field))}]"
        out += [f"  console.log(`Status: ${{{status}}}`);", f"  if ({_js_in(poll.done, status)}) break;"]
        if poll.failed:
            out += [
                f"  if ({_js_in(poll.failed, status)}) {{",
                "    console.error(`The job failed: ${JSON.stringify(job)}`);",
                "    process.exit(1);",
                "  }",
            ]
        out += [
            "  if (Date.now() > deadline) {",
            f"    console.error(`Gave up after ${{pollTimeout}} seconds; the job is still ${{{status}}}`);",
            "    process.exit(1);",
            "  }",
            "  await new Promise((resolve) => setTimeout(resolve, pollInterval * 1000));",
        ]
    else:
        out.append("  break;")
    out += ["}", "console.log(JSON.stringify(job, null, 2));"]
    return out


def _js_in(values: list[str], expr: str) -> str:
    if len(values) == 1:
        return f"{expr} === {json.dumps(static(values[0]))}"
    return "[" + ", ".join(json.dumps(static(v)) for v in values) + f"].includes({expr})"


LANGUAGE = Language(
    id="js",
    label="JavaScript",
    lexer="javascript",
    extension=".js",
    literal=literal,
    check_many=check_many,
    command=command,
    file_name=lambda source: "example.mjs" if _is_module(source) else "example.cjs",
    fences=("javascript", "js", "node", "mjs"),
    environment=environment,
    scaffold=scaffold,
)
