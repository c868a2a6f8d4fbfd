"""Site rendering: page expansion, the operation reference, the MkDocs plugin and the Markdown extension."""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import markdown as python_markdown
import pytest
from conftest import repo_mkdocs_yml

from snippetgen.errors import RenderError
from snippetgen.markdown.expand import transform_page
from snippetgen.markdown.tabs import code_fence, docs_href
from snippetgen.project import Project
from snippetgen.secrets import secret_values
from snippetgen.workspace import Workspace, load_workspace

REPO = Path(__file__).resolve().parent.parent
PY = "import os\nprint({{ prompt | lit }}, {{ count | lit }})\n"
JS = "console.log({{ prompt | lit }}, {{ count | lit }});\n"
CURL = "curl -sS https://example.test --data {{ prompt | sh }}\n"
TICKS_PY = 'doc = """\n```python\nx = 1\n```\n````\n"""\nprint(doc)\n'

SPEC = """\
openapi: 3.1.0
info: {title: Demo, version: "1"}
servers: [{url: "https://api.example.test"}]
security: [{bearerAuth: []}]
paths:
  /v1/images:
    post:
      operationId: generateImage
      summary: Generate an <b>image</b>
      description: >-
        Makes a picture. <script>alert(1)</script> <img src=x onerror="alert(2)">
        [x](javascript:alert(3))
      parameters:
        - {name: X-Trace, in: header, schema: {type: string}, description: Trace id.}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [prompt]
              properties:
                prompt: {type: string, maxLength: 2048, description: "What to draw <iframe src=evil>"}
                size: {type: string, enum: ["512x512", "1024x1024"], default: "1024x1024"}
                n: {type: integer, minimum: 1, maximum: 4, default: 1}
                style: {allOf: [{$ref: '#/components/schemas/Style'}], default: vivid}
            example: {prompt: "a cat", n: 1}
      responses:
        "200":
          description: The image is ready.
          content:
            application/json:
              schema: {type: object, properties: {url: {type: string, format: uri}}}
              example: {url: "https://cdn.example.test/cat.png", note: "</code><script>alert(4)</script>"}
        "401":
          description: Missing key.
components:
  schemas:
    Style: {type: string, enum: [vivid, natural], description: Look of the image.}
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
"""


def text_of(html: str) -> str:
    """What a reader sees: tags (e.g. Pygments spans) removed, entities decoded."""
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def make_site(
    project, *, docs: str | None = "guide/details.md#usage", pages: tuple[str, ...] = ()
) -> Workspace:
    config = {
        "title": "Say hello",
        "description": "Prints a `greeting`.",
        "payload": {"prompt": "hi", "count": 2},
    }
    if docs:
        config["docs"] = docs
    project.snippet("demo.hello", config, py=PY, js=JS, curl=CURL)
    project.snippet("demo.ticks", {"title": "Backticks", "docs": "https://example.com/x"}, py=TICKS_PY)
    project.page("guide/details.md", "# Details\n\n## Usage\n")
    for page in pages:
        project.page(page, "# Page\n")
    site, problems = load_workspace(Project.load(project.root), validate_specs=False, read_pages=False)
    assert problems == []
    return site


# --- transform_page ---------------------------------------------------------------------------


def test_tabs_labels_fences_and_docs_link(project):
    site = make_site(project)
    out = transform_page(
        '# Home\n\n<snippet data-name="demo.hello" data-prompt="it\'s"></snippet>\n', "index.md", site
    )
    assert out.startswith(
        '# Home\n\n<span id="example-3"></span>**Say hello** · [Docs](guide/details.md#usage)\n\n'
        "Prints a <code>greeting</code>.\n"
    )
    labels = re.findall(r'^(===!?) "([^"]+)"$', out, re.M)
    assert labels == [("===!", "Python"), ("===", "JavaScript"), ("===", "cURL")]
    assert '    ```python\n    import os\n    print("it\'s", 2)\n    ```' in out
    assert '    ```javascript\n    console.log("it\'s", 2);\n    ```' in out
    assert "    ```bash\n    curl -sS https://example.test --data 'it'\"'\"'s'\n    ```" in out
    assert "<snippet" not in out


