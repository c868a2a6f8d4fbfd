"""The mock is faithful to any team's spec: the declared success (never ``default``), replies that
match their declared schema (or a log entry that says they do not), tolerance of what it cannot
serve, form and query styles, upload limits, answers tied to the request, and bounded memory.

Each test writes the small document it needs; the real public specs are in test_mock_realworld.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from snippetgen.mock import MockServer, MockSettings, Request, Responder
from snippetgen.runner.verify import request_failures

PNG = (Path(__file__).resolve().parents[1] / "snippetgen" / "media" / "sample.png").read_bytes()
HEAD = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"


def load(tmp_path: Path, text: str, name: str = "api", **settings: Any) -> Responder:
    (tmp_path / f"{name}.yaml").write_text(HEAD + text)
    return Responder.load(tmp_path, MockSettings(stream_interval=0, **settings))


def ask(mock: Responder, method: str, path: str, body: Any = None, query: str = "", **headers: str):
    raw = b""
    if body is not None:
        raw, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    return mock.respond(Request(method, path, query, headers, raw))


PETS = """
paths:
  /pets:
    get:
      parameters: [{name: limit, in: query, schema: {type: integer}}]
      responses:
        '200':
          description: pets
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
        default:
          description: error
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
    post:
      responses:
        '202': {description: queued, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
  /pets/{id}:
    delete:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        '204': {description: gone, content: {application/json: {schema: {type: object}}}}
        default: {description: error, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
  /only-default:
    get:
      responses:
        default: {description: anything, content: {application/json: {example: {ok: true}}}}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties: {id: {type: integer, format: int64}, name: {type: string}, born: {type: string, format: date}}
      example: {id: 1, name: Rex, born: 2021-03-04}
    Error:
      type: object
      required: [code, message]
      properties: {code: {type: integer, format: int32}, message: {type: string}}
"""


def test_default_is_only_for_undeclared_statuses(tmp_path):
    mock = load(tmp_path, PETS)
    pets = ask(mock, "GET", "/pets")
    assert pets.status == 200 and pets.json() == [{"id": 1, "name": "Rex", "born": "2021-03-04"}]
    assert pets.reply_errors == []  # an unquoted YAML date in an example is the string it reads as
    bad = ask(mock, "GET", "/pets", query="limit=x")
    assert bad.status == 422 and bad.json()["code"] == 422 and "query/limit" in bad.json()["message"]
    assert ask(mock, "GET", "/only-default").json() == {"ok": True}  # default is all it declares: 200


def test_the_success_is_the_lowest_declared_2xx_and_204_has_no_body(tmp_path):
    mock = load(tmp_path, PETS)
    assert ask(mock, "POST", "/pets").status == 201
    gone = ask(mock, "DELETE", "/pets/3")
    assert gone.status == 204 and gone.body == b"" and gone.headers == []


def test_an_example_that_contradicts_its_schema_is_replaced_and_reported(tmp_path):
    mock = load(
        tmp_path,
        """
paths:
  /images:
    post:
      responses:
        '200':
          description: made
          content:
            application/json:
              schema:
                type: object
                required: [data]
                properties:
                  data: {type: array, items: {type: object, required: [url], properties: {url: {type: string}}}}
              example: {data: [{b64: abc}]}
""",
    )
    answer = ask(mock, "POST", "/images")
    assert answer.json() == {"data": [{"url": "string"}]} and answer.reply_errors == []
    [line] = mock.skipped
    assert "api.yaml:" in line and "/data/0/url is missing" in line and "value built from the schema" in line


def test_a_reply_the_spec_does_not_declare_fails_the_example_with_its_place(tmp_path):
    """Where the mock must answer an example as written (x-mock names it) and it contradicts the
    schema, the log says so and the runner fails the example: a false green is impossible."""
    mock = load(
        tmp_path,
        """
paths:
  /images:
    post:
      operationId: makeImages
      x-mock: {example: wrong}
      responses:
        '200':
          description: made
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {type: array, items: {type: object, required: [url], properties: {url: {type: string}}}}
              examples:
                wrong: {value: {data: [{b64: abc}]}}
""",
    )
    answer = ask(mock, "POST", "/images")
    assert answer.status == 200
    assert answer.reply_errors == ["a body the spec does not declare: /data/0/url is missing"]
    entries = mock.state.entries()
    assert entries[-1]["reply_errors"] == answer.reply_errors
    [failure] = request_failures(entries, ["api:makeImages"], lambda ref: ref)
    assert "the mock answered 200 with a body the spec does not declare: /data/0/url is missing" in failure


TOLERANT = """
paths:
  /good:
    get:
      responses: {'200': {description: ok, content: {application/json: {example: {ok: true}}}}}
  /bad-security:
    get:
      security: [{nowhere: []}]
      responses: {'200': {description: ok}}
  /bad-pattern:
    post:
      requestBody: {content: {application/json: {schema: {type: string, pattern: '(unclosed'}}}}
      responses: {'200': {description: ok}}
  /unchecked:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object, required: [a, a]}}}}
  /tree:
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}}}
      responses: {'200': {description: ok}}
  /no-responses:
    get: {}
