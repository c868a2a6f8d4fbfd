"""``snippetgen export``: proven x-codeSamples as an OpenAPI Overlay or an applied spec.

The record of "the last test run" is written by the runner's own ``write_record`` (or, in
``test_proven_by_a_real_run_and_rendered_by_redoc``, by the real pytest plugin); the overlay's
targets are checked with an independent RFC 9535 implementation, and the applied spec with
Redocly's CLI and Redoc's page in Chromium.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from snippetgen.errors import UsageError
from snippetgen.integration.cli import cli as snippetgen_cli
from snippetgen.languages import get_language
from snippetgen.loader import load_catalog
from snippetgen.model import Location
from snippetgen.project import Project
from snippetgen.render import render
from snippetgen.runner.collect import Example
from snippetgen.runner.run import Outcome, write_record
from snippetgen.spec import load_specs
from snippetgen.tools.export import (
    apply,
    dump_yaml,
    jsonpath,
    name_selector,
    parse_jsonpath,
    plan,
    read_runs,
)
from snippetgen.workspace import load_workspace

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / "tests" / "node" / "node_modules"
REDOCLY = NODE_MODULES / ".bin" / "redocly"
CHROMIUM = Path("/usr/bin/chromium")
WEIRD = "/v1/it's [weird]\\{id}"
"""A path with a quote, brackets, a backslash and braces: every character a JSONPath name must escape."""

SPEC = textwrap.dedent("""\
    openapi: 3.1.0
    info: {title: Demo API, version: "2.0"}
    servers: [{url: "https://api.demo.test"}]
    # This comment and the layout below must survive `export --format spec`.
    paths:
      /v1/images:
        post:
          operationId: createImage
          summary: Create an image
          # a comment inside the operation
          responses:
            "200": {description: OK}

      "/v1/it's [weird]\\\\{id}":
        get:
          operationId: getWeird
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200":
              description: |
                A block scalar

                with a blank line.
      /v1/plain:
        get:
          operationId: noSnippet
          responses:
            "200": {description: OK}
    """)

PY = "import requests\n\nprint({{ prompt | lit }})\n"
JS = "console.log({{ prompt | lit }});\n"
CURL = "curl -sS https://api.demo.test/v1/images --data {{ prompt | sh }}\n"


@pytest.fixture
def demo(project):
    project.spec("demo", SPEC)
    project.snippet(
        "demo.images",
        {"title": "Create", "operations": ["demo:createImage"], "payload": {"prompt": "a cat"}},
        py=PY,
        js=JS,
        curl=CURL,
    )
    project.snippet(
        "demo.weird",
        {"title": "Weird", "operations": ["demo:getWeird"], "payload": {"prompt": "odd"}},
        py=PY,
        js=JS,
        curl=CURL,
    )
    return project


def workspace(root: Path):
    ws, _ = load_workspace(Project.load(root), validate_specs=False)
    return ws


def record(root: Path, *rows: tuple[str, str, str, bool, list[str]], name: str = "main") -> Path:
    """Write the execution record with the runner's own writer: (usage, snippet key, lang, passed,
    operations called) per example."""
    catalog, _ = load_catalog(root / "shared" / "snippets", root)
    outcomes = []
    for usage, key, lang, passed, ops in rows:
        example = Example(usage, lang, Location(usage.split("::")[0]), catalog.get(key))
        outcome = Outcome(example, "", requests=[{"operation": op} for op in ops])
        if not passed:
            outcome.failures = ["exited with status 1"]
        outcomes.append(outcome)
    path = Project.load(root).record_path.parent / "runs" / f"{name}.json"
    write_record(path, outcomes)
    return path


def all_passed(root: Path, key: str, op: str, usage: str | None = None) -> list:
    folder = key.replace(".", "/")
    usage = usage or f"shared/snippets/{folder}/config.json::{key}"
    return [(usage, key, lang, True, [op]) for lang in ("py", "js", "curl")]


def run_export(root: Path, *args: str):
    return CliRunner().invoke(snippetgen_cli, ["export", "--root", str(root), *args])


# --- JSONPath ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "selector"),
    [
        ("paths", ".paths"),
        ("post", ".post"),
        ("/v1/images", "['/v1/images']"),
        ("x-codeSamples", "['x-codeSamples']"),
        ("/a'b", "['/a\\'b']"),
        ("/c[d]", "['/c[d]']"),
        ("/e\\f", "['/e\\\\f']"),
        ('/g"h', "['/g\"h']"),
        ("/n\nl\t\x01", "['/n\\nl\\t\\u0001']"),
        ("/ünï/{id}", "['/ünï/{id}']"),
        ("9lives", "['9lives']"),
    ],
)
def test_name_selectors_escape_what_rfc9535_requires(name, selector):
    assert name_selector(name) == selector
    assert parse_jsonpath("$" + selector) == [name]


def test_jsonpath_of_an_operation():
    assert jsonpath(["paths", "/v1/images", "post"]) == "$.paths['/v1/images'].post"
    assert parse_jsonpath('$.paths["/v1/x"].get') == ["paths", "/v1/x", "get"]
    for bad in ("paths.x", "$.paths[*]", "$.paths[0]", "$..post", "$['unterminated"):
        with pytest.raises(ValueError):
            parse_jsonpath(bad)


@pytest.mark.skipif(not (NODE_MODULES / "jsonpath-rfc9535").is_dir(), reason="npm ci --prefix tests/node")
def test_targets_select_exactly_their_operation_in_an_independent_rfc9535_implementation(demo):
    """jsonpath-rfc9535 (it passes the JSONPath compliance suite) evaluates every target."""
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    record(demo.root, *all_passed(demo.root, "demo.weird", "demo:getWeird"), name="gw1")
    spec = yaml.safe_load(SPEC)
    spec["paths"]["/v1/a'b\"c"] = {"get": {"operationId": "quotes"}}
    spec["paths"]["/v1/$..*[?@]"] = {"get": {"operationId": "syntax"}}
    targets = [a["target"] for a in overlay_of(demo.root)["actions"]]
    targets += [jsonpath(["paths", "/v1/a'b\"c", "get"]), jsonpath(["paths", "/v1/$..*[?@]", "get"])]
    script = (
        "const { query } = require('jsonpath-rfc9535');\n"
        "const [doc, targets] = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(targets.map(t => query(doc, t).map(n => n.operationId))));\n"
    )
    out = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([spec, targets]),
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [["createImage"], ["getWeird"], ["quotes"], ["syntax"]]
    assert targets[1] == "$.paths['/v1/it\\'s [weird]\\\\{id}'].get"


# --- the overlay ------------------------------------------------------------------------------------


def overlay_of(root: Path, *args: str) -> dict:
    out = root / "out"
    result = run_export(root, "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return yaml.safe_load((out / "demo.overlay.yaml").read_text(encoding="utf-8"))


def test_overlay_adds_one_proven_sample_per_language(demo):
    path = record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    result = run_export(demo.root, "--out", str(demo.root / "out"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "wrote out/demo.overlay.yaml: 3 samples for 1 operation (overlay)",
        "exported 3 samples for 1 of 3 operations (1 without a snippet, 3 samples left out)",
    ]
    doc = yaml.safe_load((demo.root / "out" / "demo.overlay.yaml").read_text(encoding="utf-8"))
    when = doc["info"]["x-snippetgen"]["runs"][0]["time"]
    assert set(doc) == {"overlay", "info", "extends", "actions"}
    assert doc["overlay"] == "1.0.0"
    assert doc["info"]["title"] == "Proven code samples for Demo API"
    assert doc["info"]["version"] == "2.0"
    assert doc["info"]["x-snippetgen"]["runs"] == [{"record": ".snippetgen/runs/main.json", "time": when}]
    assert when.startswith(time.strftime("%Y-", time.gmtime(path.stat().st_mtime)))
    assert doc["extends"] == "../shared/openapi/demo.yaml"
    assert (demo.root / "out" / doc["extends"]).resolve() == (
        demo.root / "shared/openapi/demo.yaml"
    ).resolve()
    [action] = doc["actions"]
    assert action["target"] == "$.paths['/v1/images'].post"
    samples = action["update"]["x-codeSamples"]
    catalog, _ = load_catalog(demo.root / "shared" / "snippets", demo.root)
    for sample, lang in zip(samples, ("py", "js", "curl"), strict=True):
        language = get_language(lang)
        assert sample["lang"] == language.lexer
        assert sample["label"] == language.label
        assert sample["source"] == render(catalog.get("demo.images"), lang).code
        assert sample["x-snippetgen"] == {
            "snippet": "demo.images",
            "example": f"shared/snippets/demo/images/config.json::demo.images::{lang}",
            "proven": True,
            "record": ".snippetgen/runs/main.json",
            "time": when,
        }
    # the weird operation's snippet never ran, the plain one has none: both said on stderr
    assert "demo.weird [py] for demo:getWeird: not exported: not run in the last test run" in result.stderr
    assert "shared/openapi/demo.yaml:26: demo:noSnippet (GET /v1/plain) has no snippet" in result.stderr


def test_overlay_applies_to_the_spec_it_extends(demo):
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    record(demo.root, *all_passed(demo.root, "demo.weird", "demo:getWeird"), name="gw1")
    doc = overlay_of(demo.root)
    assert len(doc["info"]["x-snippetgen"]["runs"]) == 2
    spec = yaml.safe_load(SPEC)
    applied = apply(spec, doc)
    assert [s["label"] for s in applied["paths"][WEIRD]["get"]["x-codeSamples"]] == [
        "Python",
        "JavaScript",
        "cURL",
    ]
    del applied["paths"][WEIRD]["get"]["x-codeSamples"]
    del applied["paths"]["/v1/images"]["post"]["x-codeSamples"]
    assert applied == spec


def test_an_operation_with_hand_written_samples_keeps_them(demo):
    text = SPEC.replace(
        "      summary: Create an image\n",
        "      summary: Create an image\n      x-codeSamples:\n        - {lang: go, label: Go, source: x}\n",
    )
    assert text != SPEC
    demo.spec("demo", text)
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    doc = overlay_of(demo.root)
    assert [a["target"] for a in doc["actions"]] == ["$.paths['/v1/images'].post['x-codeSamples']"] * 3
    applied = apply(yaml.safe_load(text), doc)
    assert [s["label"] for s in applied["paths"]["/v1/images"]["post"]["x-codeSamples"]] == [
        "Go",
        "Python",
        "JavaScript",
        "cURL",
    ]


def test_several_snippets_for_one_operation_export_the_first_and_say_so(demo):
    demo.snippet(
        "demo.another",
        {
            "title": "Poll then create",
            "operations": ["demo:getWeird", "demo:createImage"],
            "payload": {"prompt": "b"},
        },
        py=PY,
        js=JS,
    )
    demo.snippet(
        "demo.also",
        {"title": "Also", "operations": ["demo:createImage"], "payload": {"prompt": "c"}},
        py=PY,
    )
    for key in ("demo.images", "demo.another", "demo.also"):
        record(demo.root, *all_passed(demo.root, key, "demo:createImage"), name=key)
    result = run_export(demo.root, "--out", "out")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((demo.root / "out" / "demo.overlay.yaml").read_text(encoding="utf-8"))
    [action] = doc["actions"]
    # demo.also names it first (like demo.images) and sorts first; demo.another only polls it
    assert {s["x-snippetgen"]["snippet"] for s in action["update"]["x-codeSamples"]} == {"demo.also"}
    assert [s["label"] for s in action["update"]["x-codeSamples"]] == ["Python"]
    assert (
        "demo:createImage is called by 3 snippets; exported one sample per language from demo.also "
        "(not demo.images, demo.another)" in result.stderr
    )


def test_a_snippet_named_by_embed_wins_its_operations(demo):
    demo.snippet(
        "demo.also",
        {"title": "Also", "operations": ["demo:createImage"], "payload": {"prompt": "c"}},
        py=PY,
    )
    demo.page("index.md", PAGE)
    record(demo.root, *all_passed(demo.root, "demo.also", "demo:createImage"))
    usage = "docs/index.md:7::demo.images"
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage", usage), name="gw1")
    result = run_export(demo.root, "--out", "out", "--embed", "docs/index.md:7")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((demo.root / "out" / "demo.overlay.yaml").read_text(encoding="utf-8"))
    samples = doc["actions"][0]["update"]["x-codeSamples"]
    assert [s["x-snippetgen"]["example"] for s in samples] == [
        f"{usage}::{lang}" for lang in ("py", "js", "curl")
    ]
    assert "exported one sample per language from demo.images (not demo.also)" in result.stderr


def test_a_snippet_without_a_proven_sample_gives_way_to_the_next(demo):
    demo.snippet(
        "demo.also",
        {"title": "Also", "operations": ["demo:createImage"], "payload": {"prompt": "c"}},
        py=PY,
    )
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    doc = overlay_of(demo.root)
    assert {s["x-snippetgen"]["snippet"] for s in doc["actions"][0]["update"]["x-codeSamples"]} == {
        "demo.images"
    }


# --- proof -----------------------------------------------------------------------------------------


def test_only_proven_samples_are_exported(demo):
    usage = "shared/snippets/demo/images/config.json::demo.images"
    record(
        demo.root,
        (usage, "demo.images", "py", True, ["demo:createImage"]),
        (usage, "demo.images", "js", False, ["demo:createImage"]),
        (usage, "demo.images", "curl", True, ["demo:getWeird"]),
    )
    result = run_export(demo.root, "--out", "out")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((demo.root / "out" / "demo.overlay.yaml").read_text(encoding="utf-8"))
    assert [s["label"] for s in doc["actions"][0]["update"]["x-codeSamples"]] == ["Python"]
    assert "demo.images [js] for demo:createImage: not exported: failed in the last test run" in result.stderr
    assert (
        "demo.images [curl] for demo:createImage: not exported: its last run called demo:getWeird, "
        "not demo:createImage" in result.stderr
    )


def test_allow_unproven_exports_them_marked_unproven(demo):
    usage = "shared/snippets/demo/images/config.json::demo.images"
    record(demo.root, (usage, "demo.images", "js", False, ["demo:createImage"]))
    doc = overlay_of(demo.root, "--allow-unproven")
    by_op = {a["target"]: a["update"]["x-codeSamples"] for a in doc["actions"]}
    assert len(by_op) == 2
    images = by_op["$.paths['/v1/images'].post"]
    assert [s["x-snippetgen"]["proven"] for s in images] == [False, False, False]
    assert images[1]["x-snippetgen"]["reason"] == "failed in the last test run"
    assert doc["info"]["x-snippetgen"]["proven"] == 0 and doc["info"]["x-snippetgen"]["unproven"] == 6


def test_allow_unproven_works_without_any_test_run(demo):
    result = run_export(demo.root, "--allow-unproven", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "exported unproven (--allow-unproven): not run in the last test run" in result.stderr


def test_nothing_proven_says_run_the_tests_first(demo):
    result = run_export(demo.root, "--out", "out")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "error: nothing to export: no test run is recorded in .snippetgen/runs/" in result.stderr
    assert "hint:     run the tests first (`pytest`" in result.stderr
    assert "Traceback" not in result.output
    assert not (demo.root / "out").exists()

    record(
        demo.root, ("shared/snippets/demo/images/config.json::demo.images", "demo.images", "py", False, [])
    )
    again = run_export(demo.root, "--out", "out")
    assert again.exit_code == 1
    assert "no sample is proven by the last test run (.snippetgen/runs/)" in again.stderr
    assert "demo.images [py] for demo:createImage: not exported: failed in the last test run" in again.stderr


def test_a_sample_edited_after_its_run_is_not_proven(demo):
    path = record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    template = demo.root / "shared" / "snippets" / "demo" / "images" / "js.jinja"
    later = path.stat().st_mtime + 5
    os.utime(template, (later, later))
    result = run_export(demo.root, "--out", "out")
    assert result.exit_code == 0, result.output
    assert (
        "demo.images [js] for demo:createImage: not exported: shared/snippets/demo/images/js.jinja changed "
        "after the test run of" in result.stderr
    )
    doc = yaml.safe_load((demo.root / "out" / "demo.overlay.yaml").read_text(encoding="utf-8"))
    assert [s["label"] for s in doc["actions"][0]["update"]["x-codeSamples"]] == ["Python", "cURL"]


def test_a_skipped_snippet_says_so(demo):
    demo.snippet(
        "demo.weird",
        {
            "title": "W",
            "operations": ["demo:getWeird"],
            "payload": {"prompt": "o"},
            "test": {"skip": "needs a GPU"},
        },
        py=PY,
    )
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    result = run_export(demo.root, "--out", "out", "--embed", str(demo.root / "docs" / "index.md") + ":3")
    assert result.exit_code == 2 and "docs/index.md:3: no <snippet> tag starts on this line" in result.stderr
    result = run_export(demo.root, "--out", "out")
    assert result.exit_code == 0, result.output
    assert (
        "shared/snippets/demo/weird/config.json:1: demo.weird [py] for demo:getWeird: not exported: "
        "its config skips its test (test.skip: needs a GPU)" in result.stderr
    )


def test_a_failing_duplicate_row_wins(demo):
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    usage = "shared/snippets/demo/images/config.json::demo.images"
    record(demo.root, (usage, "demo.images", "py", False, ["demo:createImage"]), name="gw1")
    runs = read_runs(Project.load(demo.root))
    assert runs[f"{usage}::py"].passed is False
    assert runs[f"{usage}::js"].passed is True


def test_a_broken_record_file_is_skipped(demo):
    path = record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    (path.parent / "gw9.json").write_text("{not json", encoding="utf-8")
    (path.parent / "gw8.json").write_text('{"executed": [1, {"id": 2}]}', encoding="utf-8")
    assert len(read_runs(Project.load(demo.root))) == 3


# --- embeds --------------------------------------------------------------------------------------


PAGE = textwrap.dedent("""\
    # Images

    <snippet data-name="demo.images" data-prompt="a fox"></snippet>

    <snippet data-name="demo.images"></snippet>

    <snippet data-name="demo.images" data-prompt="an owl"></snippet>
    """)


def test_an_embedded_snippet_exports_its_plain_embed_or_the_one_named(demo):
    demo.page("index.md", PAGE)
    for line in (3, 5, 7):
        record(
            demo.root,
            *all_passed(demo.root, "demo.images", "demo:createImage", f"docs/index.md:{line}::demo.images"),
            name=f"line{line}",
        )
    plain = overlay_of(demo.root)["actions"][0]["update"]["x-codeSamples"]
    assert plain[0]["source"] == 'import requests\n\nprint("a cat")\n'
    assert plain[0]["x-snippetgen"]["example"] == "docs/index.md:5::demo.images::py"

    result = run_export(demo.root, "--out", "out", "--embed", "docs/index.md:7")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((demo.root / "out" / "demo.overlay.yaml").read_text(encoding="utf-8"))
    named = doc["actions"][0]["update"]["x-codeSamples"]
    assert named[0]["source"] == 'import requests\n\nprint("an owl")\n'
    assert named[2]["source"] == "curl -sS https://api.demo.test/v1/images --data 'an owl'\n"
    assert named[0]["x-snippetgen"]["example"] == "docs/index.md:7::demo.images::py"
    assert (
        'docs/index.md:7:1: demo.images is exported as embedded here (data-prompt="an owl")\n'
        in result.stderr
    )


def test_every_embed_with_overrides_exports_the_first_and_says_its_defaults_never_ran(demo):
    demo.page("index.md", PAGE.replace('<snippet data-name="demo.images"></snippet>', ""))
    record(
        demo.root, *all_passed(demo.root, "demo.images", "demo:createImage", "docs/index.md:3::demo.images")
    )
    result = run_export(demo.root, "--out", "out")
    assert result.exit_code == 0, result.output
    assert "every page embeds it with overrides, so its defaults never ran" in result.stderr
    doc = yaml.safe_load((demo.root / "out" / "demo.overlay.yaml").read_text(encoding="utf-8"))
    assert doc["actions"][0]["update"]["x-codeSamples"][0]["source"] == 'import requests\n\nprint("a fox")\n'


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("docs/index.md", "--embed 'docs/index.md': expected PAGE:LINE"),
        ("docs/index.md:0", "expected PAGE:LINE"),
        (
            "docs/index.md:4",
            "docs/index.md:4: no <snippet> tag starts on this line\n"
            "    hint:     its embeds start on lines 3 (demo.images), 5 (demo.images), 7 (demo.images)",
        ),
        (
            "docs/nope.md:3",
            "docs/nope.md:3: no <snippet> tag starts on this line\n    hint:     no such page: docs/nope.md",
        ),
    ],
)
def test_bad_embed_is_a_usage_error(demo, arg, message):
    demo.page("index.md", PAGE)
    result = run_export(demo.root, "--allow-unproven", "--embed", arg)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_two_embeds_of_one_snippet_is_a_usage_error(demo):
    demo.page("index.md", PAGE)
    ws = workspace(demo.root)
    with pytest.raises(UsageError, match="names two embeds of demo.images"):
        plan(ws, {}, embeds=["docs/index.md:3", "docs/index.md:7"])


# --- other errors --------------------------------------------------------------------------------


def test_usage_errors_exit_2_without_a_traceback(demo):
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    into_specs = run_export(demo.root, "--out", "shared/openapi")
    assert into_specs.exit_code == 2
    assert (
        "error: --out shared/openapi is the specs folder: the export would overwrite the specs"
        in into_specs.stderr
    )
    (demo.root / "afile").write_text("x", encoding="utf-8")
    onto_file = run_export(demo.root, "--out", "afile")
    assert onto_file.exit_code == 2 and "Traceback" not in onto_file.output
    bad_format = run_export(demo.root, "--format", "html")
    assert bad_format.exit_code == 2

    shutil.rmtree(demo.root / "shared" / "openapi")
    no_specs = subprocess.run(
        [sys.executable, "-m", "snippetgen", "export", "--root", str(demo.root)],
        capture_output=True,
        text=True,
    )
    assert no_specs.returncode == 2
    assert no_specs.stderr.startswith("error: no specs folder at shared/openapi")
    assert "Traceback" not in no_specs.stderr


def test_no_snippet_calls_any_operation(project):
    project.spec("demo", SPEC)
    result = run_export(project.root, "--out", "out")
    assert result.exit_code == 1
    assert "demo:createImage (POST /v1/images) has no snippet" in result.stderr
    assert "error: nothing to export: no test run is recorded" in result.stderr
    again = run_export(project.root, "--out", "out", "--allow-unproven")
    assert again.exit_code == 1
    assert "nothing to export: no operation of the specs has a snippet" in again.stderr


def test_a_ref_path_item_cannot_be_targeted_and_is_said(demo):
    demo.spec(
        "demo",
        SPEC.replace("paths:\n", "paths:\n  /v1/shared:\n    $ref: '#/components/pathItems/Shared'\n")
        + "components:\n  pathItems:\n    Shared:\n      get:\n        operationId: shared\n"
        "        responses:\n          '200': {description: OK}\n",
    )
    demo.snippet(
        "demo.shared", {"title": "S", "operations": ["demo:shared"], "payload": {"prompt": "s"}}, py=PY
    )
    result = run_export(demo.root, "--out", "out", "--allow-unproven")
    assert result.exit_code == 0, result.output
    assert "demo:shared: not exported: its path item is a $ref" in result.stderr


# --- the applied spec ----------------------------------------------------------------------------


def test_spec_format_inserts_the_samples_into_the_original_text(demo):
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    record(demo.root, *all_passed(demo.root, "demo.weird", "demo:getWeird"), name="gw1")
    result = run_export(demo.root, "--format", "spec", "--out", "out")
    assert result.exit_code == 0, result.output
    assert (
        "wrote out/demo.yaml: 6 samples for 2 operations (the original text with the samples inserted)"
        in result.stdout
    )
    text = (demo.root / "out" / "demo.yaml").read_text(encoding="utf-8")
    # Every original line is there, in order, untouched; only whole x-codeSamples blocks were added.
    original, lines = SPEC.splitlines(), text.splitlines()
    opcodes = difflib.SequenceMatcher(None, original, lines, autojunk=False).get_opcodes()
    inserted = [lines[j1:j2] for tag, _, _, j1, j2 in opcodes if tag != "equal"]
    assert [tag for tag, *_ in opcodes if tag != "equal"] == ["insert", "insert"]
    assert [block[0] for block in inserted] == ["      x-codeSamples:", "      x-codeSamples:"]
    assert "# a comment inside the operation" in text
    overlay_doc = overlay_of(demo.root)
    assert yaml.safe_load(text) == apply(yaml.safe_load(SPEC), overlay_doc)
    # still a valid OpenAPI document to snippetgen's own reader and validator
    specs, problems = load_specs(demo.root / "out" / "demo.yaml", demo.root)
    assert [p for p in problems if p.code in ("spec-yaml", "spec-invalid")] == []
    assert len(specs.apis["demo"].operations) == 3


def test_spec_format_keeps_crlf_line_endings(demo):
    crlf = SPEC.replace("\n", "\r\n")
    (demo.root / "shared" / "openapi" / "demo.yaml").write_bytes(crlf.encode())
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    result = run_export(demo.root, "--format", "spec", "--out", "out")
    assert "(the original text with the samples inserted)" in result.stdout, result.output
    data = (demo.root / "out" / "demo.yaml").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > crlf.count("\n")
    assert yaml.safe_load(data) == apply(yaml.safe_load(SPEC), overlay_of(demo.root))


def test_spec_format_falls_back_to_a_faithful_dump_for_flow_style(demo):
    flow = SPEC.replace(
        "    post:\n      operationId: createImage\n      summary: Create an image\n      # a comment inside the operation\n"
        '      responses:\n        "200": {description: OK}\n',
        '    post: {operationId: createImage, summary: Create an image, responses: {"200": {description: OK}}}\n',
    )
    assert flow != SPEC
    demo.spec("demo", flow)
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    result = run_export(demo.root, "--format", "spec", "--out", "out")
    assert result.exit_code == 0, result.output
    assert "(re-serialized: comments and layout not kept)" in result.stdout
    applied = yaml.safe_load((demo.root / "out" / "demo.yaml").read_text(encoding="utf-8"))
    assert applied == apply(yaml.safe_load(flow), overlay_of(demo.root))


def test_spec_format_keeps_a_json_spec_json(demo):
    shutil.rmtree(demo.root / "shared" / "openapi")
    (demo.root / "shared" / "openapi").mkdir()
    (demo.root / "shared" / "openapi" / "demo.json").write_text(
        json.dumps(yaml.safe_load(SPEC)), encoding="utf-8"
    )
    record(demo.root, *all_passed(demo.root, "demo.images", "demo:createImage"))
    result = run_export(demo.root, "--format", "spec", "--out", "out")
    assert result.exit_code == 0, result.output
    applied = json.loads((demo.root / "out" / "demo.json").read_text(encoding="utf-8"))
    assert [s["label"] for s in applied["paths"]["/v1/images"]["post"]["x-codeSamples"]] == [
        "Python",
        "JavaScript",
        "cURL",
    ]


def test_code_is_written_as_literal_blocks():
    text = dump_yaml({"source": "line one\nline two\n", "one": "x"})
    assert text == "source: |\n  line one\n  line two\none: x\n"


# --- real consumers --------------------------------------------------------------------------------

REDOCLY_ENV = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}
HOUSE_STYLE = textwrap.dedent("""\
    # This repository's house style: open APIs (no security scheme) and unlicensed specs are deliberate.
    extends: [recommended]
    rules:
      security-defined: off
      info-license: off
    """)

needs_redocly = pytest.mark.skipif(
    not REDOCLY.is_file(), reason="npm ci --prefix tests/node installs @redocly/cli"
)


def redocly(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REDOCLY), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **REDOCLY_ENV},
    )


def lint_problems(spec: Path, cwd: Path) -> list[tuple[str, str]]:
    out = redocly("lint", str(spec), "--format=json", cwd=cwd)
    report = json.loads(out.stdout[out.stdout.index("{") :])
    return sorted((p["ruleId"], p["message"]) for p in report["problems"])


@needs_redocly
@pytest.mark.slow
def test_redocly_lint_finds_nothing_new_in_this_repositorys_exported_specs(tmp_path):
    """Every spec of this repository, with every snippet's samples (--allow-unproven: this test is
    about the consumer, not the proof): Redocly's recommended rules find exactly what they find in
    the source, and with the house style's two exceptions nothing at all."""
    out = tmp_path / "out"
    result = run_export(REPO, "--format", "spec", "--out", str(out), "--allow-unproven")
    assert result.exit_code == 0, result.output
    sources = sorted((REPO / "shared" / "openapi").glob("*.yaml"))
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in sources]
    (tmp_path / "redocly.yaml").write_text(HOUSE_STYLE, encoding="utf-8")
    for source in sources:
        exported = out / source.name
        assert "x-codeSamples:" in exported.read_text(encoding="utf-8")
        assert lint_problems(exported, tmp_path / "out") == lint_problems(source, tmp_path / "out"), (
            source.name
        )
        house = redocly("lint", str(exported), "--config", str(tmp_path / "redocly.yaml"), cwd=tmp_path)
        assert house.returncode == 0, house.stdout + house.stderr


