"""The example runner catches each way an example can be wrong (pytester runs the real plugin)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]

SPEC = textwrap.dedent("""\
    openapi: 3.1.0
    info: {title: Tiny, version: "1.0"}
    servers: [{url: "https://api.tiny.test/v1"}]
    paths:
      /echo:
        post:
          operationId: echo
          summary: Echo a prompt
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  additionalProperties: false
                  required: [prompt]
                  properties:
                    prompt: {type: string}
                    mode: {type: string, enum: [fast, slow]}
          responses:
            "200":
              description: Echoed
              content:
                application/json:
                  schema: {type: object, properties: {ok: {type: boolean}}}
                  example: {ok: true}
            "400":
              description: Bad request
              content:
                application/json:
                  schema: {type: object, properties: {error: {type: string}}}
                  example: {error: bad}
    """)

PY = textwrap.dedent("""\
    import requests

    r = requests.post({{ baseUrl | lit }} + {{ path | lit }}, json={{ body | py }}, timeout=10)
    r.raise_for_status()
    print(r.json())
    """)
JS = textwrap.dedent("""\
    const r = await fetch({{ baseUrl | lit }} + {{ path | lit }}, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({{ jsBody | js }}),
    });
    if (!r.ok) { console.error("HTTP", r.status); process.exit(1); }
    console.log(await r.json());
    """)
CURL = textwrap.dedent("""\
    curl -sS --fail-with-body {{ (baseUrl ~ path) | lit }} -H 'Content-Type: application/json' --data {{ body | json | sh }}
    """)


@pytest.fixture
def tiny(pytester):
    pytester.makefile(".yaml", **{"shared/openapi/tiny": SPEC})
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = docs shared/snippets\n")
    (pytester.path / "docs").mkdir()

    def snippet(payload=None, *, py=PY, js=JS, curl=CURL, page=None, test=None):
        folder = pytester.path / "shared" / "snippets" / "tiny" / "echo"
        folder.mkdir(parents=True, exist_ok=True)
        body = {"prompt": "hello", "mode": "fast"}
        config = {
            "title": "Echo",
            "operations": ["tiny:echo"],
            "payload": {
                "baseUrl": "https://api.tiny.test/v1",
                "path": "/echo",
                "body": body,
                "jsBody": body,
                **(payload or {}),
            },
        }
        if test:
            config["test"] = test
        (folder / "config.json").write_text(json.dumps(config))
        for lang, source in (("py", py), ("js", js), ("curl", curl)):
            if source is not None:
                (folder / f"{lang}.jinja").write_text(source)
        if page:
            (pytester.path / "docs" / "index.md").write_text(page)

    return snippet


def run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_inert_unless_enabled(pytester, tiny):
    tiny()
    pytester.makeini("[pytest]\ntestpaths = docs shared/snippets\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_loading_the_plugin_loads_no_runner():
    """pytest loads the plugin in every run where snippetgen is installed: it must cost next to nothing."""
    code = (
        "import sys, snippetgen.integration.pytest; "
        "print(sorted(m for m in sys.modules if m.split('.')[:2] in (['snippetgen', 'runner'], "
        "['snippetgen', 'mock'], ['snippetgen', 'workspace']) or m in ('jinja2', 'uvicorn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_good_example_passes_in_every_language_with_location_ids(pytester, tiny):
    tiny(page='# Echo\n\n<snippet data-name="tiny.echo"></snippet>\n')
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*docs/index.md::tiny.echo[[]line3-py[]] PASSED*",
            "*docs/index.md::tiny.echo[[]line3-curl[]] PASSED*",
        ]
    )
    record = json.loads((pytester.path / ".snippetgen" / "runs" / "main.json").read_text())
    assert {row["lang"] for row in record["executed"]} == {"py", "js", "curl"}
    assert all(row["operations"] == ["tiny:echo"] for row in record["executed"])


def test_unembedded_snippet_runs_with_defaults(pytester, tiny):
    tiny()
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*shared/snippets/tiny/echo/config.json::tiny.echo[[]js[]] PASSED*"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"promt": "hello"}, "*failed validation: body*promt*"),
        ({"mode": "fast"}, "*failed validation: body*prompt*required*"),
        ({"prompt": "x", "mode": "turbo"}, "*failed validation: body/mode*turbo*"),
    ],
    ids=["wrong-field-name", "missing-required-field", "invalid-enum"],
)
def test_invalid_request_fails_with_the_mocks_validation_error(pytester, tiny, body, message):
    tiny({"body": body, "jsBody": body}, js=None, curl=None)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message, "*mock request log:*", "*POST /v1/echo -> 400 [[]tiny:echo[]]*"])


def test_wrong_path_fails(pytester, tiny):
    tiny({"path": "/ecko"}, js=None, curl=None)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*POST /v1/ecko matched no operation*"])


def test_syntax_error_fails_and_shows_numbered_code(pytester, tiny):
    tiny(py="import requests\nprint('unclosed\n", js=None, curl=None)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*exited with status 1*", "*   2 | print('unclosed*", "*SyntaxError*"])


def test_hang_is_killed_with_its_children(pytester, tiny):
    hang = "import subprocess, time\nsubprocess.Popen(['sleep', '300'])\ntime.sleep(300)\n"
    tiny(py=hang, js=None, curl=None, test={"timeout": 1})
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*timed out after 1 s (the process group was killed)*"])
    import subprocess

    leftover = subprocess.run(["pgrep", "-f", "sleep 300"], capture_output=True, text=True).stdout.strip()
    assert leftover == ""


@pytest.mark.parametrize(
    ("lang", "source"),
    [
        ("py", "import requests\nrequests.get('https://api.openai.example/v1/models', timeout=5)\n"),
        ("js", "await fetch('https://api.openai.example/v1/models');\n"),
        ("curl", "curl -sS https://api.openai.example/v1/models\n"),
    ],
)
def test_calling_a_real_host_fails_naming_it(pytester, tiny, lang, source):
    sources = {"py": None, "js": None, "curl": None, lang: source}
    tiny(**sources)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*tried to reach api.openai.example*egress guard*"])


def test_real_api_keys_are_not_passed_to_examples(pytester, tiny, monkeypatch):
    monkeypatch.setenv("AIMLAPI_API_KEY", "real-secret-value-should-not-leak")
    py = (
        "import os\nassert 'AIMLAPI_API_KEY' not in os.environ, 'leaked'\nimport requests\n"
        "requests.post({{ baseUrl | lit }} + '/echo', json={'prompt': 'x'}, timeout=5).raise_for_status()\n"
    )
    tiny(py=py, js=None, curl=None)
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "real-secret-value" not in result.stdout.str()


def test_js_tab_sending_a_different_body_fails_naming_the_field(pytester, tiny):
    tiny({"jsBody": {"prompt": "hello", "mode": "slow"}}, page='<snippet data-name="tiny.echo"></snippet>\n')
    result = run(pytester, "-p", "no:xdist")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*JavaScript tab sends a different tiny:echo request than the Python tab: field 'mode' differs*"]
    )


def test_declared_operation_never_called_fails(pytester, tiny):
    tiny(py="print('I do nothing')\n", js=None, curl=None)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*declared operation tiny:echo was never called*"])


def test_works_under_xdist(pytester, tiny):
    tiny(
        page='<snippet data-name="tiny.echo"></snippet>\n\n<snippet data-name="tiny.echo" '
        'data-path="/echo"></snippet>\n'
    )
    result = run(pytester, "-n", "2", "--dist", "loadgroup")
    result.assert_outcomes(passed=6)
    runs = list((pytester.path / ".snippetgen" / "runs").glob("*.json"))
    assert sum(len(json.loads(p.read_text())["executed"]) for p in runs) == 6


def test_hand_written_blocks_that_call_an_api_run_and_the_marker_skips_one(pytester, tiny):
    tiny(
        page=textwrap.dedent("""\
        # Echo by hand

        ```python
        import requests
        r = requests.post("https://api.tiny.test/v1/echo", json={"prompt": "hi"}, timeout=5)
        r.raise_for_status()
        ```

        <!-- snippetgen: skip -->
        ```bash
        curl https://api.tiny.test/v1/echo --data '{"promt": 1}'
        ```

        ```python
        print("no API here, not collected")
        ```

        ```bash
        curl -sS --fail-with-body https://api.tiny.test/v1/echo -H 'Content-Type: application/json' --data '{"mode": "x"}'
        ```
        """),
        py=None,
        js=None,
        curl=None,
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*docs/index.md::block[[]line3-py[]] PASSED*", "*docs/index.md::block[[]line18-curl[]] FAILED*"]
    )
