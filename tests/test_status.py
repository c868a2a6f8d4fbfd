"""The examples status: operation x language, coloured by the last run; CLI formats and the site page.

Records are written by the runner's own ``write_record``; the site is built by the real CLI
(MkDocs and the plugin), and its generated page is read back from the built HTML.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import repo_mkdocs_yml

from snippetgen.integration.cli import cli
from snippetgen.loader import load_catalog
from snippetgen.model import Location
from snippetgen.project import Project
from snippetgen.record import read_runs
from snippetgen.runner.collect import Example
from snippetgen.runner.run import Outcome, write_record
from snippetgen.tools.status import compute, site_page, to_html, to_json, to_markdown
from snippetgen.workspace import load_workspace

SPEC = textwrap.dedent("""\
    openapi: 3.1.0
    info: {title: Shop API, version: "3.1"}
    servers: [{url: "https://api.shop.test"}]
    paths:
      /items:
        get:
          operationId: listItems
          summary: List items
          responses:
            "200": {description: OK}
        post:
          operationId: createItem
          responses:
            "201": {description: Created}
      /orders:
        get:
          operationId: listOrders
          responses:
            "200": {description: OK}
    """)

CODE = {"py": "print({{ q | lit }})\n", "js": "console.log({{ q | lit }});\n", "curl": "echo {{ q | sh }}\n"}


@pytest.fixture
def shop(project):
    project.spec("shop", SPEC)
    project.snippet(
        "shop.list", {"title": "List", "operations": ["shop:listItems"], "payload": {"q": "a"}}, **CODE
    )
    project.snippet(
        "shop.create", {"title": "Create", "operations": ["shop:createItem"], "payload": {"q": "b"}}, **CODE
    )
    project.snippet(
        "shop.gpu",
        {
            "title": "GPU",
            "operations": ["shop:listItems"],
            "payload": {"q": "c"},
            "test": {"skip": "needs a GPU"},
        },
        py=CODE["py"],
    )
    project.page("index.md", '# Shop\n\n<snippet data-name="shop.list"></snippet>\n')
    project.page(
        "guide/create.md", '# Create\n\ntext\n\n<snippet data-name="shop.create" data-q="z"></snippet>\n'
    )
    return project


def record(root: Path, rows: list[tuple[str, str, str, bool]], *, cached: set[str] = frozenset()) -> Path:
    """(usage, snippet, lang, passed) per example, written by the runner's writer; ``cached`` ids
    are marked as the result cache marks them."""
    catalog, _ = load_catalog(root / "shared" / "snippets", root)
    outcomes = []
    for usage, key, lang, passed in rows:
        snippet = catalog.get(key)
        example = Example(usage, lang, Location(usage.split("::")[0]), snippet)
        ops = [f"shop:{snippet.operations[0].split(':')[1]}"] if snippet else []
        outcome = Outcome(example, "", requests=[{"operation": op} for op in ops])
        if not passed:
            outcome.failures = ["exited with status 1"]
        outcomes.append(outcome)
    path = Project.load(root).record_path.parent / "runs" / "gw0.json"
    write_record(path, outcomes)
    if cached:
        data = json.loads(path.read_text())
        for row in data["executed"]:
            row["cached"] = row["id"] in cached
        path.write_text(json.dumps(data))
    return path


def status_of(root: Path):
    project = Project.load(root)
    ws, _ = load_workspace(project, validate_specs=False)
    return compute(ws, read_runs(project))


LIST = "docs/index.md:3::shop.list"
CREATE = "docs/guide/create.md:5::shop.create"


def test_each_state_and_the_worst_one_per_cell(shop):
    root = shop.root
    path = record(
        root,
        [(LIST, "shop.list", "py", True), (LIST, "shop.list", "js", True), (LIST, "shop.list", "curl", False)]
        + [(CREATE, "shop.create", lang, True) for lang in ("py", "js", "curl")],
        cached={f"{LIST}::js"},
    )
    for file in [*root.rglob("*.jinja"), *root.rglob("*.json"), *root.rglob("*.md")]:
        os.utime(file, (time.time() - 120,) * 2)  # written two minutes ago,
    os.utime(path, (time.time() - 60,) * 2)  # the run happened a minute ago ...
    (root / "shared/snippets/shop/create/js.jinja").write_text(CODE["js"] + "// edited\n")  # ... then this

    status = status_of(root)
    rows = status.rows
    assert list(rows) == ["shop:listItems", "shop:createItem", "shop:listOrders"]
    listing = rows["shop:listItems"]
    # py: the page embed passed, but the GPU snippet (defaults, skipped by its config) also lists items
    assert [(e.snippet, e.state) for e in listing["py"].examples] == [
        ("shop.list", "passed"),
        ("shop.gpu", "skipped"),
    ]
    assert listing["py"].state == "passed"  # a skipped example never hides one that ran
    assert listing["js"].state == "cached"
    assert listing["curl"].state == "failed"
    create = rows["shop:createItem"]
    assert create["py"].state == "passed" and create["curl"].state == "passed"
    assert create["js"].state == "changed"
    assert "shared/snippets/shop/create/js.jinja changed after the run of" in create["js"].examples[0].why
    assert all(cell.state == "no example" for cell in rows["shop:listOrders"].values())
    assert status.counts() == {
        "failed": 1,
        "changed": 1,
        "not run": 0,
        "cached": 1,
        "passed": 3,
        "skipped": 1,
    }
    assert status.apis["shop"].version == "3.1" and re.fullmatch(r"[0-9a-f]{12}", status.apis["shop"].digest)
    assert status.record is not None


def test_without_a_record_everything_is_not_run(shop):
    status = status_of(shop.root)
    assert status.record is None
    assert {e.state for row in status.rows.values() for c in row.values() for e in c.examples} == {
        "not run",
        "skipped",
    }
    assert "no test run recorded yet" in status.summary()
    assert "No test run recorded" in site_page(status)


def test_formats_carry_the_same_facts(shop):
    record(shop.root, [(LIST, "shop.list", lang, True) for lang in ("py", "js", "curl")])
    status = status_of(shop.root)
    data = json.loads(to_json(status))
    cell = data["operations"]["shop:listItems"]["js"]
    assert cell["state"] == "passed"
    assert cell["examples"][0] | {"why": ""} == {
        "id": f"{LIST}::js",
        "snippet": "shop.list",
        "lang": "js",
        "path": "docs/index.md",
        "line": 3,
        "page": "index.md",
        "state": "passed",
        "why": "",
    }
    assert data["apis"]["shop"]["version"] == "3.1"
    md = to_markdown(status, lambda e: f"{e.page}#x" if e.page else None)
    assert (
        "| `listItems`<br>GET /items | ✅ passed<br>index.md: [3](index.md#x)<br>shop.gpu: py (skipped) |"
        in md
    )
    assert "### Shop API (`shop`, version 3.1, spec `" in md
    page = to_html(status)
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "⏸" not in page and "not run" in page


def test_site_links_point_at_each_embed(shop):
    status = status_of(shop.root)
    page = site_page(status, "about/status.md")
    assert "[3](../index.md#example-3)" in page
    assert "[5](../guide/create.md#example-5)" in page


def test_hostile_text_stays_text_in_every_format(project):
    evil = "<img src=x onerror=alert(1)> | `x` [a](javascript:1)"
    spec = SPEC.replace(
        'info: {title: Shop API, version: "3.1"}', f"info:\n  title: {json.dumps(evil)}\n  version: '<i>1'"
    )
    project.spec("shop", spec.replace("summary: List items", "summary: '<b>x</b> | y'"))
    project.snippet(
        "shop.list", {"title": "List", "operations": ["shop:listItems"], "payload": {"q": "a"}}, **CODE
    )
    status = status_of(project.root)
    md = to_markdown(status)
    assert "Shop" not in md and "img" in md  # the hostile title is used ...
    assert "<img" not in md and "<b>" not in md and "<i>" not in md  # ... as text
    assert not re.search(r"(?<!\\)\]\(javascript", md) and "\\[a\\]" in md  # no link either
    assert "\\|" in md  # a pipe cannot break the table
    page = to_html(status)
    assert "<img" not in page and "<b>x" not in page


def test_cli_formats_and_summary_file(shop):
    record(shop.root, [(LIST, "shop.list", lang, True) for lang in ("py", "js", "curl")])
    cli_runner = CliRunner()
    root = str(shop.root)
    as_json = cli_runner.invoke(cli, ["coverage", "--root", root, "--format", "json", "--min", "0"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["counts"]["passed"] == 3
    summary = shop.root / "summary.md"
    summary.write_text("# Earlier step\n")
    md = cli_runner.invoke(
        cli, ["coverage", "--root", root, "--format", "markdown", "--min", "0", "--out", str(summary)]
    )
    assert md.exit_code == 0, md.output
    text = summary.read_text()
    assert text.startswith("# Earlier step\n## Examples status\n")  # appended, like $GITHUB_STEP_SUMMARY
    page = shop.root / "status.html"
    html = cli_runner.invoke(
        cli, ["coverage", "--root", root, "--format", "html", "--min", "0", "--out", str(page)]
    )
    assert html.exit_code == 0 and page.read_text().startswith("<!doctype html>")
    # below the minimum: the same output, exit 1, what is missing on stderr
    low = cli_runner.invoke(cli, ["coverage", "--root", root, "--format", "markdown"])
    assert low.exit_code == 1
    assert "missing: shop:listOrders has no py snippet" in low.stderr
    refused = cli_runner.invoke(
        cli,
        ["coverage", "--root", root, "--format", "html", "--out", str(shop.root / "shared/snippets/x.html")],
    )
    assert refused.exit_code == 2 and "refusing to write into the catalog" in refused.output


def test_the_built_site_has_the_status_page(shop, monkeypatch):
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    (shop.root / "mkdocs.yml").write_text(repo_mkdocs_yml().replace("site_name: ", "site_name: Shop # "))
    (shop.root / "docs" / "stylesheets").mkdir()
    (shop.root / "docs" / "stylesheets" / "snippetgen.css").write_text("")
    (shop.root / "pyproject.toml").write_text(
        '[tool.snippetgen]\ncoverage_min = 0\nsandbox = "off"\n[tool.snippetgen.lint]\nspec-lint = "off"\n'
    )
    record(shop.root, [(LIST, "shop.list", lang, lang != "curl") for lang in ("py", "js", "curl")])
    built = CliRunner().invoke(cli, ["build", "--root", str(shop.root)])
    assert built.exit_code == 0, built.output
    page = (shop.root / "site" / "examples-status" / "index.html").read_text()
    assert '<span class="sg-state sg-state-failed">failed</span>' in page
    assert '<span class="sg-state sg-state-passed">passed</span>' in page
    links = set(re.findall(r'href="(\.\./[^"#]*)#example-(\d+)"', page))
    assert ("../", "3") in links and ("../guide/create/", "5") in links
    for target, line in links:  # each link lands on its embed
        landing = (shop.root / "site" / "examples-status" / target / "index.html").resolve()
        assert f'id="example-{line}"' in landing.read_text()


def test_minimal_requests_count_for_their_operation(shop):
    """An ``<operation>`` tag's minimal request is an example of that operation (cURL) too."""
    shop.page("ops.md", '# Orders\n\n<operation data-ref="shop:listOrders"></operation>\n')
    status = status_of(shop.root)
    cell = status.rows["shop:listOrders"]["curl"]
    assert [(e.snippet, e.state, e.page, e.line) for e in cell.examples] == [
        ("op:shop.listOrders", "not run", "ops.md", 3)
    ]
    path = shop.root / ".snippetgen" / "runs" / "gw0.json"
    path.parent.mkdir(parents=True)
    row = {"id": cell.examples[0].id, "lang": "curl", "passed": True, "operations": ["shop:listOrders"]}
    path.write_text(json.dumps({"executed": [row]}))
    assert status_of(shop.root).rows["shop:listOrders"]["curl"].state == "passed"
    os.utime(path, (time.time() - 60,) * 2)  # the page and spec it is made from are newer than the run
    assert status_of(shop.root).rows["shop:listOrders"]["curl"].state == "changed"


def test_a_malformed_record_is_read_around(shop):
    runs = shop.root / ".snippetgen" / "runs"
    runs.mkdir(parents=True)
    (runs / "a.json").write_text('{"executed": [1, {"id": 5}, {"id": "x", "operations": "zz"}]')
    (runs / "b.json").write_text(
        json.dumps(
            {
                "executed": [
                    {
                        "id": f"{LIST}::py",
                        "passed": True,
                        "lang": "py",
                        "operations": [{"a": 1}, "shop:listItems"],
                    }
                ]
            }
        )
    )
    (runs / "c.json").write_text("[" * 100_000)
    status = status_of(shop.root)
    assert status.rows["shop:listItems"]["py"].examples[0].state == "passed"
    for fmt in ("text", "json", "markdown", "html"):
        out = CliRunner().invoke(cli, ["coverage", "--root", str(shop.root), "--format", fmt, "--min", "0"])
        assert out.exit_code == 0, out.output
