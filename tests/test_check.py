"""`snippetgen check` on real files in temporary projects: every rule, with exact locations."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from snippetgen.check import RULES, check_project, run_check
from snippetgen.integration.cli import cli as snippetgen_cli
from snippetgen.model import Counts

PY_OK = "import os\nprint({{ prompt | lit }})\n"
JS_OK = "console.log({{ prompt | lit }});\n"
CURL_OK = "curl -sS https://example.test --data {{ prompt | sh }}\n"


def lines(problems):
    return [p.format().splitlines()[0] for p in problems]


def good(project, key="demo.hello", **payload):
    return project.snippet(
        key, {"title": "Hello", "payload": {"prompt": "hi", **payload}}, py=PY_OK, js=JS_OK, curl=CURL_OK
    )


def test_clean_project_has_no_problems(project):
    good(project)
    project.page("index.md", '# Home\n\n<snippet data-name="demo.hello" data-prompt="other"></snippet>\n')
    assert run_check(project.root) == []


def test_unknown_config_key_points_at_line_and_pointer(project):
    project.snippet(
        "demo.hello",
        '{\n  "title": "x",\n  "payload": {},\n  "colour": "red"\n}\n',
        py=PY_OK.replace("{{ prompt | lit }}", "1"),
    )
    found = lines(run_check(project.root))
    assert found == ["shared/snippets/demo/hello/config.json:4:13: unknown key 'colour' at / [config-schema]"]


def test_invalid_json_config(project):
    project.snippet("demo.hello", '{\n  "title": "x",\n}\n', py="print(1)\n")
    (problem,) = run_check(project.root)
    assert str(problem.location) == "shared/snippets/demo/hello/config.json:3:1"
    assert problem.code == "config-json"


def test_missing_title_and_wrong_type(project):
    project.snippet("demo.hello", '{\n  "payload": [1, 2]\n}\n', py="print(1)\n")
    found = lines(run_check(project.root))
    assert (
        "shared/snippets/demo/hello/config.json:1:1: /: 'title' is a required property [config-schema]"
        in found
    )
    assert any(line.startswith("shared/snippets/demo/hello/config.json:2:14: /payload:") for line in found)


def test_template_syntax_error_has_template_line(project):
    project.snippet("demo.hello", {"title": "x"}, py="print(1)\n{% if x %}\nprint(2)\n")
    (problem,) = run_check(project.root)
    assert str(problem.location) == "shared/snippets/demo/hello/py.jinja:3"
    assert problem.code == "template-syntax"


def test_undefined_variable_is_an_error_at_first_use(project):
    project.snippet(
        "demo.hello",
        {"title": "x", "payload": {"prompt": "p"}},
        py="print({{ prompt | lit }})\nmodel = {{ model | lit }}\n",
    )
    found = lines(run_check(project.root))
    assert found == [
        "shared/snippets/demo/hello/py.jinja:2: undefined variable 'model': "
        "no default in config.json payload [undefined-variable]"
    ]


def test_variable_set_by_every_embed_is_fine_but_one_missing_embed_is_not(project):
    project.snippet("demo.hello", {"title": "x"}, py="print({{ model | lit }})\n")
    project.page("a.md", '<snippet data-name="demo.hello" data-model="m1"></snippet>\n')
    assert run_check(project.root) == []
    project.page("b.md", 'text\n\n<snippet data-name="demo.hello"></snippet>\n')
    found = lines(run_check(project.root))
    assert found == [
        "shared/snippets/demo/hello/py.jinja:1: undefined variable 'model': no default in config.json "
        "payload; not set by the embed at docs/b.md:3:1 [undefined-variable]"
    ]


def test_unknown_embed_suggests_a_name(project):
    good(project)
    project.page("guide/x.md", '# X\n\nsome text\n<snippet data-name="demo.helo"></snippet>\n')
    (problem,) = run_check(project.root)
    assert str(problem.location) == "docs/guide/x.md:4:1"
    assert problem.code == "unknown-snippet"
    assert "did you mean 'demo.hello'" in problem.hint


def test_embed_inside_a_code_block_is_not_an_embed(project):
    good(project)
    project.page("x.md", '```html\n<snippet data-name="nope.nope"></snippet>\n```\n')
    assert run_check(project.root) == []


def test_unused_override_is_reported(project):
    good(project)
    project.page("x.md", '<snippet data-name="demo.hello" data-promt="x"></snippet>\n')
    (problem,) = run_check(project.root)
    assert str(problem.location) == "docs/x.md:1:1"
    assert problem.hint == "did you mean data-prompt?"


@pytest.mark.parametrize(
    ("lang", "source", "line"),
    [
        ("py", "import os\n\ndef main()\n    print({{ prompt | lit }})\n", 3),
        ("js", "const a = 1;\nconsole.log('{{ prompt }}');\n", 2),
        ("js", "import fs from 'node:fs';\n\nconst x = await fs.promises.readFile(\n", 4),
        ("curl", 'curl -sS https://x \\\n  -d "{{ prompt }}\n', 2),
    ],
)
def test_rendered_syntax_errors_point_at_the_template_line(project, lang, source, line):
    project.snippet("demo.hello", {"title": "x", "payload": {"prompt": "it's"}}, **{lang: source})
    (problem,) = run_check(project.root)
    assert problem.code == "syntax-error"
    assert problem.location.path == f"shared/snippets/demo/hello/{lang}.jinja"
    assert problem.location.line == line or (lang == "curl" and problem.location.line in (2, 3))


def test_syntax_error_only_with_an_embeds_override_names_the_embed(project):
    project.snippet("demo.hello", {"title": "x", "payload": {"prompt": "fine"}}, py="x = '{{ prompt }}'\n")
    project.page("p.md", '\n<snippet data-name="demo.hello" data-prompt="it\'s"></snippet>\n')
    (problem,) = run_check(project.root)
    assert str(problem.location) == "shared/snippets/demo/hello/py.jinja:1"
    assert "as embedded at docs/p.md:2:1" in problem.message


def test_lit_filter_keeps_quotes_and_newlines_valid_in_every_language(project):
    nasty = 'it\'s "quoted"\nsecond line $HOME `id` \\ end'
    project.snippet(
        "demo.hello",
        {"title": "x", "payload": {"prompt": nasty}},
        py=PY_OK,
        js=JS_OK,
        curl="printf '%s' {{ prompt | lit }}\n",
    )
    assert run_check(project.root) == []
    from snippetgen.loader import load_catalog
    from snippetgen.render import render

    catalog, _ = load_catalog(project.root / "shared" / "snippets")
    snippet = catalog.get("demo.hello")
    out = subprocess.run([sys.executable, "-c", render(snippet, "py").code], capture_output=True, text=True)
    assert out.stdout == nasty + "\n"
    out = subprocess.run(["node", "-e", render(snippet, "js").code], capture_output=True, text=True)
    assert out.stdout == nasty + "\n"
    out = subprocess.run(
        ["bash", "-c", render(snippet, "curl").code],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": "/nowhere"},
    )
    assert out.stdout == nasty


@pytest.mark.parametrize("folder", ["text_to_video", "Video", "a--b", "-x"])
def test_bad_folder_names_are_errors_with_a_hint(project, folder):
    project.snippet(f"demo.{folder}", {"title": "x"}, py="print(1)\n")
    (problem,) = run_check(project.root)
    assert problem.code == "bad-name"
    assert str(problem.location) == f"shared/snippets/demo/{folder}"
    if "_" in folder:
        assert problem.hint == "rename the folder to 'text-to-video'"


def test_symlink_out_of_the_catalog_is_refused(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "evil").mkdir()
    (outside / "evil" / "config.json").write_text('{"title": "x"}')
    (outside / "evil" / "py.jinja").write_text("print(1)\n")
    (project.root / "shared" / "snippets" / "demo").mkdir(parents=True)
    (project.root / "shared" / "snippets" / "demo" / "evil").symlink_to(outside / "evil")
    (problem,) = run_check(project.root)
    assert problem.code == "outside-root"
    assert str(problem.location) == "shared/snippets/demo/evil"


def test_unknown_language_template(project):
    project.snippet("demo.hello", {"title": "x"}, python="print(1)\n")
    problems = run_check(project.root)
    assert [(str(p.location), p.code) for p in problems] == [
        ("shared/snippets/demo/hello", "missing-template"),
        ("shared/snippets/demo/hello/python.jinja", "unknown-language"),
    ]
    assert problems[1].hint == "did you mean py.jinja?"


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ('API_KEY = "sk-proj-abcdefghijklmnopqrstuvwx12"\n', 1, 12),
        ("print(1)\ntoken = 'AKIAABCDEFGHIJKLMNOP'\n", 2, 10),
        ("print(1)\n\nh = '0123456789abcdef0123456789abcdef'\n", 3, 6),
    ],
)
def test_secrets_in_templates_are_errors(project, text, line, col):
    project.snippet("demo.hello", {"title": "x"}, py=text)
    (problem,) = run_check(project.root)
    assert (problem.code, str(problem.location)) == (
        "secret",
        f"shared/snippets/demo/hello/py.jinja:{line}:{col}",
    )
    assert "abcdefghijklmnop" not in problem.format()  # the secret itself is never echoed


def test_secret_in_a_page_and_in_a_config(project):
    project.snippet(
        "demo.hello", {"title": "x", "payload": {"apiKey": "sk-abcdefghijklmnopqrstuvwxyz"}}, py="print(1)\n"
    )
    project.page("x.md", "# X\n\nghp_abcdefghijklmnopqrstuvwxyz0123456789\n")
    found = sorted(str(p.location) for p in run_check(project.root))
    assert found == ["docs/x.md:3:1", "shared/snippets/demo/hello/config.json:4:16"]


def test_reserved_variable_name(project):
    project.snippet("demo.hello", {"title": "x", "payload": {"name": "a"}}, py="print(1)\n")
    (problem,) = run_check(project.root)
    assert problem.code == "config-schema"
    assert str(problem.location).startswith("shared/snippets/demo/hello/config.json:")


def test_every_problem_in_one_run(project):
    project.snippet("demo.a", '{"title": 1}', py="print(1)\n")
    project.snippet("demo.b", {"title": "b"}, py="print({{ nope }})\n")
    project.snippet("demo.c", {"title": "c"}, js="console.log('it's');\n")
    project.page("x.md", '<snippet data-name="demo.zzz"></snippet>\n')
    codes = sorted(p.code for p in run_check(project.root))
    assert codes == ["config-schema", "syntax-error", "undefined-variable", "unknown-snippet"]
    assert set(codes) <= REGISTERED


# --- the rules, listed once ---------------------------------------------------------------------

REGISTERED = {code for rule in RULES for code in rule.codes}
PACKAGE = Path(__file__).resolve().parent.parent / "snippetgen"
NOT_THE_CHECK = {
    "secret-leak": "build: a key's value found in the built site",
    "site-config": "build: mkdocs.yml missing or invalid",
    "site-build": "build: MkDocs failed",
    "site-warning": "build: a MkDocs warning in strict mode",
    "internal": "the MkDocs plugin: the check itself failed in its worker",
    **dict.fromkeys(
        ["hbs-config", "hbs-exists", "hbs-folder-name", "hbs-layout", "hbs-line-endings", "hbs-unsupported"],
        "import-hbs",
    ),
}


def problem_codes() -> tuple[set[str], set[str]]:
    """Codes of every ``Problem(...)`` in the package, and the files that pass a code not written out."""
    codes, computed = set(), set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or getattr(node.func, "id", None) != "Problem":
                continue
            code = (
                node.args[2]
                if len(node.args) > 2
                else next(k.value for k in node.keywords if k.arg == "code")
            )
            if isinstance(code, ast.Constant):
                codes.add(code.value)
            else:
                computed.add(path.relative_to(PACKAGE).as_posix())
    return codes, computed


def test_every_problem_code_belongs_to_a_registered_rule():
    codes, computed = problem_codes()
    assert len(codes) > 30
    assert sorted(codes - REGISTERED - set(NOT_THE_CHECK)) == []  # a new code needs a rule (or a reason)
    assert sorted(REGISTERED - codes) == []  # and every registered code is still reported somewhere
    assert not REGISTERED & set(NOT_THE_CHECK)
    assert computed == {"tools/hbs_import.py"}  # import-hbs passes its parser's codes along


def test_each_code_has_one_rule_and_each_rule_one_line():
    codes = [code for rule in RULES for code in rule.codes]
    assert len(codes) == len(set(codes))
    for rule in RULES:
        assert rule.codes and rule.description.endswith(".") and "\n" not in rule.description


def test_check_help_lists_every_rule():
    result = CliRunner().invoke(snippetgen_cli, ["check", "--help"], terminal_width=80)
    assert result.exit_code == 0
    rules = " ".join(result.output.split("Rules, by the problem codes they report:", 1)[1].split())
    for rule in RULES:
        assert f"{', '.join(rule.codes)} {rule.description}" in rules


def test_cli_exit_codes_and_formats(project):
    good(project)
    cli = [sys.executable, "-m", "snippetgen"]
    ok = subprocess.run([*cli, "check", "--root", str(project.root)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    project.page("x.md", '\n<snippet data-name="demo.zzz"></snippet>\n')
    bad = subprocess.run(
        [*cli, "check", "--root", str(project.root), "--format", "json"], capture_output=True, text=True
    )
    assert bad.returncode == 1
    data = json.loads(bad.stdout)
    assert data["problems"][0]["path"] == "docs/x.md" and data["problems"][0]["line"] == 2
    gh = subprocess.run(
        [*cli, "check", "--root", str(project.root), "--format", "github"], capture_output=True, text=True
    )
    assert gh.stdout.startswith("::error file=docs/x.md,line=2,col=1,title=snippetgen unknown-snippet::")
    usage = subprocess.run([*cli, "check", "--format", "xml"], capture_output=True, text=True)
    assert usage.returncode == 2
    missing = subprocess.run(
        [*cli, "check", "--root", str(project.root / "nope")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_check_says_what_it_covered(project):
    good(project)
    project.page("index.md", '# Home\n\n<snippet data-name="demo.hello" data-prompt="other"></snippet>\n')
    project.page("about.md", "# About\n")
    report = check_project(project.root)
    assert report.problems == []
    assert report.counts == Counts(snippets=1, templates=3, pages=2, embeds=1, specs=0, operations=0)
    assert re.fullmatch(
        r"1 snippet, 3 templates, 2 pages, 1 embed, 0 specs \(0 operations\): clean in \d+\.\d s",
        report.summary(),
    )

    cli = CliRunner()
    ok = cli.invoke(snippetgen_cli, ["check", "--root", str(project.root)])
    assert ok.exit_code == 0
    assert ok.output.splitlines()[-1].startswith("1 snippet, 3 templates, 2 pages, 1 embed, 0 specs")

    project.page("about.md", '# About\n\n<snippet data-name="demo.zzz"></snippet>\n')
    bad = cli.invoke(snippetgen_cli, ["check", "--root", str(project.root)])
    assert bad.exit_code == 1
    assert re.fullmatch(
        r"1 snippet, 3 templates, 2 pages, 2 embeds, 0 specs \(0 operations\): 1 problem in \d+\.\d s",
        bad.output.splitlines()[-1],
    )
    data = json.loads(
        cli.invoke(snippetgen_cli, ["check", "--root", str(project.root), "--format", "json"]).output
    )
    assert data["count"] == 1 and data["problems"][0]["code"] == "unknown-snippet"
    assert data["counts"] == {
        "snippets": 1,
        "templates": 3,
        "pages": 2,
        "embeds": 2,
        "specs": 0,
        "operations": 0,
    }
    assert isinstance(data["seconds"], float)


def test_render_command(project):
    good(project, model="m")
    cli = [sys.executable, "-m", "snippetgen"]
    out = subprocess.run(
        [*cli, "render", "demo.hello", "--lang", "js", "--set", "prompt=a'b", "--root", str(project.root)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0
    assert out.stdout == 'console.log("a\'b");\n'
    out = subprocess.run(
        [*cli, "render", "demo.hellp", "--root", str(project.root)], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "unknown snippet 'demo.hellp'" in out.stderr and "did you mean demo.hello?" in out.stderr
    out = subprocess.run(
        [*cli, "render", "demo.hello", "--lang", "rb", "--root", str(project.root)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "known languages: py, js, curl" in out.stderr


def test_core_imports_no_host():
    code = (
        "import sys, snippetgen.check, snippetgen.render, snippetgen.loader, snippetgen.pages; "
        "print(sorted(m for m in ('click', 'mkdocs', 'pytest') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent
    )
    assert out.stdout.strip() == "[]", out.stderr


TINY_SPEC = """\
openapi: 3.1.0
info: {title: Tiny, version: "1.0"}
servers: [{url: "https://api.tiny.test/v1"}]
paths:
  /echo:
    post:
      operationId: echo
      summary: Echo
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [prompt]
              properties:
                prompt: {type: string}
                mode: {type: string, enum: [fast, slow]}
                steps: {type: integer, minimum: 1, maximum: 50}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
              example: {}
        "400": {description: bad}