TINY_SPEC = textwrap.dedent("""\
    openapi: 3.1.0
    info: {title: Tiny, version: "1.0", description: A tiny API.}
    servers: [{url: "https://api.tiny.test/v1"}]
    tags: [{name: Echo, description: Echoes.}]
    paths:
      /echo:
        post:
          operationId: echo
          tags: [Echo]
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
TINY_PY = textwrap.dedent("""\
    import requests

    r = requests.post({{ baseUrl | lit }} + "/echo", json={"prompt": {{ prompt | lit }}}, timeout=10)
    r.raise_for_status()
    print(r.json())
    """)
TINY_JS = textwrap.dedent("""\
    const r = await fetch({{ baseUrl | lit }} + "/echo", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({prompt: {{ prompt | lit }}}),
    });
    if (!r.ok) { console.error("HTTP", r.status); process.exit(1); }
    console.log(await r.json());
    """)
TINY_CURL = (
    "curl -sS --fail-with-body {{ (baseUrl ~ '/echo') | lit }} -H 'Content-Type: application/json' "
    "--data {{ {'prompt': prompt} | json | sh }}\n"
)


@needs_redocly
@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="/usr/bin/chromium is not installed (apt-get install chromium)"
)
def test_proven_by_a_real_run_and_rendered_by_redoc(pytester):
    """The real pytest plugin runs the tiny project's examples against the mock; the export proves
    them with that record; Redocly lints and builds the applied spec; Redoc's page in Chromium shows
    the Python, JavaScript and cURL samples of the operation."""
    root = pytester.path
    pytester.makefile(".yaml", **{"shared/openapi/tiny": TINY_SPEC})
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = docs shared/snippets\n")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text(
        '# Echo\n\n<snippet data-name="tiny.echo"></snippet>\n', encoding="utf-8"
    )
    folder = root / "shared" / "snippets" / "tiny" / "echo"
    folder.mkdir(parents=True)
    config = {
        "title": "Echo",
        "operations": ["tiny:echo"],
        "payload": {"baseUrl": "https://api.tiny.test/v1", "prompt": "hello from a proven sample"},
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    for lang, source in (("py", TINY_PY), ("js", TINY_JS), ("curl", TINY_CURL)):
        (folder / f"{lang}.jinja").write_text(source, encoding="utf-8")

    ran = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    ran.assert_outcomes(passed=3)

    out = root / "out"
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "snippetgen",
            "export",
            "--root",
            str(root),
            "--format",
            "spec",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert (
        exported.stdout.splitlines()[0]
        == "wrote out/tiny.yaml: 3 samples for 1 operation (the original text with the samples inserted)"
    )
    spec = yaml.safe_load((out / "tiny.yaml").read_text(encoding="utf-8"))
    samples = spec["paths"]["/echo"]["post"]["x-codeSamples"]
    assert [s["x-snippetgen"]["example"] for s in samples] == [
        f"docs/index.md:3::tiny.echo::{lang}" for lang in ("py", "js", "curl")
    ]
    assert {s["x-snippetgen"]["record"] for s in samples} == {".snippetgen/runs/main.json"}
    assert all(s["x-snippetgen"]["proven"] for s in samples)

    (root / "redocly.yaml").write_text(HOUSE_STYLE, encoding="utf-8")
    lint = redocly("lint", "out/tiny.yaml", cwd=root)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert lint_problems(out / "tiny.yaml", root) == lint_problems(root / "shared/openapi/tiny.yaml", root)
    built = redocly(
        "build-docs", "out/tiny.yaml", "--output", "out/reference.html", "--disableGoogleFont", cwd=root
    )
    assert built.returncode == 0, built.stdout + built.stderr

    shown, errors = redoc_samples(out / "reference.html", "tag/Echo/operation/echo")
    assert [label for label in shown if label in ("Python", "JavaScript", "cURL")] == [
        "Python",
        "JavaScript",
        "cURL",
    ]
    for sample in samples:
        assert shown[sample["label"]].rstrip("\n") == sample["source"].rstrip("\n")
    # Redoc 2.5.3's page hydrates with React errors #418/#423 (server and client render differ) for
    # the source spec too, then renders on the client; the samples must add no error of their own.
    plain = redocly(
        "build-docs",
        "shared/openapi/tiny.yaml",
        "--output",
        "out/plain.html",
        "--disableGoogleFont",
        cwd=root,
    )
    assert plain.returncode == 0, plain.stdout + plain.stderr
    shown_plain, errors_plain = redoc_samples(out / "plain.html", "tag/Echo/operation/echo")
    assert "Python" not in shown_plain
    assert errors <= errors_plain


def redoc_samples(html: Path, section: str) -> tuple[dict[str, str], set[str]]:
    """Tab label -> code of every request sample Redoc shows in the operation's section, and the
    errors the page raised.

    The page asks for Redoc's bundle on a CDN; it gets the same file from the npm package Redocly's
    CLI installed (``redoc``), and nothing else from the network (images are refused quietly).
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_site_browser import ARGS

    bundle = NODE_MODULES / "redoc" / "bundles" / "redoc.standalone.js"
    outside: list[str] = []

    def route(r):
        if r.request.url.endswith("/redoc.standalone.js"):
            r.fulfill(path=str(bundle), content_type="application/javascript")
        else:  # Redoc's "by Redocly" logo is the one image it asks for; any script or data fails the test
            if r.request.resource_type != "image":
                outside.append(r.request.url)
            r.abort()

    shown: dict[str, str] = {}
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route("http*://**/*", route)
            page.goto(html.as_uri(), wait_until="load")
            page.wait_for_function("() => window.Redoc !== undefined")
            operation = page.locator(f'[data-section-id="{section}"]')
            tabs = operation.get_by_role("tab")
            tabs.first.wait_for(timeout=30_000)
            for i in range(tabs.count()):
                tab = tabs.nth(i)
                tab.click()
                panel = operation.locator(f'[id="{tab.get_attribute("aria-controls")}"]')
                code = panel.locator("pre")
                if code.count():
                    shown[tab.inner_text().strip()] = code.first.inner_text()
        finally:
            browser.close()
    assert outside == []
    return shown, set(errors)
