"""A site built from hostile values carries no markup of theirs: no raw ``<script>``, no event
attribute, no ``javascript:`` link.

Every hostile value (a config's title and description, page attributes, a spec's prose, names and
examples) holds script in every form a Markdown host could let through, each marked ``XSS``. The
site is built by :func:`snippetgen.integration.site_build.build` with the repository's MkDocs
configuration; then every built page is parsed with :mod:`html.parser` and every element checked.
The values must still *show*: each marked text is looked for in the pages' visible text, so a value
that silently vanished would fail the test too.
"""

from __future__ import annotations

import html as html_lib
import json
from html.parser import HTMLParser
from pathlib import Path

from conftest import repo_mkdocs_yml

from snippetgen.integration.site_build import SITE_MARKER, build

SCRIPT = "<script>alert('XSS-script')</script>"
IMG = "<img src=x onerror=\"alert('XSS-img')\">"
LINK = "[click](javascript:alert('XSS-link'))"
ATTR_LIST = "{: onclick=\"alert('XSS-attr')\" }"
AUTOLINK = "<javascript:alert('XSS-auto')>"
BREAKOUT = "\"><svg onload=alert('XSS-svg')>"
HOSTILE = " ".join([SCRIPT, IMG, LINK, ATTR_LIST, AUTOLINK, BREAKOUT])

SPEC = f"""\
openapi: 3.1.0
info: {{title: Evil, version: "1"}}
servers: [{{url: "https://api.example.test"}}]
paths:
  /v1/things:
    post:
      operationId: makeThing
      summary: {json.dumps("Make " + SCRIPT + " " + ATTR_LIST)}
      description: {json.dumps(HOSTILE + chr(10) + chr(10) + "- " + LINK + chr(10) + "- " + IMG)}
      parameters:
        - name: {json.dumps("X-" + LINK)}
          in: header
          schema: {{type: string}}
          description: {json.dumps(HOSTILE)}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [prompt]
              properties:
                prompt:
                  type: string
                  description: {json.dumps(HOSTILE)}
                  enum: [{json.dumps(SCRIPT)}, {json.dumps(LINK)}]
            example: {{prompt: {json.dumps(SCRIPT)}}}
      responses:
        "200":
          description: {json.dumps(HOSTILE)}
          content:
            application/json:
              schema: {{type: object}}
              example: {{note: {json.dumps("</code></pre>" + SCRIPT)}}}
        "400":
          description: {json.dumps(LINK)}
"""

PY = "print({{ prompt | lit }})\nprint({{ note | lit }})\n"
JS = "console.log({{ prompt | lit }}, {{ note | lit }});\n"
CURL = "curl -sS https://example.test --data {{ prompt | sh }} --data {{ note | sh }}\n"


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text outside tags, of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.script_text if self._in_script else self.text).append(data)


def _hostile_project(project) -> None:
    project.spec("evil", SPEC)
    project.snippet(
        "evil.show",
        {
            "title": "Title " + SCRIPT + " " + ATTR_LIST,
            "description": HOSTILE,
            "payload": {"prompt": "hi", "note": "ok"},
        },
        py=PY,
        js=JS,
        curl=CURL,
    )
    attribute = html_lib.escape(SCRIPT + " " + BREAKOUT, quote=True)
    project.page(
        "index.md",
        "# Home\n\n"
        f'<snippet data-name="evil.show" data-prompt="{attribute}" '
        f'data-note="a > b {IMG.replace(chr(34), "&quot;")}"></snippet>\n\n'
        '<operation data-ref="evil:makeThing"></operation>\n\n'
        '!!! note\n    <operation data-ref="evil:makeThing" data-level="0"></operation>\n\n'
        '- In a list:\n\n    <operation data-ref="evil:makeThing" data-level="0"></operation>\n',
    )
    (project.root / "mkdocs.yml").write_text(repo_mkdocs_yml())


def test_a_site_built_from_hostile_values_has_no_markup_of_theirs(project):
    _hostile_project(project)
    site = project.root / "site"
    assert build(project.root, site_dir=site) == []
    assert (site / SITE_MARKER).is_file()
    pages = sorted(site.rglob("*.html"))
    assert pages
    shown = []
    for page in pages:
        parsed = _Elements()
        parsed.feed(page.read_text(encoding="utf-8"))
        for tag, attrs in parsed.tags:
            for name, value in attrs:
                assert not name.startswith("on"), (page.name, tag, name, value)
                assert not (value or "").strip().lower().startswith("javascript:"), (page.name, tag, value)
                assert "XSS" not in (value or "") or tag in ("code", "span"), (page.name, tag, name, value)
            assert tag not in ("iframe", "object", "embed"), (page.name, tag)  # the theme draws svg icons
            if tag in ("script", "img"):
                assert not any("XSS" in (v or "") for _, v in attrs), (page.name, tag, attrs)
        assert not any("XSS" in text for text in parsed.script_text), page.name
        shown.append("".join(parsed.text))
    visible = "\n".join(shown)
    # The values still reached the page, as text: in the tabs, the description, the reference.
    assert "Title " + SCRIPT in visible  # the config's title
    assert SCRIPT + " " + IMG in visible  # the config's description, and the spec's
    assert "{: onclick=" in visible and "[click](javascript:alert('XSS-link'))" in visible
    # data-note: a quoted value holding ">" and a tag reached the code whole (quotes escaped there)
    assert "a > b <img src=x onerror=\\\"alert('XSS-img')\\\">" in visible
    # data-prompt: the break-out attempt is just text inside a string literal of the code
    assert 'console.log("' + SCRIPT + " \\\"><svg onload=alert('XSS-svg')>\"" in visible


def test_the_same_values_render_the_same_way_through_the_markdown_extension(project):
    """The Python-Markdown adapter expands the same page; its HTML carries no markup of the values."""
    import markdown

    _hostile_project(project)
    text = (project.root / "docs" / "index.md").read_text()
    out = markdown.markdown(
        text,
        extensions=[
            "pymdownx.superfences",
            "pymdownx.tabbed",
            "admonition",
            "attr_list",
            "md_in_html",
            "tables",
            "snippetgen",
        ],
        extension_configs={"snippetgen": {"root": str(project.root), "page": "index.md"}},
    )
    parsed = _Elements()
    parsed.feed(out)
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            assert not name.startswith("on") and "javascript:" not in (value or "").lower(), (
                tag,
                name,
                value,
            )
        assert tag not in ("script", "img", "svg", "iframe"), (tag, attrs)
    assert SCRIPT in "".join(parsed.text)
    assert Path(project.root / "docs" / "index.md").is_file()
