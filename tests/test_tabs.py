"""The tab set around each example: run instructions, variants as diffs, proven responses."""

from __future__ import annotations

import json
import os
import time

import markdown as python_markdown
import pytest

from snippetgen.languages import get_language
from snippetgen.markdown.expand import transform_page
from snippetgen.markdown.tabs import run_line
from snippetgen.project import Project
from snippetgen.proven import binary, code_digest, record_responses, shorten, summarize
from snippetgen.render import render
from snippetgen.workspace import load_workspace

PY = (
    "import os\nimport requests\nfrom openai import OpenAI\n\nPROMPT = {{ prompt | lit }}\n"
    "MODEL = {{ model | lit }}\nkey = os.environ[{{ apiKeyEnv | lit }}]\nprint(PROMPT, MODEL, key)\n"
)
JS = (
    'import OpenAI from "openai";\nimport { writeFile } from "node:fs/promises";\n\n'
    "const prompt = {{ prompt | lit }};\nconst model = {{ model | lit }};\nconsole.log(prompt, model);\n"
)
CURL = "PROMPT={{ prompt | sh }}\nMODEL={{ model | sh }}\ncurl -sS https://api.example.test/v1 | jq .id\n"
CONFIG = {
    "title": "Draw",
    "payload": {"prompt": "a cat", "model": "m-1", "apiKeyEnv": "DEMO_API_KEY"},
}


def _ws(project):
    project.snippet("demo.draw", CONFIG, py=PY, js=JS, curl=CURL)
    ws, problems = load_workspace(Project.load(project.root), validate_specs=False)
    assert problems == []
    return ws


# --- run instructions from the registry ----------------------------------------------------------


def test_setup_comes_from_the_language_modules():
    py = get_language("py").setup(
        "import os, json\nimport requests\nfrom PIL import Image\nimport openai.types\n"
    )
    assert py.packages == ("requests", "pillow", "openai")
    assert py.install == "pip install requests pillow openai"
    assert (py.runtime, py.file, py.command) == ("Python 3.9+", "example.py", "python3 example.py")
    js = get_language("js").setup(
        'import OpenAI from "openai";\nimport fs from "node:fs";\nimport x from "./local.js";\n'
        'const { a } = await import("@scope/pkg/sub");\nimport path from "path";\n'
    )
    assert js.packages == ("openai", "@scope/pkg")
    assert js.install == "npm install openai @scope/pkg"
    assert (js.file, js.command) == ("example.mjs", "node example.mjs")
    curl = get_language("curl").setup("# pipe it into jq if you like\ncurl -sS x\n")
    assert curl.packages == ()
    curl = get_language("curl").setup('ID=$(curl -sS x | jq -r .id)\necho "jq said $ID"\n')
    assert curl.packages == ("jq",)
    assert curl.install == ""
    assert run_line(curl).startswith(
        '<span class="snippetgen-run">**To run:** curl 7\\.76\\+, bash and jq; save as `example.sh`'
    )


def test_a_package_name_from_a_hostile_template_is_left_out():
    setup = get_language("js").setup('import x from "a`b<script>";\nimport y from "ok-pkg";\n')
    assert setup.packages == ("ok-pkg",)


def test_every_tab_says_how_to_run_it(project):
    ws = _ws(project)
    out = transform_page('<snippet data-name="demo.draw"></snippet>\n', "index.md", ws)
    assert (
        "**To run:** Python 3\\.9\\+; install with `pip install requests openai`, save as `example.py`, "
        "set `DEMO_API_KEY` to your key, run `python3 example.py`." in out
    )
    assert "install with `npm install openai`, save as `example.mjs`" in out
    assert "**To run:** curl 7\\.76\\+, bash and jq; save as `example.sh`" in out
    html = python_markdown.markdown(
        out, extensions=["pymdownx.tabbed", "pymdownx.superfences"], extension_configs={}
    )
    assert html.count('<p><span class="snippetgen-run"><strong>To run:</strong>') == 3
    assert "<code>pip install requests openai</code>" in html


