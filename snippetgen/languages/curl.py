"""Shell examples (curl command lines): ``curl.jinja``, checked with ``bash -n``, run with bash.

curl honours the proxy variables, so the sandbox's refusing proxy (:mod:`snippetgen.runner.egress`)
is its egress guard; it needs no variables of its own.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Sequence
from typing import Any

from ..scaffold.common import lit, path_lit, path_local, segments, sh_double_quoted, static
from ..scaffold.plan import Field, Plan, Poll, snake
from . import Language, SyntaxIssue


def literal(value: Any) -> str:
    """A single shell word: strings quoted for bash; lists and objects as quoted JSON."""
    if isinstance(value, str):
        return shlex.quote(value)
    return shlex.quote(json.dumps(value, ensure_ascii=False))


_LINE = re.compile(r"line (\d+): (.*)")


def _bash_n(source: str) -> SyntaxIssue | None:
    proc = subprocess.run(["bash", "-n"], input=source, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    first = proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else "syntax error"
    match = _LINE.search(first)
    return SyntaxIssue(int(match.group(1)), match.group(2)) if match else SyntaxIssue(1, first)


def check_many(sources: Sequence[str]) -> list[SyntaxIssue | None]:
    """``bash -n`` on all sources joined; only a failing batch is split (bisection), so a clean
    catalog costs one process and each broken example about log2(n) more."""
    results: list[SyntaxIssue | None] = [None] * len(sources)

    def visit(lo: int, hi: int) -> None:
        if hi - lo == 1:
            results[lo] = _bash_n(sources[lo])
            return
        joined = "\n".join(s if s.endswith("\n") else s + "\n" for s in sources[lo:hi])
        if _bash_n(joined) is None:
            return
        mid = (lo + hi) // 2
        visit(lo, mid)
        visit(mid, hi)

    if sources:
        visit(0, len(sources))
    return results


# --- scaffold: the code `snippetgen new` writes --------------------------------------------------


def _sh_url(plan: Plan, path: str, poll: Poll | None, inline_base: bool) -> str:
    if inline_base:
        return "{{ baseUrl | lit }}" + shlex.quote(static(path))
    parts = "".join(
        sh_double_quoted(t) if kind == "text" else "${" + path_local(poll, t) + "}"
        for kind, t in segments(path)
    )
    return f'"${{BASE_URL}}{parts}"'


def _urlencoded(f: Field) -> str:
    """``--data-urlencode name=value`` for a query or form field; a list repeats the name."""
    name = shlex.quote(static(f.name))
    if isinstance(f.value, list):
        return f"{{%+ for value in {f.var} %}}--data-urlencode {name}={{{{ value | lit }}}} {{% endfor +%}}"
    return f"--data-urlencode {name}={lit(f, text=True)}"


def _sh_headers(plan: Plan, json_body: bool) -> list[str]:
    out = []
    if plan.auth is not None:
        kind, header = plan.auth
        name = sh_double_quoted(header)
        if kind == "bearer":
            out.append(f'-H "{name}: Bearer ${{{{ apiKeyEnv | env }}}}"')
        elif kind == "header":
            out.append(f'-H "{name}: ${{{{ apiKeyEnv | env }}}}"')
        elif kind == "cookie":
            out.append(f'-b "{name}=${{{{ apiKeyEnv | env }}}}"')
        elif kind == "basic":
            out.append('-u "${{ usernameEnv | env }}:${{ passwordEnv | env }}"')
    if json_body:
        out.append('-H "Content-Type: application/json"')
    return out


def _sh_query(f: Field) -> str:
    """``name=value`` for a URL inside double quotes (``urlencode`` leaves no quote, $ or backtick)."""
    name = re.sub(r"[^A-Za-z0-9_.~-]", lambda m: f"%{ord(m.group(0)):02X}", static(f.name))
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
    extra: Sequence[str] = (),
    accept: str = "",
) -> list[str]:
    """The curl command's lines, continued with backslashes; a JSON body is the ``body`` variable
    the template sets first (:func:`_json_body`), inline as one shell word."""
    head = f"curl {flags}"
    query = [f for f in fields if f.where == "query"]
    if method != "GET" and query:  # --data-urlencode would send it as the body: the query goes in the URL
        url = url[:-1] + "?" + "&".join(_sh_query(f) for f in query) + url[-1]
        query = []
    if plan.auth is not None and plan.auth[0] == "query":  # the key rides in the URL, whatever the method
        name = re.sub(r"[^A-Za-z0-9_.~-]", lambda m: f"%{ord(m.group(0)):02X}", static(plan.auth[1]))
        url = url[:-1] + ("&" if "?" in url else "?") + f"{name}=${{{{ apiKeyEnv | env }}}}" + url[-1]
    form = [f for f in fields if f.where == "body"] if body == "form" else []
    if method == "GET" and (query or any(e.startswith("--data-urlencode") for e in extra)):
        head += " --get"
    elif method not in ("GET", "POST") or (method == "POST" and body is None):
        head += f" -X {method}"
    elif method == "GET" and body is not None:
        head += " -X GET"
    args = [f"{head} {url}", *_sh_headers(plan, body == "json"), *extra]
    if accept:
        args.append(f"-H {shlex.quote(static('Accept: ' + accept))}")
    args += [_urlencoded(f) for f in query]
    if body == "multipart":
        for f in fields:
            if f.where == "file":
                args.append(
                    f'-F "{sh_double_quoted(f.name)}=@{sh_double_quoted(f.filename)};'
                    f'type={sh_double_quoted(f.content_type)}"'
                )
            elif f.where == "body":
                args.append(f"--form-string {shlex.quote(static(f.name))}={lit(f, text=True)}")
    elif body == "form":
        args += [_urlencoded(f) for f in form]
    elif body == "binary":
        for f in fields:
            if f.where == "upload":
                args.append(f'-H "Content-Type: {sh_double_quoted(f.content_type)}"')
                args.append(f"--data-binary @{shlex.quote(static(f.filename))}")
    elif body == "json":
        # one single-quoted word; an apostrophe in a value stays JSON (\u0027), not '"'"'
        args.append('-d {{ body | json(2) | indent(2) | replace("\'", "\\\\u0027") | sh }}')
    if output:
        args.append(f"-o {shlex.quote(output)}")
    return [args[0] + (" \\" if len(args) > 1 else "")] + [
        f"  {a}" + ("" if i == len(args) - 2 else " \\") for i, a in enumerate(args[1:])
    ]


def _jinja_string(text: str) -> str:
    """A Jinja string literal of any text: everything but letters, digits and ``_-./ :`` as an
    escape, so no quote, brace or ``%`` from a spec reaches the template."""
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char in "_-./ :"):
            out.append(char)
        elif ord(char) > 0xFFFF:
            out.append(f"\\U{ord(char):08x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return '"' + "".join(out) + '"'


def _json_body(fields: list[Field]) -> str:
    """``{% set body = {...} %}``: the JSON body from its variables, printed inline by the command."""
    document = [f for f in fields if f.where == "document"]
    if document:
        return f"{{% set body = {document[0].var} %}}"
    entries = ", ".join(f"{_jinja_string(f.name)}: {f.var}" for f in fields if f.where == "body")
    return f"{{% set body = {{{entries}}} %}}"


def _jq(pointer: Sequence[str | int]) -> str:
    """A jq path (``.clip_ids[0]``) as one shell word; names that are not identifiers are quoted."""
    path = ""
    for part in pointer:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            path += f".{part}"
        else:
            path += f".[{json.dumps(part, ensure_ascii=False)}]"
    return static(shlex.quote(path or "."))


def _key_check(plan: Plan) -> list[str]:
    """The first line: stop with one message naming the variable when the key is not set."""
    if plan.auth is None:
        return []
    names = ["usernameEnv", "passwordEnv"] if plan.auth[0] == "basic" else ["apiKeyEnv"]
    return [
        f': "${{ {{{{- {n} | env }}}}:?Set {{{{ {n} | env }}}} to your '
        + ("API user name" if n == "usernameEnv" else "API password" if n == "passwordEnv" else "API key")
        + '}"'
        for n in names
    ]


def scaffold(plan: Plan) -> list[str]:
    """Plain ``curl`` commands as a reader copies them: the key from the environment, a JSON body
    inline, ``jq`` to read the job id and status of a job's answers."""
    r, poll = plan.request, plan.poll
    needs_base = poll is not None or bool(r.of("path"))
    needs_base = needs_base or (r.op.method != "GET" and bool(r.of("query")))  # the query goes in "$URL?..."
    needs_base = needs_base or (plan.auth is not None and plan.auth[0] == "query")  # so is a query key
    out: list[str] = []
    if r.body == "json":
        out.append(_json_body(r.fields))
    out += _key_check(plan)
    if needs_base:
        out.append("BASE_URL={{ baseUrl | lit }}")
    if poll is not None:
        out += [
            "POLL_INTERVAL={{ pollInterval | lit }}  # seconds between two polls",
            "POLL_TIMEOUT={{ pollTimeout | lit }}  # give up after this many seconds",
        ]
    for f in r.of("path"):
        out.append(f"{snake(f.name)}={path_lit(f)}")
    if len(out) > (1 if r.body == "json" else 0):
        out.append("")
    flags = "-sS -N --fail-with-body" if r.response == "sse" else "-sS --fail-with-body"
    url = _sh_url(plan, r.op.path, None, not needs_base)
    command = _sh_command(
        plan,
        r.fields,
        r.op.method,
        url,
        body=r.body,
        flags=flags,
        output=r.output_file if r.response == "binary" and poll is None else None,
        accept=r.accept,
    )
    if poll is None:
        return out + command
    command[0] = f"{poll.local}=$(" + command[0]
    command[-1] += f" | jq -r {_jq(poll.id_pointer or [poll.param])})"
    out += ["# 1. Start the job and keep its id.", *command, f'echo "Started job ${poll.local}"', ""]
    return out + _sh_poll(plan, poll)


