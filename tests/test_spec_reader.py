"""The one OpenAPI reader: shared schemas stay cheap, reference cycles are cut by policy, the mock and
the check read (and locate) documents the same way, JSON works everywhere, and each content is parsed
once per process."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from snippetgen.check import run_check
from snippetgen.errors import SpecError
from snippetgen.mock import DEFAULT_KEY, MockServer
from snippetgen.mock import compile as mock_compile
from snippetgen.mock.compile import compile_api, load_apis
from snippetgen.spec import TOO_DEEP, lint, load_specs, read
from snippetgen.spec.read import clear_cache, load_json_with_lines, read_document
from snippetgen.spec.refs import ACCEPT, KEEP, Refs
from snippetgen.spec.schema import bundle, to_json_schema

OPENAPI = Path(__file__).resolve().parents[1] / "shared" / "openapi"
AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def document(schemas: dict, top: str, **paths: dict) -> dict:
    """A valid 3.1 document: POST /things takes and answers ``top``, plus ``paths``."""
    body = {"content": {"application/json": {"schema": ref(top)}}}
    things = {
        "post": {
            "operationId": "makeThing",
            "summary": "Make a thing",
            "requestBody": body,
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": ref(top)}}},
                "400": {"description": "bad"},
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Shared", "version": "1"},
        "servers": [{"url": "https://shared.example.com"}],
        "paths": {"/things": things, **paths},
        "components": {"schemas": schemas},
    }


LEAF = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}


def twice(levels: int) -> dict:
    """S<n> references S<n-1> twice: 2^levels copies when inlined."""
    schemas = {"S0": LEAF}
    for i in range(1, levels + 1):
        schemas[f"S{i}"] = {
            "type": "object",
            "properties": {"left": ref(f"S{i - 1}"), "right": ref(f"S{i - 1}")},
        }
    return document(schemas, f"S{levels}")


def wide(levels: int) -> dict:
    """L<n> references L<n-1> from six keywords: 6^levels copies when inlined."""
    schemas = {"L0": LEAF}
    for i in range(1, levels + 1):
        below = ref(f"L{i - 1}")
        schemas[f"L{i}"] = {
            "type": "object",
            "properties": {
                "a": below,
                "b": {"type": "array", "items": below},
                "c": {"allOf": [below]},
                "d": {"oneOf": [below, {"type": "null"}]},
                "e": {"anyOf": [below, {"type": "string"}]},
                "f": {"type": "object", "additionalProperties": below},
            },
        }
    return document(schemas, f"L{levels}")


def all_of(levels: int) -> dict:
    """A<n> is allOf [A<n-1>, A<n-1>] plus a property of its own."""
    schemas = {"A0": LEAF}
    for i in range(1, levels + 1):
        schemas[f"A{i}"] = {
            "allOf": [ref(f"A{i - 1}"), ref(f"A{i - 1}")],
            "properties": {f"p{i}": {"type": "integer"}},
        }
    return document(schemas, f"A{levels}")


SHAPES = {"twice-30": lambda: twice(30), "wide-9": lambda: wide(9), "allof-30": lambda: all_of(30)}


def write_spec(folder: Path, name: str, data: dict | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    if name.endswith(".json") and not isinstance(data, str):
        text = json.dumps(data, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


# --- (a) shared schemas are resolved once ------------------------------------------------------


MEASURE = """
import json, sys, time, tracemalloc
from pathlib import Path
from snippetgen.mock.compile import compile_api
from snippetgen.spec import load_specs
from snippetgen.spec.read import clear_cache

path = Path(sys.argv[1])
seconds = {}
for step in ("load", "check", "mock"):
    clear_cache()  # each step parses and resolves from scratch
    began = time.perf_counter()
    if step == "mock":
        assert compile_api(path).by_id("makeThing") is not None
    else:
        specs, problems = load_specs(path.parent, path.parent, validate=step == "check")
        assert problems == [] and specs.resolve("shared:makeThing") is not None, problems
    seconds[step] = time.perf_counter() - began