def test_rendered_python_examples_parse_as_python_3_9():
    """The run line says Python 3.9+: every example of this repository parses with that grammar."""
    import ast

    ws, _ = load_workspace(Project.load("."), validate_specs=False)
    for snippet in ws.catalog.snippets.values():
        if "py" in snippet.templates:
            ast.parse(render(snippet, "py").code, feature_version=(3, 9))


# --- variants -------------------------------------------------------------------------------------


def test_a_later_embed_shows_its_changes_not_the_whole_program(project):
    ws = _ws(project)
    page = (
        '<snippet data-name="demo.draw"></snippet>\n\nAnother model:\n\n'
        '<snippet data-name="demo.draw" data-model="m-2"></snippet>\n\n'
        '<snippet data-name="demo.draw" data-model="m-2"></snippet>\n'
    )
    out = transform_page(page, "index.md", ws)
    assert out.count('"Python"') == 3  # labels stay the same: linked tabs switch every set
    assert out.count("```python") == 1
    assert out.count("```diff") == 6
    assert '    @@ line 6 @@\n    -MODEL = "m-1"\n    +MODEL = "m-2"\n' in out
    assert '    -const model = "m-1";\n    +const model = "m-2";\n' in out
    assert "    -MODEL=m-1\n    +MODEL=m-2\n" in out
    assert out.count("Changes from the program above") == 2
    assert out.count("**To run:**") == 3  # once per tab set


def test_a_variant_that_changes_most_of_the_program_is_shown_whole(project):
    project.snippet(
        "demo.branch",
        {"title": "Branch", "payload": {"big": False}},
        py="{% if big %}a = 1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6\n{% else %}x = 0\n{% endif %}print('done')\n",
    )
    ws, _ = load_workspace(Project.load(project.root), validate_specs=False)
    page = '<snippet data-name="demo.branch"></snippet>\n\n<snippet data-name="demo.branch" data-big="true"></snippet>\n'
    out = transform_page(page, "index.md", ws)
    assert out.count("```python") == 2
    assert "```diff" not in out


# --- proven responses -----------------------------------------------------------------------------


def test_shorten_masks_keys_and_cuts_long_values():
    value = {
        "api_key": "sk-live-secret",
        "access_token": "abc",
        "usage": {"total_tokens": 12},
        "text": "x" * 500,
        "items": list(range(10)),
        "image": "data:image/png;base64," + "A" * 4000,
    }
    out = shorten(value)
    assert out["api_key"] == "***" and out["access_token"] == "***"
    assert out["usage"] == {"total_tokens": 12}
    assert out["text"].endswith("… (380 more characters)")
    assert out["items"] == [0, 1, 2, "… 7 more items"]
    assert out["image"] == "<binary: image/png, 4 KB>"
    assert binary("image/png; charset=x", 12 * 1024) == "<binary: image/png, 12 KB>"
    assert summarize("image/png", b"\x89PNG" + b"0" * 2048) == {
        "content_type": "image/png",
        "binary": "<binary: image/png, 2 KB>",
    }
    assert summarize("application/json", b'{"a": 1}') == {
        "content_type": "application/json",
        "json": {"a": 1},
    }


def test_record_keeps_the_last_answer_of_each_operation_in_call_order():
    log = [
        {
            "operation": "a:create",
            "method": "POST",
            "path": "/jobs",
            "status": 201,
            "response": {"json": {"id": 1}},
        },
        {
            "operation": "a:get",
            "method": "GET",
            "path": "/jobs/1",
            "status": 200,
            "response": {"json": {"s": "q"}},
        },
        {
            "operation": "a:get",
            "method": "GET",
            "path": "/jobs/1",
            "status": 200,
            "response": {"json": {"s": "ok"}},
        },
        {"operation": None, "method": "GET", "path": "/x", "status": 404, "response": {"json": {}}},
        {
            "operation": "a:get",
            "method": "GET",
            "path": "/jobs/1",
            "status": 429,
            "response": {"json": {"e": 1}},
        },
    ]
    kept = record_responses(log)
    assert [(r["operation"], r["status"], r["calls"], r["json"]) for r in kept] == [
        ("a:create", 201, 1, {"id": 1}),
        ("a:get", 200, 2, {"s": "ok"}),
        ("a:get", 429, 1, {"e": 1}),
    ]


