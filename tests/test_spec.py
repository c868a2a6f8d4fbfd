"""snippetgen.spec: loading OpenAPI documents, locating problems, resolving operations, checking values."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from snippetgen.spec import load_specs
from snippetgen.spec.values import check_value

REPO = Path(__file__).resolve().parents[1]
OPENAPI = REPO / "shared" / "openapi"
REPO_SPECS = sorted(OPENAPI.glob("*.yaml"))

MINIMAL = """\
openapi: 3.1.0
info: {title: Tiny, version: "1"}
servers:
  - url: https://tiny.example.com
security:
  - bearerAuth: []
paths:
  /things:
    post:
      operationId: createThing
      summary: Create a thing
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Thing'
            example: {kind: round, size: 3}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
              example: {id: t1}
        "401":
          description: no key
        "400":
          description: bad
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
  schemas:
    Thing:
      type: object
      required: [kind]
      properties:
        kind: {type: string, enum: [round, square]}
        size: {type: integer, minimum: 1}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- the repository's specs --------------------------------------------------------------------


def test_repo_specs_load_without_problems():
    specs, problems = load_specs(OPENAPI, REPO)
    assert [p.format() for p in problems] == []
    assert set(specs.apis) == {"aimlapi", "ainow", "media", "aiart"}
    assert specs.apis["aimlapi"].base_url == "https://api.aimlapi.com"
    assert specs.apis["media"].base_url == "https://yourdomain.com/api/v1"
    assert all(op.operation_id and op.summary and op.description for op in specs.operations())


@pytest.mark.parametrize("path", REPO_SPECS, ids=lambda p: p.stem)
def test_schemathesis_loads_repo_spec(path: Path):
    schemathesis = pytest.importorskip("schemathesis")
    schema = schemathesis.openapi.from_path(str(path))
    operations = [result.ok() for result in schema.get_all_operations()]  # .ok() raises on a broken operation
    assert operations


def test_operation_fields_from_repo_specs():
    specs, _ = load_specs(OPENAPI, REPO)
    img2video = specs.resolve("aiart:POST /api/img2video")
    assert img2video is not None and img2video.operation_id == "startImageToVideo"
    assert img2video.request_content_type == "multipart/form-data"
    assert not img2video.secured
    fields = img2video.request_fields()
    assert fields["motion_bucket_id"]["maximum"] == 255
    poll = specs.resolve("aiart:getImageToVideoResult")
    assert "id" in poll.request_fields() and poll.location.line > 1

    kling = specs.resolve("aimlapi:createKlingVideo")
    assert kling.secured and kling.method == "POST" and kling.ref == "aimlapi:createKlingVideo"
    assert "kling-video/v1/standard/text-to-video" in kling.request_fields()["model"]["enum"]
    # oneOf variants are merged: the model enum is the union of both audio bodies
    audio = specs.resolve("aimlapi:createAudio").request_fields()
    assert set(audio["model"]["enum"]) == {"stable-audio", "minimax-music"}
    assert "seconds_total" in audio and "reference_audio_url" in audio


def test_line_of_points_at_the_yaml_line():
    specs, _ = load_specs(OPENAPI, REPO)
    api = specs.apis["ainow"]
    text = api.path.read_text().splitlines()
    line = api.line_of("/paths/~1api~1generate/post")
    assert text[line - 1].strip() == "post:"
    op = specs.resolve("ainow:generate")
    assert op.location == api.location("/paths/~1api~1generate/post")
    assert str(op.location).startswith("shared/openapi/ainow.yaml:")


# --- resolve / suggest ---------------------------------------------------------------------------


def test_resolve_by_id_and_by_method_path(tmp_path: Path):
    write(tmp_path, "tiny.yaml", MINIMAL)
    specs, problems = load_specs(tmp_path, tmp_path)
    assert problems == []
    by_id = specs.resolve("tiny:createThing")
    by_path = specs.resolve("tiny:POST /things")
    assert by_id is by_path and by_id.path == "/things" and by_id.method == "POST"
    assert specs.resolve("tiny:post /things") is by_id  # method case does not matter
    assert specs.resolve("tiny:GET /things") is None
    assert specs.resolve("other:createThing") is None
    assert specs.resolve("createThing") is by_id  # unique bare id
    assert by_id.request_fields()["kind"]["enum"] == ["round", "square"]


