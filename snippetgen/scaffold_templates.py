"""The code ``snippetgen new`` writes: one Jinja template per language from a :class:`scaffold.Plan`.

Each template is plain code a docs author would keep, with every value written through a literal
filter (``{{ model | lit }}``). Python uses ``requests``, JavaScript the global ``fetch`` as an ES
module with top-level ``await``, cURL plain command lines (``sed`` extracts ids, never ``jq``).
All three send the same request: the same JSON body, the same multipart fields and file types.
"""

from __future__ import annotations

import json
import re
import shlex

from .scaffold import Field, Plan, Poll, _snake, camel

HTTP_TIMEOUT = 60
STREAM_TIMEOUT = 300
_JINJA = re.compile(r"\{[{%#]|[}%#]\}")


def template(plan: Plan, lang: str) -> str:
    lines = {"py": python, "js": javascript, "curl": curl}[lang](plan)
    return "\n".join(lines).rstrip("\n") + "\n"


def _static(text: str) -> str:
    """Text taken from the spec, made inert for Jinja."""
    return "{% raw %}" + text + "{% endraw %}" if _JINJA.search(text) else text


def _value(f: Field, *, text: bool = False) -> str:
    """``{{ var | lit }}``; with ``text`` (query, form fields) non-strings travel as their JSON text."""
    if text and (isinstance(f.value, bool) or isinstance(f.value, dict | list)):
        return f"{{{{ {f.var} | json | lit }}}}"
    return f"{{{{ {f.var} | lit }}}}"


def _path_value(f: Field) -> str:
    """A path parameter's value, percent-encoded when rendered (``sku 9`` -> ``sku%209``)."""
    return f"{{{{ {f.var} | string | urlencode | replace('/', '%2F') | lit }}}}"


def _segments(path: str) -> list[tuple[str, str]]:
    """``/a/{id}/b`` -> [("text", "/a/"), ("param", "id"), ("text", "/b")]."""
    out = []
    for piece in re.split(r"(\{[^{}]+\})", path):
        if piece.startswith("{") and piece.endswith("}"):
            out.append(("param", piece[1:-1]))
        elif piece:
            out.append(("text", piece))
    return out


def _path_local(plan: Plan, poll: Poll | None, name: str, style: str) -> str:
    local = poll.local if poll is not None and name == poll.param else _snake(name)
    return camel(local) if style == "js" else local


# --- Python ----------------------------------------------------------------------------------------


def _py_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _py_url(plan: Plan, path: str, poll: Poll | None = None) -> str:
    parts = "".join(
        _static(t).replace("{", "{{").replace("}", "}}")
        if kind == "text"
        else "{" + _path_local(plan, poll, t, "py") + "}"
        for kind, t in _segments(path)
    )
    return f'f"{{BASE_URL}}{parts}"'


def _py_headers(plan: Plan, extra: str = "") -> str | None:
    items = []
    if plan.auth is not None:
        kind, header = plan.auth
        items.append(f'"{header}": f"Bearer {{API_KEY}}"' if kind == "bearer" else f'"{header}": API_KEY')
    if extra:
        items.append(extra)
    return "{" + ", ".join(items) + "}" if items else None


def _py_dict(items: list[tuple[str, str]], indent: str) -> list[str]:
    """A dict literal: inline when it holds one short entry, else one entry per line."""
    entries = [f"{_py_str(_static(k))}: {v}" for k, v in items]
    if len(entries) == 1 and len(entries[0]) < 60:
        return ["{" + entries[0] + "}"]
    return ["{", *[f"{indent}    {e}," for e in entries], f"{indent}}}"]