webhooks:
  ping: {post: {responses: {'200': {description: ok}}}}
components:
  schemas:
    Node:
      $recursiveAnchor: true
      type: object
      additionalProperties: false
      properties:
        name: {type: string}
        children: {type: array, items: {$recursiveRef: '#'}}
"""


def test_what_cannot_be_served_is_skipped_once_and_the_rest_serves(tmp_path):
    mock = load(tmp_path, TOLERANT)
    skipped = mock.skipped
    assert len(skipped) == 2, skipped
    security, pattern = sorted(skipped, key=lambda s: "pattern" in s)
    assert "GET /bad-security is not served (answers 501)" in security and "'nowhere'" in security
    assert "POST /bad-pattern is not served (answers 501)" in pattern and "invalid schema" in pattern
    assert ask(mock, "GET", "/good").json() == {"ok": True}
    refused = ask(mock, "GET", "/bad-security")
    assert refused.status == 501 and "nowhere" in refused.json()["detail"]
    assert (
        mock.state.entries()[-1]["skipped"].startswith(str(tmp_path / "api.yaml") + ":")
        or "api.yaml:" in (mock.state.entries()[-1]["skipped"])
    )
    assert ask(mock, "GET", "/unchecked").status == 200  # a duplicate `required` entry is dropped
    assert ask(mock, "GET", "/no-responses").status == 200


def test_recursive_anchors_validate_to_any_depth(tmp_path):
    mock = load(tmp_path, TOLERANT)
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    assert ask(mock, "POST", "/tree", tree).status == 200
    wrong = {"name": "a", "children": [{"name": "b", "children": [{"name": "c", "extra": 1}]}]}
    bad = ask(mock, "POST", "/tree", wrong)
    assert bad.status == 422 and "body/children/0/children/0" in bad.json()["detail"]


def test_a_server_starts_with_what_it_can_serve_and_says_the_rest(tmp_path, capsys):
    (tmp_path / "api.yaml").write_text(HEAD + TOLERANT)
    with MockServer(tmp_path) as server:
        assert len(server.skipped) == 2 and all("api.yaml:" in s for s in server.skipped)


# --- forms and queries ---------------------------------------------------------------------------

FORMS = """
paths:
  /charges:
    post:
      parameters:
        - {name: filter, in: query, style: deepObject, explode: true,
           schema: {type: object, properties: {status: {type: string}, min: {type: integer}}}}
        - {name: ids, in: query, style: pipeDelimited, explode: false, schema: {type: array, items: {type: integer}}}
        - {name: tags, in: query, explode: false, schema: {type: array, items: {type: string}}}
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [amount]
              properties:
                amount: {type: integer}
                metadata: {type: object, additionalProperties: {type: string}}
                expand: {type: array, items: {type: string}}
                items:
                  type: array
                  items: {type: object, required: [price], properties: {price: {type: string}, quantity: {type: integer}}}
                capture: {type: boolean}
            encoding:
              metadata: {style: deepObject, explode: true}
              expand: {style: deepObject, explode: true}
      responses: {'200': {description: ok}}
"""


def form(mock: Responder, pairs: list[tuple[str, str]], query: str = ""):
    return mock.respond(
        Request(
            "POST",
            "/charges",
            query,
            {"Content-Type": "application/x-www-form-urlencoded"},
            urlencode(pairs).encode(),
        )
    )


def test_form_bodies_take_bracket_keys_and_deep_objects(tmp_path):
    mock = load(tmp_path, FORMS)
    pairs = [
        ("amount", "2000"),
        ("metadata[order_id]", "6735"),
        ("expand[]", "customer"),
        ("expand[]", "invoice"),
        ("items[0][price]", "price_1"),
        ("items[0][quantity]", "2"),
        ("items[1][price]", "price_2"),
        ("capture", "false"),
    ]
    answer = form(mock, pairs, "filter[status]=paid&filter[min]=5&ids=1|2|3&tags=a,b")
    assert answer.status == 200, answer.body
    assert mock.state.entries()[-1]["body"] == {
        "amount": 2000,
        "metadata": {"order_id": "6735"},
        "expand": ["customer", "invoice"],
        "items": [{"price": "price_1", "quantity": 2}, {"price": "price_2"}],
        "capture": False,
    }
    bad = form(mock, [("amount", "x"), ("items[0][quantity]", "two")], "filter[min]=low&ids=1|x")
    assert bad.status == 422
    detail = bad.json()["detail"]
    for where in (
        "body/amount",
        "body/items/0/price",
        "body/items/0/quantity",
        "query/filter/min",
        "query/ids/1",
    ):
        assert where in detail, detail


# --- uploads ---------------------------------------------------------------------------------------

UPLOADS = """
x-mock:
  error: {body: {error: "{message}"}}
