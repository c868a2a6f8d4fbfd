"""x-assumed: the facts a spec's source does not state, listed, checked and cited by pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from snippetgen.check import RULES, run_check
from snippetgen.errors import RenderError
from snippetgen.integration.cli import cli
from snippetgen.markdown.expand import transform_page
from snippetgen.project import Project
from snippetgen.spec import load_api
from snippetgen.spec.assumed import assumed_facts, assumed_problems
from snippetgen.workspace import load_workspace

FIXTURE = Path(__file__).parent / "reference_specs" / "jobs.yaml"

BAD = """\
openapi: 3.1.0
info: {title: Bad, version: "1", x-assumed: a reason on the info object}
paths:
  /a:
    x-assumed: on a path item
    get:
      operationId: getA
      x-assumed: ""
      parameters:
        - {name: q, in: query, schema: {type: string}, x-assumed: 5}
      responses:
        x-assumed: on the responses map
        "200":
          description: ok
          x-assumed: [a, list]
          content:
            application/json:
              schema:
                type: object
                properties:
                  x-assumed: {type: string, description: a property named x-assumed is a name}
              example: {x-assumed: data in an example is not a mark}
"""


def test_facts_are_listed_with_pointer_reason_and_line():
    api, problems = load_api(FIXTURE, validate=False)
    assert api is not None
    facts = assumed_facts(api)
    pointers = [f.pointer for f in facts]
    assert pointers == [
        "/servers/0",
        "/paths/~1v1~1videos/post",
        "/paths/~1v1~1videos/post/responses/429",
        "/paths/~1v1~1videos/post/responses/429/headers/Retry-After",
        "/paths/~1v1~1stream/post/requestBody/content/application~1json/schema/properties/style/anyOf/1",
    ]
    assert facts[1].reason == "The source does not say the call is asynchronous."
    assert (
        facts[1].line
        == FIXTURE.read_text()
        .splitlines()
        .index("      x-assumed: The source does not say the call is asynchronous.")
        + 1
    )
    assert assumed_problems(api) == []


def test_bad_values_and_places_are_located_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    api, _ = load_api(path, tmp_path, validate=False)
    assert api is not None
    found = [(p.location.line, p.code, p.message, p.found) for p in assumed_problems(api)]
    assert found == [
        (
            2,
            "assumed-reason",
            "x-assumed on /info marks nothing the reference shows",
            "x-assumed at /info/x-assumed",
        ),
        (
            5,
            "assumed-reason",
            "x-assumed on /paths/~1a marks nothing the reference shows",
            "x-assumed at /paths/~1a/x-assumed",
        ),
        (
            8,
            "assumed-reason",
            "x-assumed must give the reason the source leaves this open",
            "an empty string",
        ),
        (10, "assumed-reason", "x-assumed must give the reason the source leaves this open", "a number"),
        (
            12,
            "assumed-reason",
            "x-assumed on /paths/~1a/get/responses (a map of objects) marks nothing the reference shows",
            "x-assumed at /paths/~1a/get/responses/x-assumed",
        ),
        (15, "assumed-reason", "x-assumed must give the reason the source leaves this open", "a list"),
    ]
    assert assumed_facts(api) == []


def test_check_reports_spec_marks_and_page_cites(project):
    project.spec("bad", BAD)
    project.spec("jobs", FIXTURE.read_text())
    project.page(
        "index.md",
        "# Home\n\n"
        'Full queues answer 429 <assumed data-ref="jobs:createVideo" data-pointer="/responses/429"></assumed>.\n\n'
        'Not marked: <assumed data-ref="jobs:createVideo" data-pointer="/responses/200"></assumed>\n\n'
        'Nothing there: <assumed data-ref="jobs:createVideo" data-pointer="/responses/418"></assumed>\n\n'
        'Unknown: <assumed data-ref="jobs:createVid"></assumed>\n',
    )
    problems = [p for p in run_check(project.root) if p.code in ("assumed-reason", "unknown-assumed")]
    lines = [f"{p.location.path}:{p.location.line}: {p.code}: {p.message}" for p in problems]
    assert lines == [
        "docs/index.md:5: unknown-assumed: <assumed> cites no assumed fact: "
        "jobs:createVideo at /responses/200 is not marked x-assumed",
        "docs/index.md:7: unknown-assumed: <assumed> cites no assumed fact: "
        "jobs:createVideo has nothing at '/responses/418'",
        "docs/index.md:9: unknown-assumed: <assumed> cites no assumed fact: unknown operation 'jobs:createVid'",
        "shared/openapi/bad.yaml:2: assumed-reason: x-assumed on /info marks nothing the reference shows",
        "shared/openapi/bad.yaml:5: assumed-reason: x-assumed on /paths/~1a marks nothing the reference shows",
        "shared/openapi/bad.yaml:8: assumed-reason: x-assumed must give the reason the source leaves this open",
        "shared/openapi/bad.yaml:10: assumed-reason: x-assumed must give the reason the source leaves this open",
        "shared/openapi/bad.yaml:12: assumed-reason: x-assumed on /paths/~1a/get/responses (a map of objects) "
        "marks nothing the reference shows",
        "shared/openapi/bad.yaml:15: assumed-reason: x-assumed must give the reason the source leaves this open",
    ]
    assert any("assumed-reason" in rule.codes and "unknown-assumed" in rule.codes for rule in RULES)


def test_a_page_cites_an_assumption_inline_and_an_unknown_one_fails_the_build(project):
    project.spec("jobs", FIXTURE.read_text())
    ws, _ = load_workspace(Project.load(project.root), validate_specs=False, read_pages=False)
    out = transform_page(
        'Full queues answer 429 <assumed data-ref="jobs:createVideo" data-pointer="/responses/429"></assumed> today.\n',
        "index.md",
        ws,
    )
    assert out.startswith('Full queues answer 429 <span class="sg-assumed" tabindex="0" title="The source')
    assert out.endswith("</span></span> today.\n")  # inline: the paragraph stays one paragraph
    assert "<img" not in out and "&lt;img src=x onerror=alert&#40;&#x27;XSS-badge&#x27;&#41;&gt;" in out
    with pytest.raises(RenderError) as info:
        transform_page('\n<assumed data-ref="jobs:createVideo" data-pointer="/nope"></assumed>\n', "x.md", ws)
    assert str(info.value).startswith("docs/x.md:2:1: jobs:createVideo has nothing at '/nope'")


def test_check_assumed_lists_every_fact_and_counts_per_spec(project):
    from click.testing import CliRunner

    project.spec("jobs", FIXTURE.read_text())
    result = CliRunner().invoke(cli, ["check", "--assumed", "--root", str(project.root)])
    lines = result.output.splitlines()
    assert (
        "shared/openapi/jobs.yaml:13: /paths/~1v1~1videos/post: The source does not say the call is asynchronous."
        in lines
    )
    assert "assumed facts: jobs 5" in lines
