"""Tolerance of real vendor specs: severities (error, warning, off) per rule and per API, vendor specs'
house lints as warnings that fail neither ``check`` nor ``build``, Swagger 2.0 refused by every command
that reads specs, validity errors at the line of their construct, 3.1 shapes that load, and no secret
found in the examples a spec publishes. The real documents come from ../shared/realworld (skipped with
a reason when absent)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import repo_mkdocs_yml

from snippetgen.check import check_project
from snippetgen.errors import SpecError, UsageError
from snippetgen.mock.compile import compile_api
from snippetgen.project import Project
from snippetgen.spec import lint, load_api

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"


def realworld(name: str) -> Path:
    path = REALWORLD / name
    if not path.is_file():
        pytest.skip(
            f"{path} is absent (the real-world specs live beside the repository, in shared/realworld)"
        )
    return path


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "snippetgen", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def settings(root: Path, text: str) -> None:
    (root / "pyproject.toml").write_text(text, encoding="utf-8")


HOUSE = """\
openapi: 3.1.0
info: {title: House, version: "1"}
servers: [{url: "https://house.example.com"}]
security: [{key: []}]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200": {description: ok}
        "400": {description: bad}
components:
  securitySchemes:
    key: {type: http, scheme: bearer}
"""


# --- severities ---------------------------------------------------------------------------------


def test_a_house_lint_is_an_error_until_the_project_makes_it_a_warning_or_off(project):
    project.spec("house", HOUSE)
    report = check_project(project.root)
    assert [(p.code, p.severity) for p in report.problems] == [("spec-lint", "error")]
    assert "secured but declares no 401" in report.problems[0].message

    settings(project.root, '[tool.snippetgen.lint]\nspec-lint = "warning"\n')
    out = cli(project.root, "check")
    assert out.returncode == 0, out.stdout
    assert (
        "shared/openapi/house.yaml:7: warning: GET /things is secured but declares no 401 response [spec-lint]"
        in out.stdout
    )
    assert (
        out.stdout.rstrip()
        .splitlines()[-1]
        .endswith(re_summary := "clean, 1 warning in " + out.stdout.rsplit(" in ", 1)[1].strip())
    )
    assert re_summary

    data = json.loads(cli(project.root, "check", "--format", "json").stdout)
    assert data["count"] == 0 and data["warning_count"] == 1
    assert data["warnings"][0]["severity"] == "warning" and data["warnings"][0]["line"] == 7
    github = cli(project.root, "check", "--format", "github")
    assert github.returncode == 0 and github.stdout.startswith(
        "::warning file=shared/openapi/house.yaml,line=7,"
    )

    settings(project.root, '[tool.snippetgen.lint]\nspec-lint = "off"\n')
    report = check_project(project.root)
    assert report.problems == [] and report.warnings == []


def test_vendor_spec_house_lints_are_warnings_and_an_api_table_can_relax_more(project):
    project.spec(
        "house", HOUSE.replace("security: [{key: []}]\n", "security: [{key: []}]\nx-mock: {nope: 1}\n")
    )
    settings(project.root, "[tool.snippetgen.apis.house]\nvendor = true\n")
    report = check_project(project.root)
    assert report.problems == []
    assert sorted(p.code for p in report.warnings) == ["spec-extension", "spec-lint"]
    project.spec("other", HOUSE.replace("House", "Other"))  # not a vendor's: still an error
    assert [p.location.path for p in check_project(project.root).problems] == ["shared/openapi/other.yaml"]
    settings(project.root, '[tool.snippetgen.apis.other]\nlint = { spec-lint = "off" }\n')
    assert [p.location.path for p in check_project(project.root).problems] == [
        "shared/openapi/house.yaml"
    ] * 2


def test_a_severity_for_a_code_no_rule_reports_is_a_located_usage_error(project):
    settings(project.root, '[tool.snippetgen.lint]\nspec-lnt = "warning"\n')
    with pytest.raises(UsageError) as info:
        check_project(project.root)
    assert str(info.value.location) == "pyproject.toml:2" and "did you mean 'spec-lint'" in str(info.value)
    assert cli(project.root, "check").returncode == 2


def test_build_goes_on_with_warnings_and_counts_them(project):
    project.spec("house", HOUSE)
    project.page("index.md", "# Home\n")
    (project.root / "mkdocs.yml").write_text(repo_mkdocs_yml(), encoding="utf-8")
    settings(project.root, "[tool.snippetgen.apis.house]\nvendor = true\n")
    out = cli(project.root, "build", "--site-dir", str(project.root / "site"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning: GET /things is secured" in out.stdout
    assert "site built, 1 warning in" in out.stdout.splitlines()[-1]
    assert (project.root / "site" / "index.html").is_file()


# --- real vendor specs --------------------------------------------------------------------------


def test_openai_as_a_vendor_spec_checks_with_warnings_and_located_validity_errors(tmp_path):
    specs = tmp_path / "shared" / "openapi"
    specs.mkdir(parents=True)
    (tmp_path / "shared" / "snippets").mkdir()
    shutil.copy(realworld("openai.yaml"), specs / "openai.yaml")
    settings(tmp_path, "[tool.snippetgen.apis.openai]\nvendor = true\n")
    report = check_project(project=Project.load(tmp_path))
    assert report.counts.operations == 288
    codes = {p.code for p in report.problems if p.location.path.endswith("openai.yaml")}
    assert codes == {"spec-invalid"}  # validity is not relaxed by vendor alone
    assert all(p.location.line > 1 for p in report.problems if p.code == "spec-invalid")  # at the construct
    lines = (specs / "openai.yaml").read_text(encoding="utf-8").splitlines()
    for problem in report.problems:
        if "exclusiveMinimum" in problem.message:
            assert lines[problem.location.line - 1].strip().startswith("exclusiveMinimum: true")
    assert len(report.warnings) > 400 and {p.code for p in report.warnings} == {"spec-lint", "spec-example"}

    settings(tmp_path, '[tool.snippetgen.apis.openai]\nvendor = true\nlint = { spec-invalid = "warning" }\n')
    out = cli(tmp_path, "check")
    assert out.returncode == 0, out.stdout[-2000:]
    assert "288 operations): clean," in out.stdout.splitlines()[-1] and "warnings in" in out.stdout


def test_swagger_2_is_refused_by_check_build_and_the_mock_the_same_way(project):
    source = realworld("swagger2-petstore.yaml")
    path = project.root / "shared" / "openapi" / "petstore.yaml"
    path.parent.mkdir(parents=True)
    shutil.copy(source, path)
    message = (
        "shared/openapi/petstore.yaml:1: Swagger 2.0 is not supported: snippetgen reads OpenAPI 3.0, 3.1 "
        "and 3.2 [spec-version]"
    )
    out = cli(project.root, "check")
    assert out.returncode == 1 and message in out.stdout and "swagger2openapi" in out.stdout
    build = cli(project.root, "build")
    assert build.returncode == 1 and message in build.stdout
    with pytest.raises(SpecError, match="Swagger 2.0 is not supported") as info:
        compile_api(path, project.root)
    assert str(info.value.location) == "shared/openapi/petstore.yaml:1"
    mock = cli(project.root, "mock", "--port", "0")
    assert mock.returncode == 2 and "petstore.yaml:1: Swagger 2.0 is not supported" in mock.stderr


def test_an_operation_without_responses_loads_with_one_lint():
    api, problems = load_api(realworld("non-oauth-scopes.yaml"))
    assert api is not None and len(api.operations) == 1
    assert sorted((p.code, p.message) for p in problems) == [
        ("spec-lint", "GET /users declares no responses"),
        ("spec-lint", "GET /users has no operationId"),
    ]


def test_a_webhook_only_document_loads_without_problems():
    api, problems = load_api(realworld("webhook-example.yaml"))
    assert api is not None and api.operations == [] and problems == []


@pytest.mark.parametrize(
    "name",
    [
        "petstore3.yaml",
        "petstore-expanded.yaml",
        "link-example.yaml",
        "callback-example.yaml",
        "twilio_verify_v2.yaml",
    ],
)
def test_other_real_specs_load_without_validity_errors(name):
    api, problems = load_api(realworld(name))
    assert api is not None and api.operations
    assert not [
        p
        for p in problems
        if p.code in ("spec-yaml", "spec-version", "spec-limit", "spec-invalid", "spec-ref")
    ]


# --- YAML values and validator locations ----------------------------------------------------------


def test_unquoted_yaml_dates_are_strings_and_a_non_date_stays_text(project):
    project.spec(
        "dates",
        HOUSE.replace("security: [{key: []}]\n", "")
        + "  schemas:\n    Day:\n      type: string\n      format: date\n      example: 2024-01-15\n"
        "    Stamp:\n      type: string\n      example: 2024-01-15T10:00:00Z\n"
        "    Odd:\n      type: string\n      example: 2024-13-45\n",
    )
    api, problems = load_api(project.root / "shared" / "openapi" / "dates.yaml", project.root)
    assert problems == [] and api is not None
    schemas = api.document["components"]["schemas"]
    assert [schemas[n]["example"] for n in ("Day", "Stamp", "Odd")] == [
        "2024-01-15",
        "2024-01-15T10:00:00+00:00",
        "2024-13-45",
    ]


BROKEN = """\
openapi: 3.1.0
info: {title: Broken, version: "1"}
paths:
  /things:
    post:
      operationId: makeThing
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        "200": {description: ok}
        "400": {description: bad}
