"""``snippetgen new`` for every request style a valid OpenAPI 3 document can ask for, run for real.

One synthetic spec holds each style: HTTP basic, apiKey in a query or a cookie or a header, a
bearer token; form-urlencoded bodies (deepObject brackets, exploded arrays), multipart with the file
inside ``anyOf``, an octet-stream upload, a JSON array body; values held to ``pattern``, ``format``,
lengths and bounds; a relative server URL. Each scaffold is run in every language against the mock,
which answers 401 to a missing credential and 400 to a request its schema refuses, and the mock's
request log is read back. Also: the one server resolver, ``check``'s ``spec-server`` finding and
``new --all`` through the CLI.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from snippetgen.authoring import format_run, new_snippet, run_snippet
from snippetgen.check import RULES, check_project
from snippetgen.integration.cli import cli as snippetgen_cli
from snippetgen.project import Project
from snippetgen.scaffold.plan import pattern_value
from snippetgen.spec.servers import resolve_server

LANGS = ["py", "js", "curl"]
NODE_MODULES = Path(__file__).resolve().parent / "node" / "node_modules"

needs_runtimes = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("curl") is None,
    reason="running the examples needs node and curl on PATH",
)

OK = {"200": {"description": "OK", "content": {"application/json": {"example": {"ok": True}}}}}

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Styles", "version": "1"},
    "servers": [{"url": "/v1"}],
    "components": {
        "securitySchemes": {
            "basic": {"type": "http", "scheme": "basic"},
            "queryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
            "cookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
            "headerKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "oauth": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "https://auth.example/token", "scopes": {}}},
            },
        }
    },
    "paths": {
        "/services/{Sid}": {
            "get": {
                "operationId": "fetchService",
                "security": [{"basic": []}],
                "parameters": [
                    {
                        "name": "Sid",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^VA[0-9a-f]{32}$", "minLength": 34},
                    }
                ],
                "responses": OK,
            }
        },
        "/search": {
            "get": {
                "operationId": "search",
                "security": [{"queryKey": []}],
                "parameters": [
                    {"name": p, "in": "query", "required": True, "schema": s}
                    for p, s in (
                        ("since", {"type": "string", "format": "date-time"}),
                        ("day", {"type": "string", "format": "date"}),
                        ("email", {"type": "string", "format": "email"}),
                        ("ref", {"type": "string", "format": "uuid"}),
                        ("code", {"type": "string", "minLength": 12, "maxLength": 12}),
                        ("limit", {"type": "integer", "minimum": 10, "maximum": 20}),
                        ("sort", {"type": "string", "enum": ["newest", "oldest"]}),
                    )
                ],
                "responses": OK,
            }
        },
        "/me": {"get": {"operationId": "me", "security": [{"cookieKey": []}], "responses": OK}},
        "/ping": {"get": {"operationId": "ping", "security": [{"headerKey": []}], "responses": OK}},
        "/messages": {
            "post": {
                "operationId": "createMessage",
                "security": [{"basic": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["To", "metadata", "expand", "Tags"],
                                "properties": {
                                    "To": {"type": "string", "pattern": "^\\+[1-9][0-9]{7,14}$"},
                                    "metadata": {
                                        "type": "object",
                                        "required": ["order_id"],
                                        "properties": {"order_id": {"type": "string"}},
                                    },
                                    "expand": {"type": "array", "items": {"type": "string"}},
                                    "Tags": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                            "encoding": {
                                "metadata": {"style": "deepObject", "explode": True},
                                "expand": {"style": "deepObject", "explode": True},
                            },
                        }
                    },
                },
                "responses": OK,
            }
        },
        "/notes": {
            "post": {
                "operationId": "createNote",
                "security": [{"basic": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["To", "Tags", "Count", "Urgent"],
                                "properties": {
                                    "To": {"type": "string", "pattern": "^\\+[1-9][0-9]{7,14}$"},
                                    "Tags": {"type": "array", "items": {"type": "string"}},
                                    "Count": {"type": "integer", "minimum": 3},
                                    "Urgent": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": OK,
            }
        },
        "/files": {
            "post": {
                "operationId": "uploadFile",
                "security": [{"oauth": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file", "purpose"],
                                "properties": {
                                    "file": {"anyOf": [{"type": "string", "format": "binary"}]},
                                    "purpose": {"type": "string", "enum": ["batch", "vision"]},
                                },
                            }
                        }
                    },
                },
                "responses": OK,
            }
        },
        "/clips": {
            "post": {
                "operationId": "createClip",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["prompt"],
                                "properties": {
                                    "prompt": {"type": "string"},
                                    "reference": {"type": "string", "format": "binary"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The clip, or its description",
                        "content": {
                            "video/mp4": {"schema": {"type": "string", "format": "binary"}},
                            "application/json": {"example": {"ok": True}},
                        },
                    }
                },
            }
        },
        "/blobs": {
            "put": {
                "operationId": "putBlob",
                "security": [{"headerKey": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                "responses": OK,
            }
        },
        "/pets/batch": {
            "post": {
                "operationId": "createPets",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {"name": {"type": "string"}},
                                },
                            }
                        }
                    },
                },
                "responses": OK,
            }
        },
        "/health": {"get": {"responses": OK}},
        "/kinds/{class}/{json}": {
            "get": {
                "operationId": "getKind",
                "parameters": [
                    {"name": "class", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "json", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "in", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "response", "in": "query", "required": True, "schema": {"type": "integer"}},
                ],
                "responses": OK,
            }
        },
    },
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "shared" / "openapi").mkdir(parents=True)
    (tmp_path / "shared" / "openapi" / "styles.json").write_text(json.dumps(SPEC, indent=2), encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [tool.snippetgen]
            node_modules = "{NODE_MODULES.as_posix()}"

            [tool.snippetgen.apis.styles]
            base_url = "https://api.styles.test/v1"
            lint = {{ spec-lint = "off" }}
            """),
        encoding="utf-8",
    )
    return tmp_path