def _py_call(
    plan: Plan,
    fields: list[Field],
    method: str,
    url: str,
    *,
    body: str | None,
    stream: bool = False,
    header_extra: str = "",
    target: str = "response",
    query_extra: tuple[str, str] | None = None,
) -> list[str]:
    args: list[list[str]] = [[url]]
    query = [(f.name, _value(f, text=not isinstance(f.value, list))) for f in fields if f.where == "query"]
    if query_extra is not None:
        query.insert(0, query_extra)
    if query:
        args.append(["params=", *_py_dict(query, "    ")])
    headers = _py_headers(plan, header_extra)
    if headers:
        args.append([f"headers={headers}"])
    if body == "json":
        args.append(["json=", *_py_dict([(f.name, _value(f)) for f in fields if f.where == "body"], "    ")])
    elif body == "multipart":
        files = [f for f in fields if f.where == "file"]
        entries = [
            (f.name, f"({_py_str(f.filename)}, {_snake(f.name)}_file, {_py_str(f.content_type)})")
            for f in files
        ]
        args.append(["files=", *_py_dict(entries, "    ")])
        data = [(f.name, _value(f, text=True)) for f in fields if f.where == "body"]
        if data:
            args.append(["data=", *_py_dict(data, "    ")])
    if stream:
        args.append(["stream=True"])
    args.append([f"timeout={STREAM_TIMEOUT if stream else HTTP_TIMEOUT}"])
    lines = [f"{target} = requests.{method.lower()}("]
    for arg in args:
        first, *rest = arg
        if len(rest) > 1:
            lines.append(f"    {first}{rest[0]}")
            lines += rest[1:-1]
            lines.append(f"{rest[-1]},")
        else:
            lines.append(f"    {first}{''.join(rest)},")
    lines.append(")")
    files = [f for f in fields if f.where == "file"] if body == "multipart" else []
    if files:
        opens = ", ".join(f'open({_py_str(f.filename)}, "rb") as {_snake(f.name)}_file' for f in files)
        lines = [f"with {opens}:", *["    " + line for line in lines]]
    return lines


def _py_fail(what: str, target: str = "response") -> list[str]:
    return [
        f"if not {target}.ok:",
        f'    sys.exit(f"{what} failed ({{{target}.status_code}}): {{{target}.text}}")',
    ]


def python(plan: Plan) -> list[str]:
    r, poll = plan.request, plan.poll
    imports = {"sys"}
    if plan.auth is not None:
        imports.add("os")
    if r.response == "json" or poll is not None:
        imports.add("json")
    if poll is not None:
        imports.add("time")
    out = [
        *(f"import {name}" for name in sorted(imports)),
        "",
        "import requests",
        "",
        "BASE_URL = {{ baseUrl | lit }}",
    ]
    if plan.auth is not None:
        out.append("API_KEY = os.environ[{{ apiKeyEnv | lit }}]")
    if poll is not None:
        out += [
            "POLL_INTERVAL = {{ pollInterval | lit }}  # seconds between two polls",
            "POLL_TIMEOUT = {{ pollTimeout | lit }}  # give up after this many seconds",
        ]
    for f in r.of("path"):
        out.append(f"{_snake(f.name)} = {_path_value(f)}")
    out.append("")
    out += _py_call(
        plan, r.fields, r.op.method, _py_url(plan, r.op.path), body=r.body, stream=r.response == "sse"
    )
    out += _py_fail("Request")
    if poll is not None:
        return out + _py_poll(plan, poll)
    if r.response == "sse":
        out += [
            "for line in response.iter_lines(decode_unicode=True):",
            '    if line.startswith("data:"):',
            '        print(line[len("data:"):].strip())',
        ]
    elif r.response == "json":
        out.append("print(json.dumps(response.json(), indent=2))")
    elif r.response == "text":
        out.append("print(response.text)")
    elif r.response == "binary":
        name = _py_str(r.output_file or "output.bin")
        out += [
            f'with open({name}, "wb") as output:',
            "    output.write(response.content)",
            f'print("Saved", {name})',
        ]
    else:
        out.append('print("Done:", response.status_code)')
    return out


def _py_access(root: str, pointer: list[str | int]) -> str:
    return root + "".join(f"[{p}]" if isinstance(p, int) else f"[{_py_str(p)}]" for p in pointer)


def _py_poll(plan: Plan, poll: Poll) -> list[str]:
    out = [
        f"{poll.local} = {_py_access('response.json()', poll.id_pointer)}",
        f'print(f"Started job {{{poll.local}}}")',
        "",
        "deadline = time.monotonic() + POLL_TIMEOUT",
        "while True:",
    ]
    header_extra = f"{_py_str(_static(poll.param))}: {poll.local}" if poll.param_in == "header" else ""
    call = _py_call(
        plan,
        [f for f in poll.extra if f.var],
        "GET",
        _py_url(plan, poll.op.path, poll),
        body=None,
        header_extra=header_extra,
        query_extra=(poll.param, poll.local) if poll.param_in == "query" else None,
    )
    out += ["    " + line for line in call]
    out += ["    " + line for line in _py_fail("Polling")]
    out.append("    job = response.json()")
    if poll.status_field:
        out += [
            f"    status = job.get({_py_str(poll.status_field)})",
            '    print(f"Status: {status}")',
            f"    if status {_py_in(poll.done)}:",
            "        break",
        ]
        if poll.failed:
            out += [
                f"    if status {_py_in(poll.failed)}:",
                '        sys.exit(f"The job failed: {json.dumps(job)}")',
            ]
        out += [
            "    if time.monotonic() > deadline:",
            '        sys.exit(f"Gave up after {POLL_TIMEOUT} seconds; the job is still {status}")',
            "    time.sleep(POLL_INTERVAL)",
        ]
    else:
        out.append("    break")
    out += ["", "print(json.dumps(job, indent=2))"]
    return out