def test_docs_link_is_relative_to_the_current_page(project):
    site = make_site(project, pages=("api/images/create.md",))
    out = transform_page('<snippet data-name="demo.hello"></snippet>\n', "api/images/create.md", site)
    assert "[Docs](../../guide/details.md#usage)" in out
    out = transform_page('<snippet data-name="demo.ticks"></snippet>\n', "api/images/create.md", site)
    assert "[Docs](https://example.com/x)" in out
    # the docs page itself links to its own section only
    out = transform_page('<snippet data-name="demo.hello"></snippet>\n', "guide/details.md", site)
    assert "[Docs](#usage)" in out


@pytest.mark.parametrize(
    ("docs", "page", "expected"),
    [
        ("aiart/img2video.md", "index.md", "aiart/img2video.md"),
        ("aiart/img2video.md", "aiart/index.md", "img2video.md"),
        ("/aiart/img2video/", "media/video.md", "../aiart/img2video.md"),
        ("aiart/img2video.md#poll", "aiart/img2video.md", "#poll"),
        ("aiart/", "index.md", "aiart/index.md"),
        ("https://example.com/a (b)", "x/y.md", "https://example.com/a%20%28b%29"),
    ],
)
def test_docs_href(docs, page, expected):
    pages = {"index.md", "aiart/index.md", "aiart/img2video.md", "media/video.md", "x/y.md"}
    assert docs_href(docs, page, pages) == expected


def test_docs_href_to_a_missing_page_is_an_error_at_the_embed(project):
    site = make_site(project, docs="guide/detials.md")
    with pytest.raises(RenderError) as info:
        transform_page('\n<snippet data-name="demo.hello"></snippet>\n', "index.md", site)
    assert str(info.value).startswith(
        "docs/index.md:2:1: demo.hello: docs link 'guide/detials.md' names no page"
    )
    assert "did you mean 'guide/details.md'" in str(info.value)
    assert "shared/snippets/demo/hello/config.json:" in str(info.value)
    with pytest.raises(ValueError):
        docs_href("javascript:alert(1)", "index.md", None)


def test_fence_is_longer_than_any_backtick_run(project):
    site = make_site(project)
    out = transform_page('<snippet data-name="demo.ticks"></snippet>\n', "index.md", site)
    assert '    `````python\n    doc = """\n    ```python\n' in out
    assert out.split('<span class="snippetgen-run">')[0].rstrip().endswith("`````")
    assert code_fence("a ``` b ```` c", "text").startswith("`````text\n")
    html = python_markdown.markdown(
        out,
        extensions=["pymdownx.superfences", "pymdownx.tabbed"],
        extension_configs={"pymdownx.tabbed": {"alternate_style": True}},
    )
    code = text_of(re.search(r"<code>(.*?)</code>", html, re.S).group(1))
    assert code == TICKS_PY


def test_indented_embed_stays_inside_its_admonition_and_sets_stay_apart(project):
    site = make_site(project)
    page = (
        '!!! note\n    <snippet data-name="demo.hello"></snippet>\n\n'
        '<snippet data-name="demo.hello"></snippet>\n<snippet data-name="demo.hello"></snippet>\n'
    )
    out = transform_page(page, "index.md", site)
    assert '!!! note\n\n    <span id="example-2"></span>**Say hello**' in out
    assert '\n    ===! "Python"\n\n        ```python\n' in out
    html = python_markdown.markdown(
        out,
        extensions=["admonition", "pymdownx.superfences", "pymdownx.tabbed"],
        extension_configs={"pymdownx.tabbed": {"alternate_style": True}},
    )
    assert html.count('class="tabbed-set') == 3
    assert re.search(r'<div class="admonition note">.*?tabbed-set', html, re.S)


def test_snippet_tags_inside_code_blocks_are_left_alone(project):
    site = make_site(project)
    page = '```html\n<snippet data-name="demo.nope"></snippet>\n```\n'
    assert transform_page(page, "index.md", site) == page