def _snippet(root: Path, key: str, file: str) -> str:
    group, name = key.split("/")
    return (root / "shared" / "snippets" / group / name / file).read_text(encoding="utf-8")


def _run_green(project: Project, key: str) -> list:
    outcomes = run_snippet(project, key.replace("/", "."))
    assert [o.example.lang for o in outcomes] == LANGS
    assert all(o.passed for o in outcomes), format_run(outcomes)
    return outcomes


def _only_request(outcome) -> dict:
    assert len(outcome.requests) == 1, outcome.requests
    entry = outcome.requests[0]
    assert 200 <= entry["status"] < 300, entry
    return entry


# --- security schemes ----------------------------------------------------------------------------


@needs_runtimes
def test_http_basic_with_two_env_vars_and_a_pattern_path_id(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "styles/fetch-service", "styles:fetchService", LANGS)
    config = json.loads(_snippet(root, "styles/fetch-service", "config.json"))
    payload = config["payload"]
    assert payload["usernameEnv"] == "STYLES_USERNAME" and payload["passwordEnv"] == "STYLES_PASSWORD"
    assert "apiKeyEnv" not in payload
    assert re.fullmatch(r"VA[0-9a-f]{32}", payload["sid"])
    assert payload["baseUrl"] == "https://api.styles.test/v1"  # the project's base_url wins
    assert "auth=(USERNAME, PASSWORD)" in _snippet(root, "styles/fetch-service", "py.jinja")
    assert "Basic ${Buffer.from(" in _snippet(root, "styles/fetch-service", "js.jinja")
    assert '-u "${{ usernameEnv | env }}:${{ passwordEnv | env }}"' in _snippet(
        root, "styles/fetch-service", "curl.jinja"
    )
    for outcome in _run_green(project, "styles/fetch-service"):
        assert _only_request(outcome)["path"] == f"/v1/services/{payload['sid']}"


@needs_runtimes
def test_api_key_in_query_and_values_that_fit_formats_and_bounds(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "styles/search", "styles:search", LANGS)
    payload = json.loads(_snippet(root, "styles/search", "config.json"))["payload"]
    assert payload["since"] == "2024-01-01T00:00:00Z" and payload["day"] == "2024-01-01"
    assert payload["email"] == "user@example.com" and payload["ref"].count("-") == 4
    assert len(payload["code"]) == 12 and payload["limit"] == 10 and payload["sort"] == "newest"
    for outcome in _run_green(project, "styles/search"):
        query = _only_request(outcome)["query"]
        assert "api_key=mock-test-key" in query and "limit=10" in query, query


@needs_runtimes
@pytest.mark.parametrize(("key", "ref"), [("styles/me", "styles:me"), ("styles/ping", "styles:ping")])
def test_api_key_in_a_cookie_or_a_header(root: Path, key: str, ref: str) -> None:
    project = Project.load(root)
    new_snippet(project, key, ref, LANGS)
    assert "Bearer" not in _snippet(root, key, "py.jinja")  # the key travels as the scheme says
    for outcome in _run_green(project, key):
        _only_request(outcome)


# --- bodies --------------------------------------------------------------------------------------


