"""Python examples: ``py.jinja``, checked with ``compile()``, run with the current interpreter.

Examples use ``requests``; the sandbox puts ``runtime/pyguard`` (the egress guard) on their
``PYTHONPATH``, and a warm fork server saves each one the interpreter start-up and ``import
requests``: in kernel isolation the cell's supervisor (``runtime/cell.py``) forks them, without it
``runtime/py_forkserver.py`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..model import Process
from ..scaffold.common import HTTP_TIMEOUT, STREAM_TIMEOUT, lit, path_lit, path_local, segments, static
from ..scaffold.plan import Field, Plan, Poll, snake
from . import PASS_THROUGH, Language, SyntaxIssue

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"


def literal(value: Any) -> str:
    """A Python literal for a JSON-like value; strings always come out double-quoted and escaped."""
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # repr() picks the quote style by content; a docs example reads better with one style.
        escaped = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write a {type(value).__name__} as a Python literal")


def check_many(sources: Sequence[str]) -> list[SyntaxIssue | None]:
    issues: list[SyntaxIssue | None] = []
    for source in sources:
        try:
            compile(source, "<example>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            issues.append(SyntaxIssue(exc.lineno or 1, exc.msg))
        except ValueError as exc:  # e.g. a NUL byte
            issues.append(SyntaxIssue(1, str(exc)))
        else:
            issues.append(None)
    return issues


# --- running -------------------------------------------------------------------------------------


def environment() -> dict[str, str]:
    """The egress guard (``runtime/pyguard/sitecustomize.py``) and unbuffered UTF-8 output."""
    return {
        "PYTHONPATH": str(RUNTIME / "pyguard"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }


class ForkServer:
    """Client of ``runtime/py_forkserver.py``: runs Python examples in forked children of a warm
    interpreter, with the same isolation as a fresh process (own session, folder, environment,
    guard, timeout) but without paying interpreter start-up and ``import requests`` each time."""

    def __init__(self, python: str | None = None):
        env = {k: os.environ[k] for k in PASS_THROUGH if k in os.environ}
        self.proc = subprocess.Popen(
            [python or sys.executable, str(RUNTIME / "py_forkserver.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if '"ready"' not in ready:
            raise RuntimeError("the Python fork server did not start")

    def run(self, script: str, cwd: Path, env: dict[str, str], timeout: float) -> Process:

        out_path, err_path = cwd.parent / f"{cwd.name}.stdout", cwd.parent / f"{cwd.name}.stderr"
        job = {
            "script": str(cwd / script),
            "cwd": str(cwd),
            "env": env,
            "timeout": timeout,
            "stdout": str(out_path),
            "stderr": str(err_path),
        }
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Python fork server stopped")
        result = json.loads(line)
        from ..runner.sandbox import read_capped  # the runner imports this module: not at the top

        return Process(
            result["returncode"],
            read_capped(out_path),
            read_capped(err_path),
            result["seconds"],
            result["timed_out"],
        )

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- scaffold: the code `snippetgen new` writes --------------------------------------------------


def _py_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _py_fstring_text(text: str) -> str:
    """Text from the spec for inside an f-string ``"..."``: escaped like a JSON string (quotes,
    backslashes, control characters) and braces doubled (made inert for Jinja by the caller)."""
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("{", "{{").replace("}", "}}")


def _py_url(plan: Plan, path: str, poll: Poll | None = None) -> str:
    parts = "".join(
        _py_fstring_text(t) if kind == "text" else "{" + path_local(poll, t) + "}"
        for kind, t in segments(path)
    )
    # Inert for Jinja as a whole: a text ending in "{" next to a "{param}" must not open a tag.
    return static(f'f"{{BASE_URL}}{parts}"')


def _py_headers(plan: Plan, extra: str = "") -> str | None:
    items = []
    if plan.auth is not None:
        kind, header = plan.auth
        name = _py_str(static(header))
        if kind == "bearer":
            items.append(f'{name}: f"Bearer {{API_KEY}}"')
        elif kind == "header":
            items.append(f"{name}: API_KEY")
        elif kind == "cookie":
            items.append(f'"Cookie": f{_py_str(static(header) + "={API_KEY}")}')
    if extra:
        items.append(extra)
    return "{" + ", ".join(items) + "}" if items else None


def _py_dict(items: list[tuple[str, str]], indent: str) -> list[str]:
    """A dict literal: inline when it holds one short entry, else one entry per line."""
    entries = [f"{_py_str(static(k))}: {v}" for k, v in items]
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
    accept: str = "",
) -> list[str]:
    args: list[list[str]] = [[url]]
    query = [(f.name, lit(f, text=not isinstance(f.value, list))) for f in fields if f.where == "query"]
    if query_extra is not None:
        query.insert(0, query_extra)
    if plan.auth is not None and plan.auth[0] == "query":
        query.append((plan.auth[1], "API_KEY"))
    if query:
        args.append(["params=", *_py_dict(query, "    ")])
    uploads = [f for f in fields if f.where == "upload"] if body == "binary" else []
    if accept:
        header_extra = ", ".join(x for x in (header_extra, f'"Accept": {_py_str(static(accept))}') if x)
    if uploads:
        header_extra = ", ".join(
            x for x in (header_extra, f'"Content-Type": {_py_str(static(uploads[0].content_type))}') if x
        )
    headers = _py_headers(plan, header_extra)
    if headers:
        args.append([f"headers={headers}"])
    if plan.auth is not None and plan.auth[0] == "basic":
        args.append(["auth=(USERNAME, PASSWORD)"])
    document = [f for f in fields if f.where == "document"]
    if body == "json" and document:
        args.append([f"json={lit(document[0])}"])
    elif body == "json":
        args.append(["json=", *_py_dict([(f.name, lit(f)) for f in fields if f.where == "body"], "    ")])
    elif body == "multipart":
        files = [f for f in fields if f.where == "file"]
        entries = [
            (
                f.name,
                f"({_py_str(static(f.filename))}, {snake(f.name)}_file, {_py_str(static(f.content_type))})",
            )
            for f in files
        ]
        data = [(f.name, lit(f, text=True)) for f in fields if f.where == "body"]
        if not files:  # requests sends data= alone as a urlencoded form: (None, value) parts stay multipart
            entries, data = [(name, f"(None, {value})") for name, value in data], []
        args.append(["files=", *_py_dict(entries, "    ")])
        if data:
            args.append(["data=", *_py_dict(data, "    ")])
    elif body == "form":
        form = [(f.name, lit(f, text=not isinstance(f.value, list))) for f in fields if f.where == "body"]
        if form:
            args.append(["data=", *_py_dict(form, "    ")])
    elif uploads:
        args.append(["data=upload"])
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
        opens = ", ".join(f'open({_py_str(f.filename)}, "rb") as {snake(f.name)}_file' for f in files)
        lines = [f"with {opens}:", *["    " + line for line in lines]]
    if uploads:
        lines = [
            f'with open({_py_str(uploads[0].filename)}, "rb") as upload:',
            *["    " + line for line in lines],
        ]
    return lines


def _py_fail(what: str, target: str = "response") -> list[str]:
    return [
        f"if not {target}.ok:",
        f'    sys.exit(f"{what} failed ({{{target}.status_code}}): {{{target}.text}}")',
    ]


def scaffold(plan: Plan) -> list[str]:
    """``requests``, a flat script, ``sys.exit("message")`` on failure; a job is polled in a loop."""
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
    if plan.auth is not None:  # a missing key stops with one line naming its variable, no KeyError
        names = ["USERNAME", "PASSWORD"] if plan.auth[0] == "basic" else ["API_KEY"]
        for name in names:
            var = {"USERNAME": "usernameEnv", "PASSWORD": "passwordEnv"}.get(name, "apiKeyEnv")
            what = {"USERNAME": "API user name", "PASSWORD": "API password"}.get(name, "API key")
            out += [
                f"{name} = os.environ.get({{{{ {var} | lit }}}})",
                f"if not {name}:",
                f'    sys.exit({{{{ ("Set " ~ {var} ~ " to your {what}.") | lit }}}})',
            ]
    if poll is not None:
        out += [
            "POLL_INTERVAL = {{ pollInterval | lit }}  # seconds between two polls",
            "POLL_TIMEOUT = {{ pollTimeout | lit }}  # give up after this many seconds",
        ]
    for f in r.of("path"):
        out.append(f"{snake(f.name)} = {path_lit(f)}")
    out.append("")
    out += _py_call(
        plan,
        r.fields,
        r.op.method,
        _py_url(plan, r.op.path),
        body=r.body,
        stream=r.response == "sse",
        accept=r.accept,
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
    return root + "".join(f"[{p}]" if isinstance(p, int) else f"[{_py_str(static(p))}]" for p in pointer)


def _py_poll(plan: Plan, poll: Poll) -> list[str]:
    out = [
        f"{poll.local} = {_py_access('response.json()', poll.id_pointer)}",
        f'print(f"Started job {{{poll.local}}}")',
        "",
        "deadline = time.monotonic() + POLL_TIMEOUT",
        "while True:",
    ]
    header_extra = f"{_py_str(static(poll.param))}: {poll.local}" if poll.param_in == "header" else ""
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
            f"    status = job.get({_py_str(static(poll.status_field))})",
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
        return f"== {_py_str(static(values[0]))}"
    return "in (" + ", ".join(_py_str(static(v)) for v in values) + ")"


LANGUAGE = Language(
    id="py",
    label="Python",
    lexer="python",
    extension=".py",
    literal=literal,
    check_many=check_many,
    command=lambda path: [sys.executable, path],
    fences=("python", "py"),
    environment=environment,
    warm_runner=ForkServer,
    scaffold=scaffold,
)
