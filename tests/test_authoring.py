"""``snippetgen new`` / ``snippetgen run``: scaffolded snippets pass ``check`` and run green against the mock.

Every project here is a temporary copy of this repository's ``shared/openapi`` specs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from snippetgen.authoring import compare_tabs, format_run, new_snippet, run_examples, run_snippet
from snippetgen.check import run_check
from snippetgen.errors import UsageError
from snippetgen.integration.cli import cli as snippetgen_cli
from snippetgen.model import Location
from snippetgen.project import Project
from snippetgen.render import kebab_case
from snippetgen.scaffold import scaffold
from snippetgen.spec import load_specs
from snippetgen.workspace import load_workspace

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "shared" / "openapi"
LANGS = ["py", "js", "curl"]

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("curl") is None,
    reason="running the examples needs node and curl on PATH",
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(SPECS, tmp_path / "shared" / "openapi")
    (tmp_path / "docs").mkdir()
    return tmp_path


def _assert_clean(project: Project) -> None:
    problems = run_check(project=project)
    assert not problems, "\n".join(p.format() for p in problems)


def _assert_green(outcomes: list) -> None:
    assert [o.example.lang for o in outcomes] == LANGS
    assert all(o.passed for o in outcomes), format_run(outcomes)


def _read(root: Path, key: str, file: str) -> str:
    group, name = key.split(".")
    return (root / "shared" / "snippets" / group / name / file).read_text(encoding="utf-8")


# --- the four kinds of operation -----------------------------------------------------------------


def test_json_operation(root: Path) -> None:
    project = Project.load(root)
    (root / "docs" / "aiart").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "aiart" / "generate-image.md").write_text("# Generate an image\n", encoding="utf-8")
    written = new_snippet(project, "aiart/generate-image", "aiart:generateImage", LANGS)
    assert sorted(p.name for p in written) == ["config.json", "curl.jinja", "js.jinja", "py.jinja"]
    config = json.loads(_read(root, "aiart.generate-image", "config.json"))
    assert config["title"] == "Generate an image from a text prompt"
    assert config["docs"] == "aiart/generate-image.md"  # kept: that page exists (else it is left out)
    assert config["operations"] == ["aiart:generateImage"]
    payload = config["payload"]
    assert payload["baseUrl"] == "https://aiart-zroo.onrender.com"
    assert "apiKeyEnv" not in payload  # the aiart API is open
    assert payload["videoDescription"].startswith("A lighthouse")  # the required field, from the example
    assert payload["stylePreset"] == "fantasy-art" and payload["aspectRatio"] == "16:9"  # enum fields
    py = _read(root, "aiart.generate-image", "py.jinja")
    assert "requests.post(" in py and '"video_description": {{ videoDescription | lit }},' in py
    assert "json={" in py and "sys.exit(" in py
    js = _read(root, "aiart.generate-image", "js.jinja")
    assert "await fetch(" in js and "JSON.stringify({" in js and "process.exit(1)" in js
    curl = _read(root, "aiart.generate-image", "curl.jinja")
    assert "--fail-with-body" in curl and "-d {{ body | json(2) | indent(2) | replace(" in curl
    assert '{% set body = {"video_description": videoDescription, ' in curl  # the body, inline
    _assert_clean(project)
    outcomes = run_snippet(project, "aiart.generate-image")
    _assert_green(outcomes)
    bodies = [o.requests[0]["body"] for o in outcomes]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["video_description"] == payload["videoDescription"]


def test_multipart_operation_uploads_a_fixture(root: Path) -> None:
    project = Project.load(root)
    written = new_snippet(project, "aiart.img2img", "aiart:transformImage", LANGS)
    fixture = root / "shared" / "snippets" / "aiart" / "img2img" / "fixtures" / "image.png"
    assert fixture in written and fixture.read_bytes().startswith(b"\x89PNG")
    config = json.loads(_read(root, "aiart.img2img", "config.json"))
    assert config["test"]["fixtures"] == ["image.png"]
    py = _read(root, "aiart.img2img", "py.jinja")
    assert 'files={"image": ("image.png", image_file, "image/png")}' in py
    assert "new FormData()" in _read(root, "aiart.img2img", "js.jinja")
    curl = _read(root, "aiart.img2img", "curl.jinja")
    assert '-F "image=@image.png;type=image/png"' in curl
    assert "--form-string prompt={{ prompt | lit }}" in curl
    _assert_clean(project)
    outcomes = run_snippet(project, "aiart.img2img")
    _assert_green(outcomes)
    for outcome in outcomes:
        body = outcome.requests[0]["body"]
        assert [(f["field"], f["content_type"]) for f in body["files"]] == [("image", "image/png")]
        assert body["fields"]["prompt"] == config["payload"]["prompt"]


def test_sse_operation_reads_the_stream_to_the_end(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "ainow/song", "ainow:generate", LANGS)
    config = json.loads(_read(root, "ainow.song", "config.json"))
    assert config["payload"]["apiKeyEnv"] == "AINOW_API_KEY" and config["payload"]["model"] == "suno"
    # the key from the environment; a missing key stops with one line naming its variable
    py = _read(root, "ainow.song", "py.jinja")
    assert "API_KEY = os.environ.get({{ apiKeyEnv | lit }})" in py and "os.environ[" not in py
    assert 'sys.exit({{ ("Set " ~ apiKeyEnv ~ " to your API key.") | lit }})' in py
    js = _read(root, "ainow.song", "js.jinja")
    assert "const apiKey = process.env[{{ apiKeyEnv | lit }}];\nif (!apiKey) {" in js
    curl = _read(root, "ainow.song", "curl.jinja")
    assert '"Authorization: Bearer ${{ apiKeyEnv | env }}"' in curl
    assert curl.startswith("{% set body = ") and ': "${ {{- apiKeyEnv | env }}:?Set ' in curl
    _assert_clean(project)
    outcomes = run_snippet(project, "ainow.song")
    _assert_green(outcomes)
    for outcome in outcomes:
        assert outcome.process.stdout.count('"status"') == 5  # every event of the suno sequence
        assert "Completed" in outcome.process.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "ref, poll",
    [
        ("aimlapi:createKlingVideo", "aimlapi:getKlingVideo"),
        ("aiart:startImageToVideo", "aiart:getImageToVideoResult"),
    ],
)
def test_async_job_gets_a_create_then_poll_loop(root: Path, ref: str, poll: str) -> None:
    project = Project.load(root)
    new_snippet(project, "jobs/start", ref, LANGS)
    config = json.loads(_read(root, "jobs.start", "config.json"))
    assert config["operations"] == [ref, poll]
    assert config["test"]["set"] == {"pollInterval": 0.05}
    assert config["payload"]["pollInterval"] > 1 and config["payload"]["pollTimeout"] >= 60
    curl = _read(root, "jobs.start", "curl.jinja")
    assert "while ((SECONDS < DEADLINE)); do" in curl and "| jq -r " in curl  # jq reads id and status
    assert "sed " not in curl and "python" not in curl and "exit" not in curl  # pastable commands
    assert "time.sleep(POLL_INTERVAL)" in _read(root, "jobs.start", "py.jinja")
    assert "setTimeout(resolve, pollInterval * 1000)" in _read(root, "jobs.start", "js.jinja")
    _assert_clean(project)
    outcomes = run_snippet(project, "jobs.start")
    _assert_green(outcomes)
    for outcome in outcomes:
        ops = [r["operation"] for r in outcome.requests]
        assert ops[0] == ref and ops[1:] and set(ops[1:]) == {poll}, ops  # polled until done


def test_a_poll_operation_scaffolds_its_create_call_too() -> None:
    specs, _ = load_specs(SPECS)
    files = scaffold(specs, "aimlapi:getKlingVideo", "kling.fetch", ["py"])
    operations = json.loads(files["config.json"])["operations"]
    assert operations == ["aimlapi:createKlingVideo", "aimlapi:getKlingVideo"]
    by_path = scaffold(specs, "aimlapi:POST /v2/generate/video/kling/generation", "kling.fetch", ["py"])
    assert by_path == files
    assert sorted(files) == ["config.json", "py.jinja"]


def test_binary_answer_is_saved_and_expected(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "speech/tts", "aimlapi:createSpeech", LANGS)
    config = json.loads(_read(root, "speech.tts", "config.json"))
    assert config["test"]["expect_files"] == ["audio.wav"]
    _assert_green(run_snippet(project, "speech.tts"))


SHOP_SPEC = """\
openapi: 3.1.0
info: {title: Shop, version: "1"}
servers: [{url: "https://shop.example.com/v1"}]
security: [{key: []}]
paths:
  /items/{item_id}:
    put:
      operationId: updateItem
      summary: Update an item
      parameters:
        - {name: item_id, in: path, required: true, schema: {type: string}, example: sku-123}
        - {name: dry_run, in: query, required: true, schema: {type: boolean}}
        - {name: tag, in: query, required: true, schema: {type: array, items: {type: string}}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [price, tags]
              properties:
                price: {type: number, minimum: 0.5}
                tags: {type: array, items: {type: string}}
                color: {type: string, enum: [red, blue], default: blue}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {ok: {type: boolean}}}
              example: {ok: true}
        "401": {description: no key}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Api-Key}