@needs_runtimes
def test_form_body_with_typed_fields_and_an_exploded_array(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "styles/create-note", "styles:createNote", LANGS)
    payload = json.loads(_snippet(root, "styles/create-note", "config.json"))["payload"]
    assert re.fullmatch(r"\+[1-9][0-9]{7,14}", payload["to"]) and payload["count"] == 3
    assert "json=" not in _snippet(root, "styles/create-note", "py.jinja")
    for outcome in _run_green(project, "styles/create-note"):
        body = _only_request(outcome)["body"]
        assert body["To"] == payload["to"] and body["Tags"] == payload["tags"], body
        assert body["Count"] == 3 and body["Urgent"] is False, body


@needs_runtimes
def test_form_body_with_deep_object_brackets_and_exploded_arrays(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "styles/create-message", "styles:createMessage", LANGS)
    py = _snippet(root, "styles/create-message", "py.jinja")
    assert '"metadata[order_id]":' in py and '"expand[]":' in py and "data=" in py and "json=" not in py
    assert "URLSearchParams" in _snippet(root, "styles/create-message", "js.jinja")
    payload = json.loads(_snippet(root, "styles/create-message", "config.json"))["payload"]
    assert re.fullmatch(r"\+[1-9][0-9]{7,14}", payload["to"])
    for outcome in _run_green(project, "styles/create-message"):
        body = _only_request(outcome)["body"]
        assert body["To"] == payload["to"], body
        assert body["metadata"] == {"order_id": payload["metadataOrderId"]}, body  # metadata[order_id]
        assert body["expand"] == payload["expand"] and body["Tags"] == payload["tags"], body  # expand[]


@needs_runtimes
def test_multipart_file_inside_any_of_is_sent_as_a_file(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "styles/upload-file", "styles:uploadFile", LANGS)
    config = json.loads(_snippet(root, "styles/upload-file", "config.json"))
    assert config["test"]["fixtures"] == ["image.png"]
    assert "files=" in _snippet(root, "styles/upload-file", "py.jinja")
    assert "Bearer" in _snippet(root, "styles/upload-file", "py.jinja")  # OAuth2: a bearer token
    for outcome in _run_green(project, "styles/upload-file"):
        body = _only_request(outcome)["body"]
        assert body["fields"] == {"purpose": "batch"} or body["fields"].get("purpose") == "batch", body
        assert [(f["field"], f["content_type"]) for f in body["files"]] == [("file", "image/png")], body
        assert body["files"][0]["size"] > 0


@needs_runtimes
def test_multipart_without_a_file_stays_multipart_and_accept_picks_the_saved_type(root: Path) -> None:
    """requests sends ``data=`` alone as a urlencoded form; the answer comes as video or JSON."""
    project = Project.load(root)
    new_snippet(project, "styles/create-clip", "styles:createClip", LANGS)
    config = json.loads(_snippet(root, "styles/create-clip", "config.json"))
    assert config["test"]["expect_files"] == ["video.mp4"]
    for outcome in _run_green(project, "styles/create-clip"):
        body = _only_request(outcome)["body"]
        assert body["fields"] == {"prompt": config["payload"]["prompt"]} and body["files"] == [], body
    # Passing means the runner found video.mp4 with an MP4's magic bytes (expect_files), not JSON.


@needs_runtimes
def test_octet_stream_upload_sends_the_file_bytes(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "styles/put-blob", "styles:putBlob", LANGS)
    assert "--data-binary @file.bin" in _snippet(root, "styles/put-blob", "curl.jinja")
    fixture = root / "shared" / "snippets" / "styles" / "put-blob" / "fixtures" / "file.bin"
    assert fixture.stat().st_size > 0
    for outcome in _run_green(project, "styles/put-blob"):
        body = _only_request(outcome)["body"]
        assert body == {"content_type": "application/octet-stream", "size": fixture.stat().st_size}


@needs_runtimes
def test_json_array_body_is_an_array(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "styles/create-pets", "styles:createPets", LANGS)
    payload = json.loads(_snippet(root, "styles/create-pets", "config.json"))["payload"]
    assert payload["requestBody"] == [{"name": "example-name"}]
    for outcome in _run_green(project, "styles/create-pets"):
        assert _only_request(outcome)["body"] == [{"name": "example-name"}]


@needs_runtimes
def test_parameters_named_like_keywords_or_the_codes_own_names(root: Path) -> None:
    """``class``, ``json``, ``in``, ``response``: no syntax error, no shadowed module or local."""
    project = Project.load(root)
    new_snippet(project, "styles/get-kind", "styles:getKind", LANGS)
    for outcome in _run_green(project, "styles/get-kind"):
        entry = _only_request(outcome)
        assert entry["path"] == "/v1/kinds/example-class/example-json", entry
        assert "in=" in entry["query"] and "response=1" in entry["query"], entry