def _py_in(values: list[str]) -> str:
    if len(values) == 1:
        return f"== {_py_str(_static(values[0]))}"
    return "in (" + ", ".join(_py_str(_static(v)) for v in values) + ")"


# --- JavaScript ------------------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _js_key(name: str) -> str:
    return name if _IDENT.match(name) else json.dumps(_static(name), ensure_ascii=False)


def _js_url(plan: Plan, path: str, poll: Poll | None = None) -> str:
    parts = "".join(
        _static(t).replace("`", "\\`").replace("${", "\\${")
        if kind == "text"
        else "${" + _path_local(plan, poll, t, "js") + "}"
        for kind, t in _segments(path)
    )
    return f"`${{baseUrl}}{parts}`"


def _js_headers(plan: Plan, json_body: bool, extra: str = "") -> list[str]:
    items = []
    if plan.auth is not None:
        kind, header = plan.auth
        value = "`Bearer ${apiKey}`" if kind == "bearer" else "apiKey"
        items.append(f"{_js_key(header)}: {value}")
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
    query_extra: list[str] = (),
) -> list[str]:
    out: list[str] = []
    query = [f for f in fields if f.where == "query"]
    if query or query_extra:
        out.append(f"const {url_var} = new URL({url});")
        for line in query_extra:
            out.append(line)
        for f in query:
            if isinstance(f.value, list):
                out.append(
                    f"for (const value of {_value(f)}) {url_var}.searchParams.append("
                    f"{json.dumps(_static(f.name))}, value);"
                )
            else:
                name = json.dumps(_static(f.name))
                out.append(f"{url_var}.searchParams.set({name}, {_value(f, text=True)});")
        url = url_var
    if body == "multipart":
        out.append("const form = new FormData();")
        for f in fields:
            if f.where == "file":
                out.append(
                    f"form.append({json.dumps(_static(f.name))}, new Blob([await readFile("
                    f"{json.dumps(f.filename)})], {{ type: {json.dumps(f.content_type)} }}), "
                    f"{json.dumps(f.filename)});"
                )
            elif f.where == "body":
                out.append(f"form.append({json.dumps(_static(f.name))}, {_value(f, text=True)});")
    options = []
    if method != "GET":
        options.append(f'method: "{method}",')
    headers = _js_headers(plan, body == "json", header_extra)
    if headers:
        options += ["headers: {", *[f"  {h}," for h in headers], "},"]
    if body == "json":
        options += [
            "body: JSON.stringify({",
            *[f"  {_js_key(f.name)}: {_value(f)}," for f in fields if f.where == "body"],
            "}),",
        ]
    elif body == "multipart":
        options.append("body: form,")
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


