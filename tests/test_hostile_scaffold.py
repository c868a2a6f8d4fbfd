"""`snippetgen new` from a hostile spec writes only safe forms: the spec's names stay data.

The spec's header name, path, query and body field names and response type each try to break out
of the string they land in (a shell ``"..."``, a Python f-string, a JSON key, a Jinja tag). The
scaffold must pass ``check`` (every rendered tab parses), and running the rendered Python and cURL
examples against stubs (a ``requests`` module and a ``curl`` program that only print what they are
given; ``fetch`` likewise for JavaScript) must create no file ``pwned`` and hand every hostile name
over literally.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hostile import expect, run_case

HEADER = 'X-Key"; touch pwned; echo "$(touch pwned)`touch pwned`'
PATH_TEXT = "/v1/a\"b'c`$(touch pwned)\\q"
QUERY = 'q"$(touch pwned)'
FIELDS = ['na"me$(touch pwned)', "{% endraw %}{{ lipsum.__globals__ }}{#", "b`x`\\'"]

SPEC = f"""\
openapi: 3.1.0
info: {{title: Evil, version: "1"}}
servers: [{{url: "https://api.example.test"}}]
security: [{{key: []}}]
components:
  securitySchemes:
    key: {{type: apiKey, in: header, name: {json.dumps(HEADER)}}}
paths:
  {json.dumps(PATH_TEXT + "/{item_id}")}:
    post:
      operationId: evilOp
      summary: Evil
      parameters:
        - {{name: item_id, in: path, required: true, schema: {{type: string}}, example: "x$(touch pwned)"}}
        - {{name: {json.dumps(QUERY)}, in: query, required: true, schema: {{type: string}}, example: "v"}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: {json.dumps(FIELDS)}
              properties: {{{", ".join(f"{json.dumps(f)}: {{type: string, example: v}}" for f in FIELDS)}}}
      responses:
        "200":
          description: ok
          content:
            "application/x$(touch pwned)": {{schema: {{type: string, format: binary}}}}
        "400": {{description: bad}}
        "401": {{description: no key}}
"""

REQUESTS_STUB = """\
import json

class Response:
    ok = True
    status_code = 200
    content = b"data"
    text = ""

    def json(self):
        return {}

def post(url, **kwargs):
    print(json.dumps({"url": url, "kwargs": {k: v for k, v in kwargs.items() if k != "files"}}))
    return Response()
"""

CURL_STUB = '#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n'

FETCH_STUB = """\
globalThis.fetch = async (url, options) => {
  const body = typeof options.body === "string" ? JSON.parse(options.body) : options.body;
  console.log(JSON.stringify({ url: String(url), options: { ...options, body } }));
  return { ok: true, status: 200, arrayBuffer: async () => new ArrayBuffer(4), json: async () => ({}),
           text: async () => "" };
};
"""


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_scaffold_from_a_hostile_spec_is_inert_in_every_language(project, tmp_path_factory):
    project.spec("evil", SPEC)
    proc, _ = run_case("new", "evil/op", "--operation", "evil:evilOp", cwd=project.root)
    expect(proc, 0, "^wrote shared/snippets/evil/op/curl.jinja$")
    proc, changed = run_case("check", cwd=project.root)
    expect(proc, 0, "clean in")  # every tab renders and parses
    assert changed == []

    work = tmp_path_factory.mktemp("run")
    stubs = tmp_path_factory.mktemp("stubs")
    (stubs / "requests.py").write_text(REQUESTS_STUB)
    (stubs / "curl").write_text(CURL_STUB)
    (stubs / "curl").chmod(0o755)
    (stubs / "fetch.cjs").write_text(FETCH_STUB)
    env = {
        "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(stubs),
        "EVIL_API_KEY": "k",
        "HOME": str(work),
    }
    seen = {}
    for lang, command in (
        ("py", [sys.executable, "example.py"]),
        ("curl", ["bash", "example.sh"]),
        ("js", ["node", "--require", str(stubs / "fetch.cjs"), "example.mjs"]),
    ):
        proc, _ = run_case("render", "evil.op", "--lang", lang, cwd=project.root)
        code = expect(proc, 0)
        script = work / command[-1]
        script.write_text(proc.stdout)
        ran = _run(command, work, env)
        assert ran.returncode == 0, (lang, code, ran.stdout, ran.stderr)
        seen[lang] = ran.stdout
        assert not list(work.rglob("pwned")) and not (project.root / "pwned").exists(), (lang, code)

    for name in (HEADER, QUERY, *FIELDS):  # as dictionary keys: headers, params, JSON body
        assert json.dumps(name) in seen["py"], name
    for name in (HEADER, *FIELDS):
        assert json.dumps(name) in seen["js"], name
    assert "?q%22%24%28touch+pwned%29=v" in seen["js"]  # the query name, percent-encoded by URL
    assert f"{HEADER}: k" in seen["curl"].splitlines()  # one curl argument, not shell code
    assert PATH_TEXT + "/x%24%28touch%20pwned%29" in seen["curl"]
    assert "-o" in seen["curl"].splitlines()
    assert "file.xtouchpwned" in seen["curl"].splitlines()  # the response type made a safe file name


MEDIA = 'application/x"{{ 7 * 7 }}$(touch pwned)`touch pwned`'

UPLOAD_SPEC = f"""\
openapi: 3.1.0
info: {{title: Evil, version: "1"}}
servers: [{{url: "https://api.example.test"}}]
paths:
  /upload:
    post:
      operationId: upload
      requestBody:
        required: true
        content:
          {json.dumps(MEDIA)}: {{schema: {{type: string, format: binary}}}}
      responses:
        "200":
          description: ok
          content:
            application/json: {{schema: {{type: object}}, example: {{ok: true}}}}
            {json.dumps(MEDIA + "-out")}: {{schema: {{type: string}}}}
        "400": {{description: bad}}
"""


def test_hostile_media_types_stay_data_in_uploads_and_accept(project, tmp_path_factory):
    """A request body and a response whose media types try to break out of the header they land in
    (``Content-Type`` of a raw upload, ``Accept`` of an answer that offers several types)."""
    project.spec("evil", UPLOAD_SPEC)
    proc, _ = run_case("new", "evil/up", "--operation", "evil:upload", cwd=project.root)
    expect(proc, 0, "^wrote shared/snippets/evil/up/curl.jinja$")
    proc, changed = run_case("check", cwd=project.root)
    expect(proc, 0, "clean in")
    assert changed == []

    work = tmp_path_factory.mktemp("run")
    stubs = tmp_path_factory.mktemp("stubs")
    (stubs / "curl").write_text(CURL_STUB)
    (stubs / "curl").chmod(0o755)
    env = {"PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}", "HOME": str(work)}
    proc, _ = run_case("render", "evil.up", "--lang", "curl", cwd=project.root)
    code = expect(proc, 0)
    (work / "example.sh").write_text(proc.stdout)
    for fixture in (project.root / "shared" / "snippets" / "evil" / "up" / "fixtures").iterdir():
        (work / fixture.name).write_bytes(fixture.read_bytes())
    ran = _run(["bash", "example.sh"], work, env)
    assert ran.returncode == 0, (code, ran.stderr)
    assert not list(work.rglob("pwned")) and not (project.root / "pwned").exists(), code
    args = ran.stdout.splitlines()
    assert f"Content-Type: {MEDIA}" in args, code  # the spec's text, to the letter: not 49, not a command
    for lang in ("py", "js"):
        proc, _ = run_case("render", "evil.up", "--lang", lang, cwd=project.root)
        assert "{{ 7 * 7 }}" in expect(proc, 0) and "49" not in proc.stdout