def _record(project, rows):
    runs = project.root / ".snippetgen" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    (runs / "gw0.json").write_text(json.dumps({"executed": rows}), encoding="utf-8")
    return runs / "gw0.json"


def _row(ws, lang, usage, **extra):
    snippet = ws.catalog.get("demo.draw")
    row = {
        "id": f"{usage}::{lang}",
        "lang": lang,
        "passed": True,
        "code_sha256": code_digest(render(snippet, lang).code),
        "responses": [
            {
                "operation": "demo:draw",
                "method": "POST",
                "path": "/v1/draw",
                "status": 200,
                "calls": 1,
                "json": {"id": "img_1", "note": "<script>alert(1)</script>"},
            }
        ],
    }
    row.update(extra)
    return row


def test_a_fresh_passing_run_shows_its_response(project):
    ws = _ws(project)
    project.page("index.md", '<snippet data-name="demo.draw"></snippet>\n')
    usage = "docs/index.md:1::demo.draw"
    _record(project, [_row(ws, "py", usage)])
    out = transform_page('<snippet data-name="demo.draw"></snippet>\n', "index.md", ws)
    assert '<details class="snippetgen-proven success">' in out
    assert "<summary>Response</summary>" in out
    assert "POST /v1/draw</code> → <code>200</code>" in out
    assert "&lt;script&gt;" in out and "<script>" not in out
    assert "its Python program ran" in out


@pytest.mark.parametrize(
    "change",
    [
        {"passed": False},
        {"code_sha256": "0" * 64},
        {"responses": []},
    ],
)
def test_a_stale_or_failing_run_shows_nothing(project, change):
    ws = _ws(project)
    usage = "docs/index.md:1::demo.draw"
    _record(project, [_row(ws, "py", usage, **change)])
    out = transform_page('<snippet data-name="demo.draw"></snippet>\n', "index.md", ws)
    assert "snippetgen-proven" not in out


def test_a_spec_changed_after_the_run_hides_the_response(project):
    ws = _ws(project)
    record = _record(project, [_row(ws, "py", "docs/index.md:1::demo.draw")])
    spec = project.spec("demo", "openapi: 3.1.0\n")
    past = time.time() - 100
    os.utime(record, (past, past))
    os.utime(spec, (past + 50, past + 50))
    out = transform_page('<snippet data-name="demo.draw"></snippet>\n', "index.md", ws)
    assert "snippetgen-proven" not in out


# --- the mock's log keeps what it answered ---------------------------------------------------------


def _respond(responder, api, method, path, body=None):
    import httpx

    from snippetgen.mock import DEFAULT_KEY, Request

    built = httpx.Request(
        method, "http://mock.test" + path, json=body, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}
    )
    return responder.respond(
        Request(method, built.url.path, built.url.query.decode(), dict(built.headers), built.read(), api=api)
    )


def test_the_mock_logs_a_summary_of_each_answer():
    import asyncio
    from pathlib import Path

    from snippetgen.mock import Responder

    async def no_wait(_: float) -> None:
        return None

    responder = Responder.load(Path(__file__).parent / "mock_specs" / "core", sleep=no_wait)
    created = _respond(responder, "alpha", "POST", "/v2/generate", {"model": "fast", "prompt": "x"})
    assert created.status == 201
    stream = _respond(responder, "alpha", "POST", "/v2/stream", {"model": "slow"})

    async def drain() -> None:
        async for _ in stream.body:
            pass

    asyncio.run(drain())
    log = responder.state.entries()
    assert log[0]["response"] == {"content_type": "application/json", "json": created.json()}
    summary = log[1]["response"]
    assert summary["content_type"] == "text/event-stream"
    assert all(line.startswith("data: {") for line in summary["events"])
    assert len(summary["events"]) + summary.get("more_events", 0) == 9
    assert responder.state.streams == 0
