"""The operation reference: field rows, folded enums, anyOf enums, nesting, examples per status,
the finished job, event streams as data lines, badges, escaping, and the minimal request run
against the mock in the sandbox by the real pytest plugin."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from snippetgen.markdown.expand import transform_page
from snippetgen.markdown.reference import minimal_request, operation_markdown
from snippetgen.project import Project
from snippetgen.runner import isolation
from snippetgen.workspace import load_workspace

pytest_plugins = ["pytester"]

FIXTURE = Path(__file__).parent / "reference_specs" / "jobs.yaml"


@pytest.fixture
def ws(project):
    project.spec("jobs", FIXTURE.read_text())
    site, _ = load_workspace(Project.load(project.root), validate_specs=False, read_pages=False)
    assert site.specs is not None
    return site


def render(ws, ref: str) -> str:
    op = ws.specs.resolve(ref)
    assert op is not None
    return operation_markdown(op, ws.specs)


def text_of(fragment: str) -> str:
    """The visible text (tags dropped, references decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def field(out: str, ident: str) -> str:
    """The HTML of the field row with this id (up to the next row)."""
    start = out.index(f'<div class="sg-field" id="{ident}">')
    nxt = out.find('<div class="sg-field" id=', start + 1)
    return out[start : nxt if nxt > 0 else len(out)]


def test_the_reference_is_a_heading_and_one_line_of_html(ws):
    out = render(ws, "jobs:createVideo")
    heading, block = out.rstrip("\n").split("\n\n")
    assert heading == "### Start a video"
    assert "\n" not in block and "<table" not in block
    assert block.startswith('<div class="sg-op" id="createvideo" data-operation="jobs:createVideo">')
    assert '<div class="sg-op-grid"><div class="sg-op-main">' in block
    assert '</div><div class="sg-op-side">' in block


def test_fields_are_rows_with_constraints_in_one_line(ws):
    out = render(ws, "jobs:createVideo")
    prompt = field(out, "createvideo-request-prompt")
    assert text_of(prompt) == "prompt string requiredWhat to show.1-4,000 characters"
    assert '<a class="sg-field-name" href="#createvideo-request-prompt">' in prompt
    duration = field(out, "createvideo-request-duration")
    assert text_of(duration) == "duration integerDefault 5one of 5, 10"
    pan = field(out, "createvideo-request-camera.pan")
    assert text_of(pan) == "pan numberfrom -10 to 10"
    # minLength 1 alone says nothing: no "at least 1 character" noise
    assert "at least 1 character" not in text_of(render(ws, "jobs:streamIt"))


def test_long_enums_fold_and_short_ones_are_listed(ws):
    model = field(render(ws, "jobs:createVideo"), "createvideo-request-model")
    assert '<details class="sg-field-values sg-enum"><summary>one of 12 values</summary>' in model
    assert "<code>m-12</code>" in model
    status = field(render(ws, "jobs:getVideo"), "getvideo-response-200-status")
    assert '<div class="sg-field-values">one of <code>running</code>, <code>completed</code></div>' in status


def test_anyof_enums_are_listed_per_branch_with_their_badges(ws):
    style = field(render(ws, "jobs:streamIt"), "streamit-request-style")
    assert (
        '<div class="sg-field-values">Short style: one of <code>1</code>, <code>2</code>, <code>3</code></div>'
        in style
    )
    assert (
        '<details class="sg-field-values sg-enum"><summary>Named style: one of 10 values <span class="sg-assumed"'
        in style
    )
    assert "The names are read from a screenshot." in style
    assert "string</span>" in style  # the type of the union, not "any"


def test_nested_fields_are_indented_and_deep_ones_folded(ws):
    out = render(ws, "jobs:createVideo")
    camera = out[out.index('id="createvideo-request-camera"') :]
    assert (
        '<div class="sg-field-children"><div class="sg-fields"><div class="sg-field" id="createvideo-request-camera.pan">'
        in camera
    )
    shots = out[out.index('id="createvideo-request-camera.shots"') :]
    assert shots.index(
        '<details class="sg-children"><summary>1 field of <code>shots</code></summary>'
    ) < shots.index('id="createvideo-request-camera.shots.angle"')
    assert "at most 4 items" in text_of(shots)
    job = render(ws, "jobs:getVideo")
    assert 'id="getvideo-response-200-video.meta.codec"' in job  # response fields have their own anchors


def test_every_status_has_an_example_and_the_finished_job_is_marked(ws):
    out = render(ws, "jobs:getVideo")
    side = out[out.index('<div class="sg-op-side">') :]
    labels = [text_of(x) for x in re.findall(r'<p class="sg-example-label">(.*?)</p>', side)]
    assert labels == [
        "Minimal request",
        "200 · application/json · Still rendering while the job runs",
        "200 · application/json · Finished the final state of the job",
        "400 · application/json",
    ]
    shown = text_of(side)
    assert '"url": "https://cdn.example.test/v.mp4"' in shown
    # the shared 400 talks about `model`, which a GET of this API never sends: the API's error
    # shape with a message about this operation's own field instead
    assert '"message": "generation_id is missing or invalid",\n  "error": "Request rejected"' in shown
    assert "model must be one of" not in shown
    # the POST does send `model`: its 400 keeps the spec's example
    assert "model must be one of the listed values" in text_of(render(ws, "jobs:createVideo"))


def test_an_event_stream_is_shown_as_data_lines(ws):
    side = text_of(render(ws, "jobs:streamIt").split('<div class="sg-op-side">')[1])
    assert (
        'data: {"status": "Processing started"}\n\n'
        'data: {"status": "Completed", "url": "https://cdn.example.test/a.mp3"}' in side
    )
    assert '\\"status\\"' not in side


def test_assumed_facts_get_badges_and_a_footnote_list(ws):
    out = render(ws, "jobs:createVideo")
    endpoint = out[
        out.index('<p class="sg-endpoint">') : out.index("</p>", out.index('<p class="sg-endpoint">'))
    ]
    assert (
        '<span class="sg-assumed" tabindex="0" title="The source does not say the call is asynchronous.">Assumed'
        in endpoint
    )
    assert endpoint.index("The source gives no host") < endpoint.index("asynchronous")  # the server's own
    status = out[out.index('id="createvideo-response-429"') :]
    assert status.index('<span class="sg-assumed"') < status.index("Retry-After")
    assert 'title="Retry-After is not in the source.">Assumed' in out
    footnote = out[out.index('<details class="sg-assumed-list">') :]
    assert text_of(footnote).startswith(
        "3 assumed facts: what the source does not say(the operation): The source"
    )
    assert "/responses/429/headers/Retry-After: Retry-After is not in the source." in text_of(footnote)


def test_spec_text_is_escaped_everywhere(ws):
    out = render(ws, "jobs:createVideo")
    assert "<script" not in out and "<img" not in out
    assert "Too many jobs &lt;script&gt;alert&#40;'XSS-429'&#41;&lt;/script&gt;" in out
    assert 'title="The source does not say which status a full queue answers &lt;img src=x onerror=' in out
    # page expansion keeps it inert through the site's Markdown pass
    import markdown as python_markdown

    page = transform_page('<operation data-ref="jobs:createVideo"></operation>\n', "api.md", ws)
    rendered = python_markdown.markdown(
        page, extensions=["pymdownx.superfences", "tables", "md_in_html", "attr_list"]
    )
    assert "<script" not in rendered and "<img" not in rendered
    assert rendered.count('<div class="sg-op"') == 1


def test_minimal_requests_carry_only_what_is_required(ws):
    create = minimal_request(ws.specs.resolve("jobs:createVideo"), ws.specs)
    assert create is not None
    assert create.shown == (
        "curl -X POST https://jobs.example.test/v1/videos \\\n"
        '  -H "Authorization: Bearer $JOBS_API_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        '  -d \'{"model": "m-1", "prompt": "A fox in the snow"}\''
    )
    assert create.operations == ("jobs:createVideo",) and create.key_envs == ("JOBS_API_KEY",)
    poll = minimal_request(ws.specs.resolve("jobs:getVideo"), ws.specs)
    assert poll is not None
    assert poll.shown == (
        'curl "https://jobs.example.test/v1/videos?generation_id=$GENERATION_ID" \\\n'
        '  -H "Authorization: Bearer $JOBS_API_KEY"'
    )
    assert poll.needs == "$GENERATION_ID: the generation_id that createVideo answered"
    assert poll.operations == ("jobs:createVideo", "jobs:getVideo")
    assert poll.run.startswith("set -eo pipefail\nGENERATION_ID=$(curl -sS --fail-with-body -X POST ")
    assert "| sed -n " in poll.run and "python" not in poll.run  # the cURL tabs' tools only
    stream = minimal_request(ws.specs.resolve("jobs:streamIt"), ws.specs)
    assert stream is not None and stream.shown.startswith("curl -N -X POST ")
    out = render(ws, "jobs:getVideo")
    assert '<div class="sg-example sg-minimal"><p class="sg-example-label">Minimal request</p>' in out


BROKEN = """\
openapi: 3.1.0
info: {title: Broken, version: "1"}
servers: [{url: "https://broken.example.test"}]
x-mock:
  accounts: {balance: 0, cost: 1}
paths:
  /v1/thing:
    get:
      operationId: getThing
      responses:
        "200":
          description: A thing.
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
              example: {id: 5}
"""


UPLOAD = """\
openapi: 3.1.0
info: {title: Files, version: "1"}
servers: [{url: "https://files.test/v1"}]
paths:
  /blobs:
    post:
      operationId: putBlob
      requestBody:
        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        "201":
          description: Stored
          content:
            application/json:
              schema: {type: object, properties: {size: {type: integer}}}
              example: {size: 12}
"""
"""A raw upload of a type without a built-in sample (as in petstore3's uploadFile)."""


@pytest.mark.skipif(not isolation.support().available, reason="no kernel isolation here (bubblewrap)")
def test_minimal_requests_run_against_the_mock_in_the_sandbox(pytester):
    pytester.makefile(
        ".yaml",
        **{
            "shared/openapi/jobs": FIXTURE.read_text(),
            "shared/openapi/broken": BROKEN,
            "shared/openapi/files": UPLOAD,
        },
    )
    pytester.makefile(".toml", pyproject='[tool.snippetgen]\nsandbox = "required"\n')
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = docs shared/snippets\n")
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "index.md").write_text(
        "# Jobs\n\n"
        '<operation data-ref="jobs:createVideo"></operation>\n\n'
        '<operation data-ref="jobs:getVideo"></operation>\n\n'
        '<operation data-ref="jobs:streamIt"></operation>\n\n'
        '<operation data-ref="broken:getThing"></operation>\n\n'
        '<operation data-ref="files:putBlob"></operation>\n'
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*docs/index.md::op:jobs.createVideo?line3-curl? PASSED*",
            "*docs/index.md::op:jobs.getVideo?line5-curl? PASSED*",
            "*docs/index.md::op:jobs.streamIt?line7-curl? PASSED*",
            "*docs/index.md::op:broken.getThing?line9-curl? FAILED*",
            "*docs/index.md::op:files.putBlob?line11-curl? PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*docs/index.md:9::op:broken.getThing::curl failed*", "*exited with status 22*"]
    )
    record = json.loads((pytester.path / ".snippetgen" / "runs" / "main.json").read_text())
    by_id = {row["id"]: row for row in record["executed"]}
    assert by_id["docs/index.md:5::op:jobs.getVideo::curl"]["operations"] == [
        "jobs:createVideo",
        "jobs:getVideo",
    ]