"""


def test_path_and_query_parameters_and_an_api_key_header(tmp_path: Path) -> None:
    """No operation of the repo's specs has these: a path parameter, a query on a PUT, an apiKey header."""
    (tmp_path / "shared" / "openapi").mkdir(parents=True)
    (tmp_path / "shared" / "openapi" / "shop.yaml").write_text(SHOP_SPEC)
    project = Project.load(tmp_path)
    new_snippet(project, "shop/update", "shop:PUT /items/{item_id}")
    payload = json.loads(_read(tmp_path, "shop.update", "config.json"))["payload"]
    assert payload["apiKeyEnv"] == "SHOP_API_KEY" and payload["itemId"] == "sku-123"
    assert payload["dryRun"] is False and payload["color"] == "blue" and payload["price"] >= 0.5
    assert '-H "X-Api-Key: ${{ apiKeyEnv | env }}"' in _read(tmp_path, "shop.update", "curl.jinja")
    outcomes = run_snippet(project, "shop.update", sets={"dryRun": "true", "itemId": "sku 9"})
    _assert_green(outcomes)
    for outcome in outcomes:
        request = outcome.requests[0]
        assert request["path"] == "/v1/items/sku 9"  # sent as sku%209
        assert "dry_run=true" in request["query"] and "tag=example-tag" in request["query"]