@pytest.mark.parametrize(
    ("tag", "message", "hint"),
    [
        (
            '<snippet data-name="demo.helo"></snippet>',
            "unknown snippet 'demo.helo'",
            "did you mean 'demo.hello'?",
        ),
        (
            '<snippet data-name="demo.hello" data-count="many"></snippet>',
            "demo.hello [py]: bad value 'many' for 'count'",
            None,
        ),
        (
            '<snippet data-name="demo.hello" data-promt="x"></snippet>',
            "data-promt sets 'promt', which demo.hello never uses",
            "did you mean data-prompt?",
        ),
        ("<snippet></snippet>", "<snippet> without data-name", None),
    ],
)
def test_errors_carry_page_and_line(project, tag, message, hint):
    site = make_site(project)
    with pytest.raises(RenderError) as info:
        transform_page(f"# T\n\ntext\n{tag}\n", "guide/page.md", site, line_offset=3)
    assert str(info.value).startswith(f"docs/guide/page.md:7:1: {message}")
    if hint:
        assert info.value.hint.startswith(hint.rstrip("?"))


def test_undefined_variable_is_an_error_at_the_page_line(project):
    project.snippet("demo.broken", {"title": "Broken"}, py="print({{ missing | lit }})\n")
    site, _ = load_workspace(Project.load(project.root), validate_specs=False, read_pages=False)
    with pytest.raises(RenderError) as info:
        transform_page('\n\n<snippet data-name="demo.broken"></snippet>\n', "index.md", site)
    assert str(info.value).startswith("docs/index.md:3:1: demo.broken [py]: undefined variable 'missing'")
    assert "shared/snippets/demo/broken/py.jinja:1" in str(info.value)


# --- operation reference ----------------------------------------------------------------------


def spec_site(project) -> Workspace:
    project.spec("demo", SPEC)
    site, problems = load_workspace(Project.load(project.root), validate_specs=False, read_pages=False)
    assert site.specs is not None and "demo" in site.specs.apis
    return site


def test_operation_reference_fields_and_examples(project):
    site = spec_site(project)
    out = transform_page('# API\n\n<operation data-ref="demo:generateImage"></operation>\n', "api.md", site)
    assert (
        '<span class="sg-method sg-method-post">POST</span> <code>https://api.example.test/v1/images</code>'
        in out
    )
    assert (
        "<strong>Authentication:</strong> bearer token: <code>Authorization: Bearer &lt;key&gt;</code>" in out
    )
    # one row per field: name, type, required; constraints in one line; ids per field
    assert (
        '<div class="sg-field" id="generateimage-request-size"><div class="sg-field-head">'
        '<a class="sg-field-name" href="#generateimage-request-size"><code>size</code></a> '
        '<span class="sg-field-type">string</span></div>'
        '<div class="sg-field-meta">Default <code>1024x1024</code></div>'
        '<div class="sg-field-values">one of <code>512x512</code>, <code>1024x1024</code></div></div>'
    ) in out
    assert (
        '<span class="sg-field-type">integer</span></div>'
        '<div class="sg-field-meta">Default <code>1</code> · from 1 to 4</div>' in out
    )
    assert '<div class="sg-field-values">one of <code>vivid</code>, <code>natural</code></div>' in out
    assert (
        '<code>prompt</code></a> <span class="sg-field-type">string</span> <span class="sg-field-required">required</span>'
        in out
    )
    assert "at most 2,048 characters" in out
    assert '<p class="sg-group">Headers</p>' in out
    assert "<table" not in out
    # examples: highlighted blocks, the request body and the 200 answer
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", out))
    assert '"url": "https://cdn.example.test/cat.png"' in text
    assert '"prompt": "a cat",\n  "n": 1' in text