def test_suggest_close_matches():
    specs, _ = load_specs(OPENAPI, REPO)
    assert specs.resolve("aimlapi:createKlingVdeo") is None
    assert specs.suggest("aimlapi:createKlingVdeo")[0] == "aimlapi:createKlingVideo"
    assert "aiart:generateImage" in specs.suggest("aiart:generateImages")


# --- problems ------------------------------------------------------------------------------------


def test_broken_ref_is_one_problem_at_its_line(tmp_path: Path):
    text = MINIMAL.replace("#/components/schemas/Thing'", "#/components/schemas/Thnig'")
    write(tmp_path, "broken.yaml", text)
    specs, problems = load_specs(tmp_path, tmp_path)
    assert len(problems) == 1, [p.format() for p in problems]
    problem = problems[0]
    assert problem.code == "spec-ref"
    line = line_of(text, "Thnig")
    assert line == 17
    assert problem.format().startswith(f"broken.yaml:{line}: ")
    assert "#/components/schemas/Thnig" in problem.message and "Traceback" not in problem.format()
    assert "Thing" in (problem.hint or "")
    assert len(problem.format()) < 400  # no dump of the spec


def test_remote_ref_is_refused(tmp_path: Path):
    text = MINIMAL.replace("'#/components/schemas/Thing'", "'https://example.com/schemas.yaml#/Thing'")
    write(tmp_path, "remote.yaml", text)
    _, problems = load_specs(tmp_path, tmp_path)
    assert [p.code for p in problems] == ["spec-ref"]
    assert problems[0].location.line == line_of(text, "https://example.com/schemas.yaml")
    assert "outside this file" in problems[0].message


def test_other_file_ref_is_refused(tmp_path: Path):
    text = MINIMAL.replace("'#/components/schemas/Thing'", "'common.yaml#/Thing'")
    write(tmp_path, "split.yaml", text)
    _, problems = load_specs(tmp_path, tmp_path)
    assert [p.code for p in problems] == ["spec-ref"]


def test_yaml_syntax_error_at_its_line(tmp_path: Path):
    text = MINIMAL.replace("      summary: Create a thing", "      summary: [Create a thing")
    write(tmp_path, "syntax.yaml", text)
    specs, problems = load_specs(tmp_path, tmp_path)
    assert len(problems) == 1 and problems[0].code == "spec-yaml"
    assert problems[0].location.path == "syntax.yaml"
    assert problems[0].location.line >= line_of(text, "[Create a thing")
    assert "syntax.yaml" not in specs.apis and specs.apis == {}


def test_invalid_example_is_reported_at_the_example(tmp_path: Path):
    text = MINIMAL.replace("example: {kind: round, size: 3}", "example: {kind: oval, size: 3}")
    write(tmp_path, "example.yaml", text)
    _, problems = load_specs(tmp_path, tmp_path)
    assert [p.code for p in problems] == ["spec-example"]
    assert problems[0].location.line == line_of(text, "kind: oval")
    assert "'oval' is not one of" in problems[0].message


def test_invalid_named_example(tmp_path: Path):
    text = MINIMAL.replace(
        "              example: {id: t1}",
        "              examples:\n                first:\n                  value: [not, an, object]",
    )
    write(tmp_path, "named.yaml", text)
    _, problems = load_specs(tmp_path, tmp_path)
    assert [p.code for p in problems] == ["spec-example"]
    assert problems[0].location.line == line_of(text, "value: [not, an, object]")


def test_duplicate_operation_id(tmp_path: Path):
    text = MINIMAL.replace(
        "components:",
        "  /things/{id}:\n"
        "    get:\n"
        "      operationId: createThing\n"
        "      summary: Get a thing\n"
        "      parameters:\n"
        "        - {name: id, in: path, required: true, schema: {type: string}}\n"
        "      responses:\n"
        '        "200": {description: ok}\n'
        '        "401": {description: no key}\n'
        "components:",
        1,
    )
    write(tmp_path, "dup.yaml", text)
    _, problems = load_specs(tmp_path, tmp_path)
    assert sorted(p.code for p in problems) == ["spec-lint"]
    assert "duplicate operationId 'createThing'" in problems[0].message
    assert problems[0].location.line == line_of(text, "/things/{id}:") + 1


def test_missing_401_and_missing_error_response(tmp_path: Path):
    text = MINIMAL.replace('        "401":\n          description: no key\n', "").replace(
        '        "400":\n          description: bad\n', ""
    )
    write(tmp_path, "lint.yaml", text)
    _, problems = load_specs(tmp_path, tmp_path)
    messages = sorted(p.message for p in problems)
    assert all(p.code == "spec-lint" for p in problems)
    assert any("declares no 4xx/5xx response" in m for m in messages)
    assert any("secured but declares no 401" in m for m in messages)