components:
  schemas:
    Thing:
      type: object
      required: [name, name]
      properties:
        name: {type: string}
        size:
          type: number
          exclusiveMinimum: true
    Named:
      type: string
      default: 5
"""


def test_validity_errors_and_bad_defaults_are_at_their_lines(project):
    project.spec("broken", BROKEN)
    _, problems = load_api(project.root / "shared" / "openapi" / "broken.yaml", project.root)
    found = {(p.location.line, p.code) for p in problems}
    assert (18, "spec-invalid") in found  # required: [name, name]
    assert (23, "spec-invalid") in found  # exclusiveMinimum: true
    assert (26, "spec-example") in found  # default: 5 of a string (no schema that fails is walked)


def test_the_fast_meta_schema_check_agrees_with_openapi_schema_validator():
    from openapi_schema_validator import OAS30Validator, OAS31Validator

    samples = [
        {"type": "string", "exclusiveMinimum": True},
        {"required": ["a", "a"]},
        {"$recursiveAnchor": True},
        {"discriminator": {"mapping": 1}},
        {"properties": {"a": {"type": "strin"}}},
        {"items": [{"type": "string"}, 3]},
        {"type": "object", "x-anything": {"a": 1}, "example": [1]},
        {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
    ]
    api, _ = load_api(realworld("openai.yaml"), validate=False)
    assert api is not None
    samples += list(api.document["components"]["schemas"].values())[:150]
    for version, python in (("3.1", OAS31Validator), ("3.0", OAS30Validator)):
        fast = lint._meta_validators()[version]
        for schema in samples:
            try:
                python.check_schema(schema)
                slow = True
            except Exception:
                slow = False
            assert fast.is_valid(schema) is slow, (version, schema)


# --- secrets and published examples -------------------------------------------------------------


def test_an_example_value_the_spec_publishes_is_no_secret(project):
    project.spec(
        "house",
        HOUSE.replace(
            '"200": {description: ok}',
            '"200": {description: ok, content: {application/json: {schema: {type: object}, '
            "example: {id: resp_677efb5139a88190b512bc3fef8e535d}}}}",
        ),
    )
    settings(project.root, "[tool.snippetgen.apis.house]\nvendor = true\n")
    project.snippet(
        "demo.get",
        {
            "title": "Get",
            "operations": ["house:listThings"],
            "payload": {
                "responseId": "resp_677efb5139a88190b512bc3fef8e535d",
                "other": "0123456789abcdef0123456789abcdef",
            },
        },
        py="print({{ responseId | lit }}, {{ other | lit }})\n",
        js="console.log({{ responseId | lit }}, {{ other | lit }});\n",
        curl="echo {{ responseId | sh }} {{ other | sh }}\n",
    )
    secrets = [p for p in check_project(project.root).problems if p.code == "secret"]
    assert [(p.location.path, p.location.line) for p in secrets] == [
        ("shared/snippets/demo/get/config.json", 8)
    ]
    assert "allow-secret" in (secrets[0].hint or "") and "template" in (secrets[0].hint or "")