def test_spec_text_cannot_inject_markup(project):
    site = spec_site(project)
    out = transform_page('<operation data-ref="demo:POST /v1/images"></operation>\n', "api.md", site)
    html = python_markdown.markdown(
        out, extensions=["pymdownx.superfences", "tables", "md_in_html", "attr_list"]
    )
    for bad in ("<script", "<img", "<iframe", 'href="javascript:', "<b>"):
        assert bad not in html, bad
    # Markdown's syntax characters come as numeric references (inert to a second Markdown pass)
    html = re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "Generate an &lt;b&gt;image&lt;/b&gt;" in html
    assert "&lt;iframe src=evil&gt;" in html


def test_unknown_operation_is_an_error_with_a_suggestion(project):
    site = spec_site(project)
    with pytest.raises(RenderError) as info:
        transform_page('# API\n<operation data-ref="demo:generateImg"></operation>\n', "api.md", site)
    assert str(info.value).startswith("docs/api.md:2:1: unknown operation 'demo:generateImg'")
    assert info.value.hint == "did you mean 'demo:generateImage'?"


@pytest.mark.parametrize(
    ("source", "text", "lines"),
    [
        ("---\ntitle: X\n---\n# X\n\nbody\n", "# X\n\nbody\n", 3),
        ("---\r\ntitle: X\r\n---\r\n\n# X\r\n", "# X\n", 4),
        ("# X\n\nbody\n", "# X\n\nbody\n", 0),
        ("---\ntitle: X\n---\n", "", 0),
        ("# X\n", "something else\n", 0),
    ],
)
def test_front_matter_lines(source, text, lines):
    from snippetgen.pages import front_matter_lines

    assert front_matter_lines(source, text) == lines


# --- Markdown extension -----------------------------------------------------------------------


def test_markdown_extension_renders_the_same_tabs(project):
    make_site(project)
    text = '# Home\n\n<snippet data-name="demo.hello"></snippet>\n'
    html = python_markdown.markdown(
        text,
        extensions=["pymdownx.superfences", "pymdownx.tabbed", "snippetgen"],
        extension_configs={
            "pymdownx.tabbed": {"alternate_style": True},
            "snippetgen": {"root": str(project.root), "page": "guide/intro.md"},
        },
    )
    assert re.findall(r"<label[^>]*>([^<]+)</label>", html) == ["Python", "JavaScript", "cURL"]
    assert '<a href="details.md#usage">Docs</a>' in html
    assert 'print("hi", 2)' in text_of(html)


def test_markdown_extension_errors_name_the_page_line(project):
    make_site(project)
    project.page(
        "guide/intro.md", '---\ntitle: Intro\n---\n# Intro\n\n<snippet data-name="demo.nope"></snippet>\n'
    )
    with pytest.raises(RenderError, match=r"^docs/guide/intro.md:6:1: unknown snippet 'demo.nope'"):
        python_markdown.markdown(
            '# Intro\n\n<snippet data-name="demo.nope"></snippet>\n',
            extensions=["snippetgen"],
            extension_configs={"snippetgen": {"root": str(project.root), "page": "guide/intro.md"}},
        )


# --- MkDocs builds ----------------------------------------------------------------------------


def site_project(project, page: str) -> Path:
    make_site(project)
    (project.root / "mkdocs.yml").write_text(repo_mkdocs_yml(), encoding="utf-8")
    project.page("index.md", page)
    project.page(
        "stylesheets/snippetgen.css", (REPO / "docs/stylesheets/snippetgen.css").read_text(encoding="utf-8")
    )
    return project.root


def mkdocs_build(root: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ('<snippet data-name="demo.helo"></snippet>', "docs/index.md:6:1: unknown snippet 'demo.helo'"),
        (
            '<snippet data-name="demo.hello" data-count="x"></snippet>',
            "docs/index.md:6:1: demo.hello [py]: bad value 'x'",
        ),
        ('<snippet data-name="demo.undef"></snippet>', "demo.undef [py]: undefined variable 'nope'"),
    ],
)
def test_mkdocs_strict_build_fails_at_page_line(project, tag, expected):
    project.snippet("demo.undef", {"title": "Undefined"}, py="print({{ nope | lit }})\n")
    root = site_project(project, f"---\ntitle: Home\n---\n# Home\n\n{tag}\n")
    proc = mkdocs_build(root)
    assert proc.returncode != 0
    assert expected in proc.stderr + proc.stdout
    assert "docs/index.md:6" in proc.stderr + proc.stdout