# --- servers -------------------------------------------------------------------------------------


def test_server_resolver() -> None:
    absolute = {
        "servers": [
            {
                "url": "https://{region}.api.test/{v}",
                "variables": {"region": {"default": "eu"}, "v": {"default": "v2"}},
            }
        ]
    }
    assert resolve_server(absolute, "x").url == "https://eu.api.test/v2"
    assert resolve_server(absolute, "x").source == "spec"
    relative = resolve_server({"servers": [{"url": "/api/v3/"}]}, "Pet Store")
    assert (relative.url, relative.placeholder, relative.pointer) == (
        "https://pet-store.example/api/v3",
        True,
        "/servers/0/url",
    )
    assert resolve_server({}, "bare").url == "https://bare.example"
    assert resolve_server({}, "bare").pointer == "/servers"
    override = resolve_server({"servers": [{"url": "/v1"}]}, "x", "https://api.x.test/v1/")
    assert (override.url, override.source, override.origin, override.path) == (
        "https://api.x.test/v1",
        "project",
        "https://api.x.test",
        "/v1",
    )


def test_check_flags_an_api_without_an_absolute_origin(root: Path) -> None:
    assert any("spec-server" in rule.codes for rule in RULES)
    (root / "pyproject.toml").write_text('[tool.snippetgen.apis.styles]\nlint = { spec-lint = "off" }\n')
    report = check_project(root)
    found = [p for p in report.problems if p.code == "spec-server"]
    assert len(found) == 1, [p.format() for p in report.problems]
    assert found[0].location.path.endswith("styles.json") and found[0].location.line > 1
    assert "https://styles.example/v1" in found[0].message and "base_url" in (found[0].hint or "")
    (root / "pyproject.toml").write_text(
        '[tool.snippetgen.apis.styles]\nbase_url = "https://api.styles.test/v1"\nlint = { spec-lint = "off" }\n'
    )
    assert not [p for p in check_project(root).problems if p.code == "spec-server"]


# --- new --all -----------------------------------------------------------------------------------


def test_new_all_names_every_operation_and_keeps_existing_ones(root: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(snippetgen_cli, ["new", "--all", "styles", "--root", str(root)])
    assert first.exit_code == 0, first.output
    assert "12 of 12 operations scaffolded" in first.output
    folders = sorted(p.name for p in (root / "shared" / "snippets" / "styles").iterdir())
    assert "fetch-service" in folders and "create-message" in folders
    assert "get-health" in folders  # no operationId: named by method and path
    report = check_project(root)
    assert not report.problems, "\n".join(p.format() for p in report.problems)
    (root / "shared" / "snippets" / "styles" / "ping" / "py.jinja").write_text("# mine\n")
    again = runner.invoke(snippetgen_cli, ["new", "--all", "styles", "--root", str(root)])
    assert again.exit_code == 0, again.output
    assert "0 of 12 operations scaffolded, 12 already there" in again.output
    assert (root / "shared" / "snippets" / "styles" / "ping" / "py.jinja").read_text() == "# mine\n"
    forced = runner.invoke(snippetgen_cli, ["new", "--all", "styles", "--force", "--root", str(root)])
    assert forced.exit_code == 0 and "12 of 12" in forced.output
    assert (root / "shared" / "snippets" / "styles" / "ping" / "py.jinja").read_text() != "# mine\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "--all", "nope"], "unknown API 'nope'"),
        (["new", "--all", "styles", "styles/x"], "--all takes no GROUP/NAME"),
        (["new", "styles/x"], "needs GROUP/NAME and --operation"),
        (["new"], "needs GROUP/NAME and --operation"),
        (["new", "--all", "old"], "Swagger 2.0 is not supported"),
    ],
)
def test_new_usage_errors_exit_2_without_a_traceback(root: Path, args: list[str], message: str) -> None:
    (root / "shared" / "openapi" / "old.yaml").write_text(
        "swagger: '2.0'\ninfo: {title: Old, version: '1'}\npaths: {}\n"
    )
    result = CliRunner().invoke(snippetgen_cli, [*args, "--root", str(root)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "^VA[0-9a-f]{32}$",
        "^[A-Z]{2}\\d+$",
        "^(sk|pk)_\\w{8,}$",
        "^[^@]+@[^@]+$",
        "^\\+[1-9]\\d{1,14}$",
        "^ch_.*$",
    ],
)
def test_pattern_values_match(pattern: str) -> None:
    value = pattern_value(pattern)
    assert value is not None and re.search(pattern, value)


def test_pattern_value_declines_what_it_cannot_satisfy() -> None:
    assert pattern_value("(?=a)b") is None
    assert pattern_value("[") is None