paths:
  /edit:
    post:
      x-mock:
        files: {mask: {max-bytes: 100, types: [image/png]}}
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              required: [image]
              properties:
                image: {type: string, format: binary, maxLength: 10485760}
                mask: {type: string}
                prompt: {type: string}
            encoding:
              image: {contentType: 'image/png, image/jpeg'}
      responses:
        '200': {description: ok, content: {application/json: {example: {ok: true}}}}
        '400': {description: bad, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
        '413': {description: too large, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
        '415': {description: not an image, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
components:
  schemas:
    Error: {type: object, required: [error], properties: {error: {type: string}}}
"""


def upload(mock: Responder, *files: tuple[str, str, bytes, str]):
    boundary = "b0undary"
    body = b""
    for field, name, data, ctype in files:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                f"Content-Type: {ctype}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    return mock.respond(
        Request(
            "POST", "/edit", headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, body=body
        )
    )


def test_upload_limits_are_the_specs_413_and_415_in_the_apis_error_shape(tmp_path):
    mock = load(tmp_path, UPLOADS)
    assert upload(mock, ("image", "a.png", PNG, "image/png")).json() == {"ok": True}
    big = upload(mock, ("image", "big.png", PNG + b"\0" * (12 * 1024 * 1024), "image/png"))
    assert big.status == 413 and "over the limit of 10485760 bytes" in big.json()["error"]
    assert big.reply_errors == []
    text = upload(mock, ("image", "notes.txt", b"just text", "text/plain"))
    assert text.status == 415 and "'text/plain' is not one of image/png, image/jpeg" in text.json()["error"]
    mask = upload(mock, ("image", "a.png", PNG, "image/png"), ("mask", "m.jpg", PNG, "image/jpeg"))
    assert mask.status == 415  # x-mock.files: a declared plain string field is a file with its own limits
    assert (
        upload(
            mock, ("image", "a.png", PNG, "image/png"), ("mask", "m.png", PNG + b"\0" * 200, "image/png")
        ).status
        == 413
    )


# --- answers tied to the request -----------------------------------------------------------------

COUNT = """
paths:
  /images:
    post:
      x-mock: {count: {by: num_images, at: /data}}
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {num_images: {type: integer, minimum: 1, maximum: 4, default: 1}}}
      responses:
        '200':
          description: made
          content:
            application/json:
              schema:
                type: object
                properties: {data: {type: array, items: {type: object, properties: {url: {type: string}}}}}
              example: {data: [{url: https://cdn.example.com/out/image.png}]}
"""


def test_a_count_field_yields_that_many_items_each_with_its_own_url(tmp_path):
    mock = load(tmp_path, COUNT)
    three = ask(mock, "POST", "/images", {"num_images": 3}).json()["data"]
    assert len(three) == 3 and len({item["url"] for item in three}) == 3
    assert all(item["url"].endswith("/image.png") for item in three)
    assert len(ask(mock, "POST", "/images", {}).json()["data"]) == 1  # the schema's default


# --- memory --------------------------------------------------------------------------------------

JOBS = """
paths:
  /jobs:
    post:
      operationId: startJob
      x-mock: {job-create: {id: /id}}
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {'201': {description: ok, content: {application/json: {example: {id: abc}}}}}
  /jobs/{id}:
    get:
      operationId: getJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      x-mock: {job-poll: {of: [startJob], id: 'path:id', phases: [{status: 200}]}}
      responses:
        '200': {description: ok, content: {application/json: {example: {id: abc, status: done}}}}
        '404': {description: gone}
"""


def test_the_log_and_the_jobs_are_bounded_rings(tmp_path):
    mock = load(tmp_path, JOBS, log_size=5, max_jobs=3, log_body_limit=100)
    ids = [ask(mock, "POST", "/jobs", {"n": i}).json()["id"] for i in range(10)]
    assert len(mock.state.entries()) == 5 and len(mock.state.jobs) == 3
    assert ask(mock, "GET", f"/jobs/{ids[0]}").status == 404  # pushed out of the ring
    assert ask(mock, "GET", f"/jobs/{ids[-1]}").json()["status"] == "done"
    ask(mock, "POST", "/jobs", {"text": "x" * 1000})
    logged = mock.state.entries()[-1]["body"]
    assert set(logged) == {"size", "sha256"} and logged["size"] > 1000


def test_the_mock_command_prints_what_it_skips_at_start_up(tmp_path):
    import subprocess
    import sys

    (tmp_path / "api.yaml").write_text(HEAD + TOLERANT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "snippetgen.mock", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert lines[0].startswith("api  http://127.0.0.1:")
    assert all(line.startswith("skipped: ") and "api.yaml:" in line for line in lines[1:])
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


# --- through the pytest plugin: what a docs author sees ---------------------------------------------

ECHO_PY = """import requests

r = requests.post({{ baseUrl | lit }} + "/echo", json={"prompt": "hi"}, timeout=10)
r.raise_for_status()
print(r.json())
"""


def echo_project(root: Path, spec: str) -> None:
    (root / "shared" / "openapi").mkdir(parents=True)
    (root / "shared" / "openapi" / "tiny.yaml").write_text(spec)
    folder = root / "shared" / "snippets" / "tiny" / "echo"
    folder.mkdir(parents=True)
    config = {
        "title": "Echo",
        "operations": ["tiny:echo"],
        "payload": {"baseUrl": "https://api.tiny.test/v1"},
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "py.jinja").write_text(ECHO_PY)
    (root / "docs").mkdir()
    (root / "pytest.ini").write_text("[pytest]\nsnippetgen = true\ntestpaths = docs shared/snippets\n")


def echo_spec(responses: str, extra: str = "") -> str:
    return (
        HEAD
        + "servers: [{url: 'https://api.tiny.test/v1'}]\npaths:\n  /echo:\n    post:\n      operationId: echo\n"
        + extra
        + "      requestBody: {content: {application/json: {schema: {type: object}}}}\n"
        + responses
    )


def run_pytest(root: Path) -> tuple[int, str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "no:xdist"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


WRONG_REPLY = """      x-mock: {example: wrong}
      responses:
        '200':
          description: made
          content:
            application/json:
              schema: {type: object, required: [url], properties: {url: {type: string}}}
              examples: {wrong: {value: {b64: abc}}}
"""


def test_an_example_cannot_pass_on_a_reply_the_spec_does_not_declare(tmp_path):
    echo_project(tmp_path, echo_spec(WRONG_REPLY))
    code, out = run_pytest(tmp_path)
    assert code == 1, out
    assert "the mock answered 200 with a body the spec does not declare: /url is missing" in out
    assert "snippetgen/mock" not in out


def test_a_skipped_operation_fails_its_example_in_one_line(tmp_path):
    echo_project(
        tmp_path, echo_spec("      responses: {'200': {description: ok}}\n", "      security: [{nope: []}]\n")
    )
    code, out = run_pytest(tmp_path)
    assert code == 1, out
    assert "the mock does not serve tiny:echo: " in out and "security scheme 'nope' is not defined" in out
    assert "snippetgen/mock" not in out  # the example's own traceback is shown, never the mock's


def test_a_mock_that_cannot_start_is_one_short_error_per_example(tmp_path):
    echo_project(tmp_path, "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n")
    code, out = run_pytest(tmp_path)
    assert code == 1, out
    assert "could not run:" in out and "Swagger 2.0 is not supported" in out
    assert "Traceback" not in out and len(out.splitlines()) < 40, out


def test_memory_stays_flat_under_load(tmp_path):
    """The issue saw 62 -> 204 MB over 171k requests: with rings, 12k more requests (jobs, errors,
    new callers each time) leave memory where it was."""
    import gc
    import tracemalloc

    mock = load(tmp_path, JOBS, log_size=200, max_jobs=200, rate_limit=10**9)

    def burst(n: int) -> None:
        for i in range(n):
            job = ask(mock, "POST", "/jobs", {"n": i}, Authorization=f"Bearer caller-{i}").json()["id"]
            ask(mock, "GET", f"/jobs/{job}")
            ask(mock, "GET", f"/nowhere/{i}")

    burst(1000)
    gc.collect()
    tracemalloc.start()
    try:
        burst(1000)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        burst(4000)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(mock.state.entries()) == 200 and len(mock.state.jobs) == 200
    assert after - before < 2 * 1024 * 1024, (before, after)


def test_head_changes_nothing(tmp_path):
    mock = load(tmp_path, JOBS)
    job = ask(mock, "POST", "/jobs", {}).json()["id"]
    head = ask(mock, "HEAD", f"/jobs/{job}")
    assert head.status == 200 and head.body == b"" and head.header("content-type") == "application/json"
    assert mock.state.jobs[f"api/{job}"].polls == 0
    assert int(head.header("content-length") or 0) == len(ask(mock, "GET", f"/jobs/{job}").body)