# --- every operation of the repository's specs -----------------------------------------------------


def _apis() -> list[str]:
    return sorted(p.stem for p in SPECS.glob("*.yaml"))


@pytest.mark.parametrize("api", _apis())
def test_every_operation_scaffolds_checks_and_runs(root: Path, api: str) -> None:
    """Scaffold EVERY operation of one spec (one test per spec, so xdist spreads them), check them all
    with zero problems, and run them ALL in all three languages against one mock (the whole repo takes
    well under two minutes), the tabs of each snippet sending the same requests."""
    from snippetgen.mock import MockServer, MockSettings
    from snippetgen.runner import Example, Runner

    project = Project.load(root)
    specs, problems = load_specs(project.specs_dir, project.root)
    assert not problems
    ops = specs.apis[api].operations
    assert ops
    keys = []
    for op in ops:
        new_snippet(project, f"{api}/{kebab_case(op.operation_id)}", op.ref, LANGS, specs=specs)
        keys.append(f"{api}.{kebab_case(op.operation_id)}")
    _assert_clean(project)

    ws, _ = load_workspace(project)
    settings = MockSettings(polls_per_phase=1, stream_interval=0.01)
    mock = MockServer(project.specs_dir, settings=settings).start()
    runner = Runner(ws, mock)
    failed = []
    try:
        for key in keys:
            snippet = ws.catalog.get(key)
            where = Location(str(snippet.config_path), 1)
            usage = f"{snippet.config_path}::{key}"
            outcomes = run_examples(runner, mock, [Example(usage, lang, where, snippet) for lang in LANGS])
            compare_tabs(outcomes)
            failed += [o for o in outcomes if not o.passed]
    finally:
        runner.close()
        mock.stop()
    assert not failed, format_run(failed)


# --- new: refusing to overwrite, bad input -------------------------------------------------------


def test_new_refuses_to_overwrite_without_force(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "aiart/generate-image", "aiart:generateImage")
    config = root / "shared" / "snippets" / "aiart" / "generate-image" / "config.json"
    original = config.read_text()
    config.write_text(original.replace("Generate an image", "Edited by hand"))
    with pytest.raises(UsageError) as info:
        new_snippet(project, "aiart/generate-image", "aiart:generateImage")
    assert "already exists" in info.value.message and "--force" in info.value.hint
    assert "Edited by hand" in config.read_text()
    args = ["aiart/generate-image", "-o", "aiart:generateImage", "--root", str(root)]
    result = CliRunner().invoke(snippetgen_cli, ["new", *args])
    assert result.exit_code == 2 and "--force" in result.output
    new_snippet(project, "aiart/generate-image", "aiart:generateImage", force=True)
    assert config.read_text() == original
    js = config.parent / "js.jinja"
    js.write_text("// edited by hand\n")
    new_snippet(project, "aiart/generate-image", "aiart:generateImage", ["py"], force=True)
    names = sorted(p.name for p in config.parent.iterdir())
    assert names == [
        "config.json",
        "curl.jinja",
        "js.jinja",
        "py.jinja",
    ]  # --force replaces only what it writes
    assert js.read_text() == "// edited by hand\n"