"""


def spec_project(project, operations, **payload):
    project.spec("tiny", TINY_SPEC)
    config = {
        "title": "Echo",
        "operations": operations,
        "payload": {"prompt": "hi", "mode": "fast", **payload},
    }
    project.snippet("demo.echo", config, py="print({{ prompt | lit }}, {{ mode | lit }})\n")


def test_bad_enum_override_on_a_page_names_the_allowed_values(project):
    spec_project(project, ["tiny:echo"])
    project.page("echo.md", '# Echo\n\n<snippet data-name="demo.echo" data-mode="turbo"></snippet>\n')
    (problem,) = run_check(project.root)
    assert str(problem.location) == "docs/echo.md:3:1"
    assert problem.code == "bad-override"
    assert "data-mode does not fit tiny:echo" in problem.message and "fast" in problem.message


def test_bad_default_against_the_spec_points_at_the_config_line(project):
    spec_project(project, ["tiny:echo"], steps=99)
    (problem,) = run_check(project.root)
    assert problem.code == "bad-value"
    assert str(problem.location) == "shared/snippets/demo/echo/config.json:9"
    assert "'steps'" in problem.message


def test_unknown_operation_reference_suggests_one(project):
    spec_project(project, ["tiny:ecko"])
    report = check_project(project.root)
    assert "1 spec (1 operation): 1 problem in" in report.summary()
    (problem,) = report.problems
    assert problem.code == "unknown-operation"
    assert str(problem.location) == "shared/snippets/demo/echo/config.json:4"
    assert "tiny:echo" in problem.hint


def test_docs_link_to_a_missing_page(project):
    good(project)
    project.page("aiart/img2video.md", "# Video\n")
    folder = project.root / "shared" / "snippets" / "demo" / "hello"
    config = json.loads((folder / "config.json").read_text())
    config["docs"] = "aiart/img2vide.md"
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    (problem,) = run_check(project.root)
    assert problem.code == "docs-link"
    assert str(problem.location) == "shared/snippets/demo/hello/config.json:6"
    assert "did you mean 'aiart/img2video.md'" in problem.message
    config["docs"] = "aiart/img2video.md#options"
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    assert run_check(project.root) == []


def test_no_snippets_folder_is_a_problem_only_without_specs(tmp_path):
    """A project with specs and reference pages but no snippet yet checks clean (an empty catalog);
    a project with neither is pointed at the missing folder."""
    from snippetgen.check import check_project

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    report = check_project(tmp_path)
    assert [(p.code, p.message) for p in report.problems] == [("no-catalog", "snippets folder not found")]
    (tmp_path / "shared" / "openapi").mkdir(parents=True)
    (tmp_path / "shared" / "openapi" / "tiny.yaml").write_text(TINY_SPEC)
    (tmp_path / "docs" / "index.md").write_text('# Home\n\n<operation data-ref="tiny:echo"></operation>\n')
    assert [p for p in check_project(tmp_path).problems if p.severity == "error"] == []