clear_cache()
tracemalloc.start()
load_specs(path.parent, path.parent)
compile_api(path)
print(json.dumps({"seconds": seconds, "peak": tracemalloc.get_traced_memory()[1]}))
"""


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shared_schemas_load_and_compile_in_linear_time(tmp_path, shape):
    """In a child process, so that a reader gone exponential fails here instead of hanging the run."""
    path = write_spec(tmp_path, "shared.yaml", SHAPES[shape]())
    try:
        child = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=60, check=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{shape}: loading and compiling did not finish in 60 s")
    measured = json.loads(child.stdout)
    assert all(s < 2 for s in measured["seconds"].values()), measured
    assert measured["peak"] < 64 * 2**20, measured


def test_a_chain_deeper_than_the_stack_is_a_problem_not_a_crash(tmp_path):
    path = write_spec(tmp_path, "shared.yaml", twice(1000))
    specs, problems = load_specs(tmp_path, tmp_path)
    assert specs.apis == {} and [(str(p.location), p.message) for p in problems] == [
        ("shared.yaml:1", TOO_DEEP)
    ]
    with pytest.raises(SpecError, match="too deep"):
        compile_api(path)


def nested(depth: int, key: str, leaf: dict) -> dict:
    for _ in range(depth):
        leaf = {key: leaf}
    return leaf


def test_mock_validators_follow_shared_schemas_to_the_bottom(tmp_path):
    api = compile_api(write_spec(tmp_path, "shared.yaml", twice(30)))
    route = api.by_id("makeThing")
    validator = route.bodies["application/json"].validator
    assert validator.is_valid(nested(30, "left", {"name": "deep"}))
    errors = list(validator.iter_errors(nested(30, "right", {"name": 5})))
    assert [list(e.instance_path) for e in errors] == [["right"] * 30 + ["name"]]
    reply = json.dumps(route.success.body)  # a sample of a 2^30 tree, kept small by the budget
    assert len(reply) < 2_000_000


def test_request_fields_of_shared_allof_chain(tmp_path):
    write_spec(tmp_path, "shared.yaml", all_of(30))
    specs, _ = load_specs(tmp_path, tmp_path, validate=False)
    fields = specs.resolve("shared:makeThing").request_fields()
    assert set(fields) == {f"p{i}" for i in range(19, 31)}  # allOf parts are read 11 deep


# --- the resolver ------------------------------------------------------------------------------

CYCLIC = document(
    {
        "A": {"type": "object", "properties": {"b": ref("B"), "n": {"type": "integer"}}},
        "B": {"type": "object", "properties": {"a": ref("A"), "s": {"type": "string"}}},
        "Node": {
            "type": "object",
            "properties": {"v": {"type": "integer"}, "children": {"type": "array", "items": ref("Node")}},
        },
    },
    "A",
    **{
        path: {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": ref(name)}}},
                "responses": {"200": {"description": "ok"}},
            }
        }
        for path, name in (("/b", "B"), ("/tree", "Node"))
    },
)


def body_schema(resolved_item: dict) -> dict:
    return resolved_item["post"]["requestBody"]["content"]["application/json"]["schema"]


def test_each_target_is_resolved_once_and_shared():
    doc = twice(3)
    refs = Refs(doc)
    s3 = refs.resolve(ref("S3"))
    assert s3["properties"]["left"] is s3["properties"]["right"]  # one S2, not two copies
    assert refs.resolve(ref("S2")) is s3["properties"]["left"]
    assert (
        refs.resolve(doc["components"]["schemas"]["S0"]) is doc["components"]["schemas"]["S0"]
    )  # no $ref: no copy


def test_cycles_close_on_kept_refs_or_anything_by_policy():
    refs = Refs(CYCLIC)
    a = body_schema(refs.resolve(CYCLIC["paths"]["/things"], KEEP))
    b = body_schema(refs.resolve(CYCLIC["paths"]["/b"], KEEP))
    assert a["properties"]["b"] is b  # A is referenced first: the cycle closes inside B
    assert b["properties"]["a"] == ref("A")
    tree = body_schema(refs.resolve(CYCLIC["paths"]["/tree"], KEEP))
    assert tree["properties"]["children"]["items"] == ref("Node")
    b = body_schema(refs.resolve(CYCLIC["paths"]["/b"], ACCEPT))
    assert b["properties"]["a"] == {} and b["properties"]["s"] == {"type": "string"}


def test_where_a_cycle_closes_does_not_depend_on_who_asks_first():
    first, second = Refs(CYCLIC), Refs(CYCLIC)
    order_one = [first.resolve(CYCLIC["paths"][p]) for p in ("/things", "/b", "/tree")]
    order_two = [second.resolve(CYCLIC["paths"][p]) for p in ("/tree", "/b", "/things")][::-1]
    assert json.dumps(order_one) == json.dumps(order_two)


def test_mock_validator_accepts_anything_where_a_cycle_closes(tmp_path):
    api = compile_api(write_spec(tmp_path, "cyclic.yaml", CYCLIC))
    a = api.by_id("makeThing").bodies["application/json"].validator
    assert a.is_valid({"n": 1, "b": {"s": "x", "a": {"anything": ["goes"]}}})
    assert not a.is_valid({"b": {"s": 5}})
    tree = api.by_id("POST /tree").bodies["application/json"].validator
    assert tree.is_valid({"v": 1, "children": [{"v": "not checked below the cycle"}]})
    assert not tree.is_valid({"v": "x"})


def test_ref_siblings_win_over_the_shared_target():
    doc = document({"Thing": {"type": "object", "description": "a thing"}}, "Thing")
    refs = Refs(doc)
    merged = refs.resolve({"$ref": "#/components/schemas/Thing", "description": "mine"})
    assert merged == {"type": "object", "description": "mine"}
    assert refs.resolve(ref("Thing"))["description"] == "a thing"


def test_broken_and_remote_refs_do_not_raise_and_are_reported(tmp_path):
    doc = document({"Thing": {"type": "object", "properties": {"x": ref("Missing")}}}, "Thing")
    assert Refs(doc).resolve(ref("Thing"))["properties"]["x"] == {}
    assert Refs(doc).resolve({"$ref": "other.yaml#/Thing"}) == {"$ref": "other.yaml#/Thing"}
    write_spec(tmp_path, "broken.yaml", doc)
    _, problems = load_specs(tmp_path, tmp_path)
    assert [p.code for p in problems] == ["spec-ref"]
    assert "no 'Missing' under '#/components/schemas'" in problems[0].message


def test_bundle_writes_each_shared_schema_once():
    converted = to_json_schema(Refs(twice(20)).resolve(ref("S20")))
    bundled = bundle(converted)
    assert len(bundled["$defs"]) == 20 and len(json.dumps(bundled)) < 10_000
    assert bundle({"type": "string"}) == {"type": "string"}  # nothing shared: unchanged


# --- (b) one reader: the mock and the check locate problems the same way -----------------------


def test_the_mock_has_no_reader_of_its_own():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("snippetgen.mock.specs")
    assert not hasattr(mock_compile, "Operation") and not hasattr(mock_compile, "Api")


GOOD_OP = "      operationId: getX\n      responses: {'200': {description: ok}, '400': {description: bad}}\n"
BROKEN = {
    "yaml-syntax": ("yaml", "paths:\n  /x:\n    get: {responses: {200: {description: ok}}\n"),
    "json-syntax": ("json", '{\n  "openapi": "3.1.0",\n  "paths": {\n    "/x": {,}\n  }\n}\n'),
    "broken-ref": (
        "yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: getX\n"
        "      responses:\n        '200': {$ref: '#/components/responses/Missing'}\n",
    ),
    "remote-ref": (
        "yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: getX\n"
        "      responses:\n        '200': {$ref: 'common.yaml#/Ok'}\n",
    ),
    "unknown-x-mock-key": (
        "yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n"
        + GOOD_OP
        + "      x-mock:\n        delay: 3\n",
    ),
    "bad-x-mock-value": (
        "yaml",
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nx-mock:\n  rate-limit:\n    limit: many\npaths:\n  /x:\n"
        "    get:\n" + GOOD_OP,
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_mock_and_check_report_the_same_place(project, case):
    kind, text = BROKEN[case]
    path = project.root / "shared" / "openapi" / f"broken.{kind}"
    write_spec(path.parent, path.name, text)
    try:  # a document it cannot read is refused; an operation it cannot serve is skipped
        api = compile_api(path, project.root)
    except SpecError as refused:
        found = [(refused.location, refused.message)]
    else:
        found = [(skip.location, skip.message) for skip in api.skipped]
    assert len(found) == 1 and found[0][0].line > 0
    mock_says = (str(found[0][0]), found[0][1])
    check_says = {(str(p.location), p.message) for p in run_check(project.root)}
    assert mock_says in check_says


# --- (c) JSON documents --------------------------------------------------------------------------

ECHO = {
    "openapi": "3.1.0",
    "info": {"title": "Echo", "version": "1"},
    "servers": [{"url": "https://echo.example.com/v1"}],
    "paths": {
        "/echo": {
            "post": {
                "operationId": "echo",
                "summary": "Echo",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Echo")}}},
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"example": {"said": "hi"}}},
                    },
                    "400": {"description": "bad"},
                },
            }
        },
        "/quiet": {"get": {"operationId": "quiet", "responses": {"204": {"description": "nothing"}}}},
    },
    "components": {
        "schemas": {
            "Echo": {
                "type": "object",
                "required": ["prompt"],
                "properties": {"prompt": {"type": "string"}, "steps": {"type": "integer", "maximum": 50}},
            }
        }
    },
}


def test_json_spec_is_loaded_by_check_and_served_by_the_mock(project):
    path = write_spec(project.root / "shared" / "openapi", "echo.json", ECHO)
    text = path.read_text()
    project.snippet(
        "demo.echo",
        {"title": "Echo", "operations": ["echo:echo"], "payload": {"prompt": "hi", "steps": 99}},
        py="print({{ prompt | lit }}, {{ steps }})\n",
    )
    problems = run_check(project.root)
    assert any(p.code == "bad-value" and "'steps'" in p.message for p in problems), problems
    quiet = next(i for i, line in enumerate(text.splitlines(), 1) if '"get"' in line)
    assert any(
        str(p.location) == f"shared/openapi/echo.json:{quiet}" and "no 4xx/5xx" in p.message for p in problems
    ), problems
    with MockServer(path.parent) as mock:
        url = mock.base_urls["echo"] + "/echo"
        assert requests.post(url, json={"prompt": "hi"}, headers=AUTH, timeout=5).json() == {"said": "hi"}
        assert (
            requests.post(url, json={"prompt": "hi", "steps": 99}, headers=AUTH, timeout=5).status_code == 400
        )


def test_json_line_map():
    data, lines = load_json_with_lines('{\n  "a": {\n    "b/c": [1,\n      2]\n  }\n}\n')
    assert data == {"a": {"b/c": [1, 2]}}
    assert lines[""] == 1 and lines["/a"] == 2 and lines["/a/b~1c"] == 3 and lines["/a/b~1c/1"] == 4


def test_two_documents_for_one_api_are_refused(tmp_path):
    write_spec(tmp_path, "echo.json", ECHO)
    write_spec(tmp_path, "echo.yaml", ECHO)
    specs, problems = load_specs(tmp_path, tmp_path)
    assert list(specs.apis) == ["echo"] and "a second document for API 'echo'" in problems[-1].message
    with pytest.raises(SpecError, match="two documents for API 'echo'"):
        load_apis(tmp_path)


# --- the parse cache -----------------------------------------------------------------------------


def test_each_content_is_parsed_once_per_process(tmp_path, monkeypatch):
    clear_cache()
    parses, validations = [], []
    real_parse, real_validate = read._parse, lint.validate_document
    monkeypatch.setattr(read, "_parse", lambda data, kind: parses.append(kind) or real_parse(data, kind))
    monkeypatch.setattr(
        lint, "validate_document", lambda api: validations.append(api.name) or real_validate(api)
    )
    write_spec(tmp_path, "echo.json", ECHO)
    write_spec(tmp_path, "shared.yaml", twice(5))
    first, problems = load_specs(tmp_path, tmp_path)  # check
    again, problems_again = load_specs(tmp_path, tmp_path)  # check again (mkdocs serve)
    rendered, _ = load_specs(tmp_path, tmp_path, validate=False)  # build
    load_apis(tmp_path)  # two mock slots
    load_apis(tmp_path)
    assert sorted(parses) == ["json", "yaml"] and sorted(validations) == ["echo", "shared"]
    assert problems_again == problems
    assert rendered.apis["shared"].document is first.apis["shared"].document
    assert rendered.apis["shared"].refs is first.apis["shared"].refs

    copy = tmp_path / "elsewhere"
    write_spec(copy, "shared.yaml", (tmp_path / "shared.yaml").read_text())
    moved, _ = read_document(copy / "shared.yaml", tmp_path)
    assert moved.document is first.apis["shared"].document and moved.display == "elsewhere/shared.yaml"
    assert len(parses) == 2

    write_spec(tmp_path, "shared.yaml", twice(6))
    edited, _ = load_specs(tmp_path, tmp_path, validate=False)
    assert len(parses) == 3 and "S6" in edited.apis["shared"].document["components"]["schemas"]
    read_document(copy / "shared.yaml")  # the old content is still some file's: kept
    assert len(parses) == 3
    write_spec(copy, "shared.yaml", twice(7))
    read_document(copy / "shared.yaml")  # now no file has it: dropped, read again from scratch
    write_spec(copy, "shared.yaml", twice(5))
    read_document(copy / "shared.yaml")
    assert len(parses) == 5


@pytest.mark.skipif(not OPENAPI.is_dir(), reason="no shared/openapi")
def test_serving_does_not_change_the_shared_documents():
    clear_cache()
    before, _ = load_specs(OPENAPI, validate=False)
    with MockServer(OPENAPI):  # rewrites canned replies and stream sequences onto its origin
        pass
    after, _ = load_specs(OPENAPI, validate=False)
    clear_cache()
    fresh, _ = load_specs(OPENAPI, validate=False)
    for name, api in after.apis.items():
        assert api.document is before.apis[name].document
        assert json.dumps(api.document, sort_keys=True) == json.dumps(
            fresh.apis[name].document, sort_keys=True
        )
        assert [op.raw for op in api.operations] == [op.raw for op in fresh.apis[name].operations]