def test_openapi_validator_error_located(tmp_path: Path):
    text = MINIMAL.replace("          description: bad\n", "          descripton: bad\n")
    write(tmp_path, "invalid.yaml", text)
    _, problems = load_specs(tmp_path, tmp_path)
    assert problems and problems[0].code == "spec-invalid"
    assert problems[0].location.line == line_of(text, '"400":')


def test_unknown_x_mock_key_and_missing_phase_example(tmp_path: Path):
    text = MINIMAL.replace(
        "components:",
        "  /things/{id}:\n"
        "    get:\n"
        "      operationId: getThing\n"
        "      parameters:\n"
        "        - {name: id, in: path, required: true, schema: {type: string}}\n"
        "      responses:\n"
        '        "200":\n'
        "          description: ok\n"
        "          content:\n"
        "            application/json:\n"
        "              schema: {type: object}\n"
        "              examples:\n"
        "                done: {value: {state: done}}\n"
        '        "401": {description: no key}\n'
        "      x-mock:\n"
        "        job-poll:\n"
        "          of: [createThing]\n"
        "          id: path:id\n"
        "          phases:\n"
        "            - {status: 200, example: finished}\n"
        "        delay: 3\n"
        "components:",
        1,
    )
    write(tmp_path, "mock.yaml", text)
    _, problems = load_specs(tmp_path, tmp_path)
    by_line = {p.location.line: p for p in problems}
    assert all(p.code == "spec-extension" for p in problems), [p.format() for p in problems]
    assert "unknown x-mock key 'delay'" in by_line[line_of(text, "delay: 3")].message
    phase = by_line[line_of(text, "example: finished")]
    assert "'finished'" in phase.message and phase.expected == "done"


def test_missing_directory_and_display_paths(tmp_path: Path):
    _, problems = load_specs(tmp_path / "nope", tmp_path)
    assert problems and problems[0].code == "spec-yaml"
    sub = tmp_path / "specs"
    sub.mkdir()
    write(sub, "tiny.yaml", MINIMAL.replace("Thing'", "Nothing'"))
    _, problems = load_specs(sub, tmp_path)
    assert problems[0].location.path == "specs/tiny.yaml"


# --- check_value ---------------------------------------------------------------------------------

KLING_MODEL = {
    "type": "string",
    "enum": ["kling-video/v1/standard/text-to-video", "kling-video/v1/standard/image-to-video"],
}


def test_check_value_bad_enum_from_attribute():
    messages = check_value(KLING_MODEL, "nope", from_attribute=True)
    assert messages == [
        "'nope' is not one of: kling-video/v1/standard/text-to-video, kling-video/v1/standard/image-to-video"
    ]
    assert check_value(KLING_MODEL, "kling-video/v1/standard/text-to-video", from_attribute=True) == []


def test_check_value_integer_attribute():
    schema = {"type": "integer", "minimum": 1, "maximum": 255}
    assert check_value(schema, "5", from_attribute=True) == []
    assert check_value(schema, "abc", from_attribute=True) == ["'abc' is not of type 'integer'"]
    assert check_value(schema, "300", from_attribute=True) == ["300 is greater than the maximum of 255"]
    assert check_value(schema, "5") == ["'5' is not of type 'integer'"]  # not from an attribute: no coercion


def test_check_value_string_schema_keeps_the_string():
    assert check_value({"type": "string", "enum": ["5", "10"]}, "5", from_attribute=True) == []
    assert check_value({"type": "string"}, "123", from_attribute=True) == []


def test_check_value_union_of_enums_lists_all_values():
    specs, _ = load_specs(OPENAPI, REPO)
    style = specs.resolve("ainow:generate").request_fields()["style"]
    assert check_value(style, "4", from_attribute=True) == []
    assert check_value(style, "80s_vaporwave", from_attribute=True) == []
    [message] = check_value(style, "sepia", from_attribute=True)
    assert message.startswith("'sepia' is not one of: 1, 2, 3, 4, 5, 6, 7, abandoned,")


def test_check_value_nested_and_boolean():
    schema = {"type": "object", "properties": {"loop": {"type": "boolean"}}}
    assert check_value(schema, '{"loop": true}', from_attribute=True) == []
    assert check_value(schema, '{"loop": "yes"}', from_attribute=True) == [
        "at loop: 'yes' is not of type 'boolean'"
    ]