def javascript(plan: Plan) -> list[str]:
    r, poll = plan.request, plan.poll
    fs = [
        name
        for name, used in (("readFile", r.body == "multipart"), ("writeFile", r.response == "binary"))
        if used
    ]
    out = [f'import {{ {", ".join(fs)} }} from "node:fs/promises";', ""] if fs else []
    out.append("const baseUrl = {{ baseUrl | lit }};")
    if plan.auth is not None:
        out.append("const apiKey = process.env[{{ apiKeyEnv | lit }}];")
    if poll is not None:
        out += [
            "const pollInterval = {{ pollInterval | lit }}; // seconds between two polls",
            "const pollTimeout = {{ pollTimeout | lit }}; // give up after this many seconds",
        ]
    for f in r.of("path"):
        out.append(f"const {camel(f.name)} = {_path_value(f)};")
    out.append("")
    out += _js_request(plan, r.fields, r.op.method, _js_url(plan, r.op.path), body=r.body)
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
        f"[{p}]" if isinstance(p, int) else (f".{p}" if _IDENT.match(p) else f"[{json.dumps(_static(p))}]")
        for p in poll.id_pointer
    )
    out = [
        "const created = await response.json();",
        f"const {local} = {access};",
        f"console.log(`Started job ${{{local}}}`);",
        "",
    ]
    query_extra = (
        [f"pollUrl.searchParams.set({json.dumps(_static(poll.param))}, {local});"]
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
        status = f"job.{field}" if _IDENT.match(field) else f"job[{json.dumps(_static(field))}]"
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
        return f"{expr} === {json.dumps(_static(values[0]))}"
    return "[" + ", ".join(json.dumps(_static(v)) for v in values) + f"].includes({expr})"


# --- cURL ------------------------------------------------------------------------------------------


def _sh_url(plan: Plan, path: str, poll: Poll | None, inline_base: bool) -> str:
    if inline_base:
        return "{{ baseUrl | lit }}" + shlex.quote(_static(path))
    parts = "".join(
        re.sub(r'([\\"$`])', r"\\\1", _static(t))
        if kind == "text"
        else "${" + _path_local(plan, poll, t, "sh") + "}"
        for kind, t in _segments(path)
    )
    return f'"${{BASE_URL}}{parts}"'


def _sh_headers(plan: Plan, json_body: bool) -> list[str]:
    out = []
    if plan.auth is not None:
        kind, header = plan.auth
        value = "Bearer ${{ apiKeyEnv }}" if kind == "bearer" else "${{ apiKeyEnv }}"
        out.append(f'-H "{header}: {value}"')
    if json_body:
        out.append('-H "Content-Type: application/json"')
    return out


def _sh_query(f: Field) -> str:
    """``name=value`` for a URL inside double quotes (``urlencode`` leaves no quote, $ or backtick)."""
    name = re.sub(r"[^A-Za-z0-9_.~-]", lambda m: f"%{ord(m.group(0)):02X}", _static(f.name))
    if isinstance(f.value, list):
        return (
            f"{{% for value in {f.var} %}}{{{{ '&' if not loop.first }}}}{name}="
            "{{ value | urlencode }}{% endfor %}"
        )
    filters = "json | urlencode" if not isinstance(f.value, str) else "urlencode"
    return f"{name}={{{{ {f.var} | {filters} }}}}"


def _sh_command(
    plan: Plan,
    fields: list[Field],
    method: str,
    url: str,
    *,
    body: str | None,
    flags: str = "-sS --fail-with-body",
    output: str | None = None,
    extra: list[str] = (),
) -> tuple[list[str], bool]:
    """The curl command's lines (continued with backslashes) and whether it ends in a here-document."""
    head = f"curl {flags}"
    query = [f for f in fields if f.where == "query"]
    if method != "GET" and query:  # --data-urlencode would send it as the body: the query goes in the URL
        url = url[:-1] + "?" + "&".join(_sh_query(f) for f in query) + url[-1]
        query = []
    if method == "GET" and (query or any(e.startswith("--data-urlencode") for e in extra)):
        head += " --get"
    elif method not in ("GET", "POST") or (method == "POST" and body is None):
        head += f" -X {method}"
    args = [f"{head} {url}", *_sh_headers(plan, body == "json"), *extra]
    for f in query:
        name = shlex.quote(_static(f.name))
        if isinstance(f.value, list):
            args.append(
                f"{{%+ for value in {f.var} %}}--data-urlencode {name}={{{{ value | lit }}}} {{% endfor +%}}"
            )
        else:
            args.append(f"--data-urlencode {name}={_value(f, text=True)}")
    if body == "multipart":
        for f in fields:
            if f.where == "file":
                args.append(f'-F "{_static(f.name)}=@{f.filename};type={f.content_type}"')
            elif f.where == "body":
                args.append(f"--form-string {shlex.quote(_static(f.name))}={_value(f, text=True)}")
    if output:
        args.append(f"-o {shlex.quote(output)}")
    heredoc = body == "json"
    if heredoc:
        args.append("--data @- <<'JSON'")
    lines = [args[0] + (" \\" if len(args) > 1 else "")]
    lines += [f"  {a}" + ("" if i == len(args) - 2 else " \\") for i, a in enumerate(args[1:])]
    if heredoc:
        body_fields = [f for f in fields if f.where == "body"]
        lines.append("{")
        entries = [f"  {json.dumps(_static(f.name))}: {{{{ {f.var} | json }}}}" for f in body_fields]
        lines += [e + ("," if i < len(entries) - 1 else "") for i, e in enumerate(entries)]
        lines += ["}", "JSON"]
    return lines, heredoc


def _sed(key: str, index: bool, integer: bool) -> str:
    name = re.sub(r"([][.*^$/\\])", r"\\\1", key).replace("'", "'\\''")
    value = r"\([0-9][0-9]*\)" if integer else r'"\([^"]*\)"'
    bracket = r"\[ *" if index else ""
    return "sed -n 's/.*\"" + name + '": *' + bracket + value + ".*/\\1/p'"


def curl(plan: Plan) -> list[str]:
    r, poll = plan.request, plan.poll
    needs_base = poll is not None or bool(r.of("path"))
    needs_base = needs_base or (r.op.method != "GET" and bool(r.of("query")))  # the query goes in "$URL?..."
    out: list[str] = []
    if needs_base:
        out.append("BASE_URL={{ baseUrl | lit }}")
    if poll is not None:
        out += [
            "POLL_INTERVAL={{ pollInterval | lit }}  # seconds between two polls",
            "POLL_TIMEOUT={{ pollTimeout | lit }}  # give up after this many seconds",
        ]
    for f in r.of("path"):
        out.append(f"{_snake(f.name)}={_path_value(f)}")
    if out:
        out.append("")
    flags = "-sS -N --fail-with-body" if r.response == "sse" else "-sS --fail-with-body"
    url = _sh_url(plan, r.op.path, None, not needs_base)
    command, heredoc = _sh_command(
        plan,
        r.fields,
        r.op.method,
        url,
        body=r.body,
        flags=flags,
        output=r.output_file if r.response == "binary" and poll is None else None,
    )
    if poll is None:
        return out + command
    command[0] = "response=$(" + command[0]
    if heredoc:
        command.append(') || { echo "Request failed: $response" >&2; exit 1; }')
    else:
        command[-1] += ') || { echo "Request failed: $response" >&2; exit 1; }'
    out += command
    return out + _sh_poll(plan, poll)


def _sh_poll(plan: Plan, poll: Poll) -> list[str]:
    key = next((p for p in reversed(poll.id_pointer) if isinstance(p, str)), poll.param)
    index = bool(poll.id_pointer) and isinstance(poll.id_pointer[-1], int)
    out = [
        f"""{poll.local}=$(printf '%s' "$response" | {_sed(key, index, poll.id_type == "integer")})""",
        f'if [ -z "${poll.local}" ]; then',
        f'  echo "No {_static(key)} in the answer: $response" >&2',
        "  exit 1",
        "fi",
        f'echo "Started job ${poll.local}"',
        "",
        "deadline=$((SECONDS + POLL_TIMEOUT))",
        "while true; do",
    ]
    extra = []
    if poll.param_in == "query":
        extra.append(f'--data-urlencode "{_static(poll.param)}=${poll.local}"')
    elif poll.param_in == "header":
        extra.append(f'-H "{_static(poll.param)}: ${poll.local}"')
    url = _sh_url(plan, poll.op.path, poll, False)
    command, _ = _sh_command(plan, [f for f in poll.extra if f.var], "GET", url, body=None, extra=extra)
    command[0] = "job=$(" + command[0]
    command[-1] += ') || { echo "Polling failed: $job" >&2; exit 1; }'
    out += ["  " + line for line in command]
    if poll.status_field:
        out += [
            f"""  status=$(printf '%s' "$job" | {_sed(poll.status_field, False, False)})""",
            '  echo "Status: $status"',
            '  case "$status" in',
            f"    {'|'.join(shlex.quote(_static(v)) for v in poll.done)}) break ;;",
        ]
        if poll.failed:
            out.append(
                f"    {'|'.join(shlex.quote(_static(v)) for v in poll.failed)}) "
                'echo "The job failed: $job" >&2; exit 1 ;;'
            )
        out += [
            "  esac",
            "  if (( SECONDS > deadline )); then",
            '    echo "Gave up after $POLL_TIMEOUT seconds; the job is still $status" >&2',
            "    exit 1",
            "  fi",
            '  sleep "$POLL_INTERVAL"',
        ]
    else:
        out.append("  break")
    out += ["done", 'echo "$job"']
    return out