@pytest.mark.parametrize(
    "key, ref, langs, message, hint",
    [
        ("aiart/Generate_Image", "aiart:generateImage", LANGS, "not kebab-case", "call it 'generate-image'"),
        ("aiart", "aiart:generateImage", LANGS, "bad snippet key", "group/name"),
        ("aiart/x", "aiart:generateImag", LANGS, "unknown operation", "aiart:generateImage"),
        ("aiart/x", "nope:zzz", LANGS, "unknown operation", "the APIs are: aiart, aimlapi, ainow, media"),
        ("aiart/x", "aiart:generateImage", ["py", "ruby"], "unknown language", None),
    ],
)
def test_new_explains_bad_input(
    root: Path, key: str, ref: str, langs: list[str], message: str, hint: str | None
) -> None:
    with pytest.raises(UsageError) as info:
        new_snippet(Project.load(root), key, ref, langs)
    assert message in str(info.value)
    if hint:
        assert hint in (info.value.hint or "")
    assert not (root / "shared" / "snippets" / "aiart" / "x").exists()


def test_new_cli_writes_only_the_languages_asked_for(root: Path) -> None:
    result = CliRunner().invoke(
        snippetgen_cli,
        [
            "new",
            "media/images",
            "--operation",
            "media:generateImages",
            "--lang",
            "py,curl",
            "--root",
            str(root),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wrote shared/snippets/media/images/config.json" in result.output
    assert "snippetgen run media.images" in result.output
    folder = root / "shared" / "snippets" / "media" / "images"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "curl.jinja", "py.jinja"]
    _assert_clean(Project.load(root))


# --- run via the CLI -----------------------------------------------------------------------------


def test_run_cli_passes_fails_and_explains(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "media/video", "media:generateVideo")
    cli = CliRunner()

    ok = cli.invoke(snippetgen_cli, ["run", "media.video", "--root", str(root)])
    assert ok.exit_code == 0, ok.output
    for label in ("[py] Python: PASS", "[js] JavaScript: PASS", "[curl] cURL: PASS", "3 of 3 passed"):
        assert label in ok.output
    assert "POST /api/v1/videos -> 200 [media:generateVideo]" in ok.output

    tricky = cli.invoke(
        snippetgen_cli,
        [
            "run",
            "media/video",
            "--set",
            'prompt=It\'s "quoted", $HOME `and` \\n\nnewline',
            "--set",
            "duration=6",
            "--root",
            str(root),
        ],
    )
    assert tricky.exit_code == 0, tricky.output
    assert "3 of 3 passed" in tricky.output

    one = cli.invoke(snippetgen_cli, ["run", "media.video", "--lang", "py", "--root", str(root)])
    assert one.exit_code == 0 and "1 of 1 passed" in one.output and "[js]" not in one.output

    bad = cli.invoke(
        snippetgen_cli, ["run", "media.video", "-l", "curl", "--set", "resolution=4k", "--root", str(root)]
    )
    assert bad.exit_code == 1, bad.output
    assert "FAIL" in bad.output and "body/resolution" in bad.output
    assert "-> 400 [media:generateVideo]" in bad.output

    unknown = cli.invoke(snippetgen_cli, ["run", "media.video", "--set", "promt=x", "--root", str(root)])
    assert unknown.exit_code == 2 and "did you mean prompt?" in unknown.output

    missing = cli.invoke(snippetgen_cli, ["run", "media.vidoe", "--root", str(root)])
    assert missing.exit_code == 2 and "unknown snippet media.vidoe" in missing.output
    assert "did you mean media.video?" in missing.output

    no_lang = cli.invoke(snippetgen_cli, ["run", "media.video", "--lang", "go", "--root", str(root)])
    assert no_lang.exit_code == 2 and "unknown language 'go'" in no_lang.output


def test_run_reports_a_snippet_that_does_not_load(root: Path) -> None:
    project = Project.load(root)
    new_snippet(project, "media/video", "media:generateVideo")
    config = root / "shared" / "snippets" / "media" / "video" / "config.json"
    config.write_text(config.read_text().replace('"title"', '// a comment\n  "title"', 1))
    with pytest.raises(UsageError) as info:
        run_snippet(project, "media.video")
    assert "shared/snippets/media/video/config.json:" in str(info.value)