def test_mkdocs_build_renders_tabs_and_resolves_docs_link(project):
    root = site_project(project, '# Home\n\n<snippet data-name="demo.hello"></snippet>\n')
    proc = mkdocs_build(root)
    assert proc.returncode == 0, proc.stderr
    html = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<label for="__tabbed_1_\d">([^<]+)</label>', html) == ["Python", "JavaScript", "cURL"]
    assert '<a href="guide/details/#usage">Docs</a>' in html


def test_no_real_key_in_the_built_site(project, monkeypatch):
    from snippetgen.integration.site_build import build

    secret = "sk-live-" + "Qw7" * 14
    root = site_project(project, '# Home\n\n<snippet data-name="demo.hello"></snippet>\n')
    monkeypatch.setenv("AIMLAPI_API_KEY", secret)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    assert build(root) == []
    site = root / "site"
    assert (site / "index.html").is_file()
    offenders = [p for p in site.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert offenders == []


def test_a_key_copied_into_a_page_fails_the_build(project, monkeypatch):
    from snippetgen.integration.site_build import build

    secret = "correct-horse-battery-staple-2024"  # not key-shaped, so only the build's scan can see it
    root = site_project(project, f"# Home\n\nOur key: {secret}\n")
    monkeypatch.setenv("MEDIA_API_KEY", secret)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    problems = build(root)
    assert problems and all(p.code == "secret-leak" for p in problems)
    assert any(p.location.path == "site/index.html" and p.location.line > 0 for p in problems)
    assert "$MEDIA_API_KEY" in problems[0].message


def test_placeholders_are_not_secrets():
    env = {
        "A_API_KEY": "<YOUR_API_KEY>",
        "B_API_KEY": "mock-test-key",
        "C_API_KEY": "short",
        "D_TOKEN": "x" * 40,
        "E_API_KEY": "9f4c2e71b0d84a56a3e1c07d5b6f8a92",
    }
    assert secret_values(env) == {"E_API_KEY": "9f4c2e71b0d84a56a3e1c07d5b6f8a92"}


def test_build_command_says_what_it_covered(project, monkeypatch):
    from click.testing import CliRunner

    from snippetgen.integration.cli import cli

    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    root = site_project(project, '# Home\n\n<snippet data-name="demo.hello"></snippet>\n')
    built = CliRunner().invoke(cli, ["build", "--root", str(root)])
    assert built.exit_code == 0, built.output
    assert re.fullmatch(
        r"2 snippets, 4 templates, 2 pages, 1 embed, 0 specs \(0 operations\): site built in \d+\.\d s",
        built.output.splitlines()[-1],
    )
    assert (root / "site" / "index.html").is_file()
    project.page("index.md", '# Home\n\n<snippet data-name="demo.helo"></snippet>\n')
    failed = CliRunner().invoke(cli, ["build", "--root", str(root)])
    assert failed.exit_code == 1
    assert "docs/index.md:3:1: unknown snippet 'demo.helo'" in failed.output
    assert re.search(r": 1 problem in \d+\.\d s$", failed.output.splitlines()[-1])


def test_build_reports_check_problems_without_building(project):
    from snippetgen.integration.site_build import build

    root = site_project(project, '# Home\n\n<snippet data-name="demo.helo"></snippet>\n')
    problems = build(root)
    assert [str(p.location) for p in problems] == ["docs/index.md:3:1"]
    assert not (root / "site").exists()


def test_core_stays_free_of_hosts():
    code = (
        "import sys, snippetgen.markdown.expand, snippetgen.markdown.reference; "
        "print(json.dumps(sorted(m for m in ('mkdocs', 'pytest', 'click', 'markdown') if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []


def test_check_problems_fail_a_plain_mkdocs_build(project):
    # Renders fine, but the rendered JavaScript does not parse: only the check (beside the build) sees it.
    project.snippet("demo.badjs", {"title": "Bad JS", "payload": {"x": "1"}}, js="const = {{ x | lit }};\n")
    root = site_project(project, '# Home\n\n<snippet data-name="demo.badjs"></snippet>\n')
    proc = mkdocs_build(root)
    assert proc.returncode != 0
    assert (
        "shared/snippets/demo/badjs/js.jinja:1: rendered JavaScript does not parse"
        in proc.stderr + proc.stdout
    )


def load_site_config(root: Path):
    from mkdocs.config import load_config

    return load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(root / "site"), strict=True)


def test_serve_reloads_an_edited_template_and_shows_errors_in_the_page(project, monkeypatch):
    from mkdocs.commands.build import build as mkdocs_build_in_process

    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    root = site_project(project, '# Home\n\n<snippet data-name="demo.hello"></snippet>\n')
    config = load_site_config(root)
    plugin = config.plugins["snippetgen"]
    plugin.on_startup(command="serve", dirty=False)
    mkdocs_build_in_process(config)
    watched = []
    plugin.on_serve(
        type("Server", (), {"watch": lambda self, path: watched.append(path)})(), config=config, builder=None
    )
    assert str(root / "shared" / "snippets") in watched
    index = root / "site" / "index.html"
    assert "import os" in text_of(index.read_text(encoding="utf-8"))

    template = root / "shared" / "snippets" / "demo" / "hello" / "py.jinja"
    template.write_text("import sys\nprint({{ prompt | lit }}, {{ count | lit }})\n", encoding="utf-8")
    config = load_site_config(root)
    assert config.plugins["snippetgen"] is plugin  # MkDocs keeps the instance across serve rebuilds
    mkdocs_build_in_process(config)
    assert "import sys" in text_of(index.read_text(encoding="utf-8"))

    template.write_text("print({{ missing | lit }})\n", encoding="utf-8")
    mkdocs_build_in_process(load_site_config(root))  # serving: no abort, the page says what is wrong
    html = index.read_text(encoding="utf-8")
    assert 'class="admonition failure"' in html
    assert "docs/index.md:3:1: demo.hello [py]: undefined variable" in text_of(html)


def test_serve_shows_the_responses_of_a_test_run_made_while_serving(project, monkeypatch):
    """A test run writes a new execution record; the next serve rebuild shows its Response blocks
    (the record is watched, and pages rendered from the old one are not reused)."""
    from mkdocs.commands.build import build as mkdocs_build_in_process

    from snippetgen.proven import code_digest
    from snippetgen.render import render

    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    root = site_project(project, '# Home\n\n<snippet data-name="demo.hello"></snippet>\n')
    runs = root / ".snippetgen" / "runs"
    runs.mkdir(parents=True)
    config = load_site_config(root)
    plugin = config.plugins["snippetgen"]
    plugin.on_startup(command="serve", dirty=False)
    mkdocs_build_in_process(config)
    watched = []
    plugin.on_serve(
        type("Server", (), {"watch": lambda self, path: watched.append(path)})(), config=config, builder=None
    )
    assert str(runs) in watched
    index = root / "site" / "index.html"
    assert "<summary>Response</summary>" not in index.read_text(encoding="utf-8")

    ws, _ = load_workspace(Project.load(root), validate_specs=False)
    snippet = ws.catalog.get("demo.hello")
    row = {
        "id": "docs/index.md:3::demo.hello::py",
        "lang": "py",
        "passed": True,
        "code_sha256": code_digest(render(snippet, "py").code),
        "responses": [
            {"method": "GET", "path": "/v1/hello", "status": 200, "calls": 1, "json": {"id": "hi_1"}}
        ],
    }
    (runs / "main.json").write_text(json.dumps({"executed": [row]}), encoding="utf-8")
    mkdocs_build_in_process(load_site_config(root))
    html = index.read_text(encoding="utf-8")
    assert "<summary>Response</summary>" in html and '"id": "hi_1"' in text_of(html)