def _sh_poll(plan: Plan, poll: Poll) -> list[str]:
    extra = []
    if poll.param_in == "query":
        extra.append(f'--data-urlencode "{sh_double_quoted(poll.param)}=${poll.local}"')
    elif poll.param_in == "header":
        extra.append(f'-H "{sh_double_quoted(poll.param)}: ${poll.local}"')
    url = _sh_url(plan, poll.op.path, poll, False)
    command = _sh_command(plan, [f for f in poll.extra if f.var], "GET", url, body=None, extra=extra)
    if not poll.status_field:
        return ["# 2. Ask for the result.", *command]
    # a finished or failed job ends the loop, and so does an answer without a status (an error)
    stop = " | ".join([*(shlex.quote(static(v)) for v in [*poll.done, *poll.failed]), "null", "''"])
    command[0] = "STATUS=$(" + command[0]
    command[-1] += f" | tee job.json | jq -r {_jq([poll.status_field])})"
    return [
        "# 2. Ask for its status until it is done (or POLL_TIMEOUT seconds have passed).",
        "DEADLINE=$((SECONDS + POLL_TIMEOUT))",
        "while ((SECONDS < DEADLINE)); do",
        '  sleep "$POLL_INTERVAL"',
        *("  " + line for line in command),
        '  echo "Status: $STATUS"',
        f"  case $STATUS in {stop}) break ;; esac",
        "done",
        "cat job.json",
    ]


LANGUAGE = Language(
    id="curl",
    label="cURL",
    lexer="bash",
    extension=".sh",
    literal=literal,
    check_many=check_many,
    command=lambda path: ["bash", path],
    filters=("sh",),
    fences=("bash", "shell", "sh", "curl", "console"),
    scaffold=scaffold,
)
