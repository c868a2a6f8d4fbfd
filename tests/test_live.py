"""Live contract runs (issue 17, part 2), proven on loopback against an independent stand-in API.

``tests/upstream_app.py`` behaves like the AI/ML API's Kling endpoints and can drift from the spec
(a missing field, a new required parameter, an undeclared status, a rate limit). The real CLI and the
real pytest plugin run the repository's Kling example in the real sandbox through the validating
proxy: it passes against the faithful API and fails, naming the drift, against each drifted one. The
key is random per session and must never show in any output.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from upstream_app import Upstream

from snippetgen.mock.proxy import Proxy, retry_delay
from snippetgen.mock.respond import Request, Response
from snippetgen.mock.upstream import http_forward

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-test-" + secrets.token_hex(20)
"""A key-shaped secret made per session: no file holds it, every output is searched for it."""
KLING = "kling.generate-video"
CREATE = "/v2/generate/video/kling/generation"


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    api = Upstream(KEY).start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def live_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the repository's AI/ML API spec, its Kling example opted in to live runs, and
    its model list example not opted in."""
    root = tmp_path_factory.mktemp("live")
    (root / "shared" / "openapi").mkdir(parents=True)
    shutil.copy(REPO / "shared" / "openapi" / "aimlapi.yaml", root / "shared" / "openapi")
    for key, live in ((KLING, True), ("models.list", False)):
        group, name = key.split(".")
        target = root / "shared" / "snippets" / group / name
        shutil.copytree(REPO / "shared" / "snippets" / group / name, target)
        config = json.loads((target / "config.json").read_text())
        config.pop("docs", None)
        config.pop("$schema", None)
        config.setdefault("test", {})["live"] = live
        (target / "config.json").write_text(json.dumps(config, indent=2))
    (root / "docs").mkdir()
    node_modules = REPO / "tests" / "node" / "node_modules"
    (root / "pyproject.toml").write_text(
        f'[tool.snippetgen]\nlive_delay = 0\nsandbox = "required"\nnode_modules = "{node_modules}"\n'
    )
    return root


def env(with_key: bool = True) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "AIMLAPI_API_KEY"}
    if with_key:
        out["AIMLAPI_API_KEY"] = KEY
    return out


def snippetgen(*args: str, root: Path, with_key: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "snippetgen", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        env=env(with_key),
        timeout=300,
    )


def run_live(upstream: Upstream, root: Path, *args: str, with_key: bool = True) -> tuple[int, str]:
    done = snippetgen(
        "run", "--live", *args, "--upstream", f"aimlapi={upstream.origin}", root=root, with_key=with_key
    )
    out = done.stdout + done.stderr
    assert KEY not in out, "the key leaked into the output of run --live"
    assert "Traceback" not in done.stderr
    return done.returncode, out


def test_live_run_passes_against_the_faithful_api(upstream: Upstream, live_project: Path) -> None:
    upstream.reset()
    code, out = run_live(upstream, live_project)
    assert code == 0, out
    assert "3 of 3 passed" in out
    assert "aimlapi: 9 calls, 0 violations" in out
    # only the opted-in snippet ran: the model list example was not run live
    assert "models.list" not in out
    assert sum(c["method"] == "POST" for c in upstream.calls) == 3
    assert not any(c["path"] == "/v1/models" for c in upstream.calls)
    # the video lives on another host: the example fetched it through the proxy, without the key
    files = [c for c in upstream.calls if c["path"].startswith("/files/")]
    assert len(files) == 3 and not any(c["authorization"] for c in files)
    assert all(c["authorization"] for c in upstream.calls if c["path"] == CREATE)
    assert len(upstream.calls) == 9


@pytest.mark.parametrize(
    ("drift", "message"),
    [
        (
            "missing-field",
            "GET /v2/generate/video/kling/generation (aimlapi:getKlingVideo): the API answered 200 "
            "with a body that the spec does not declare: /video/url is missing",
        ),
        (
            "required-param",
            "POST /v2/generate/video/kling/generation (aimlapi:createKlingVideo): the API answered 400 "
            "to a request the spec accepts",
        ),
        (
            "undeclared-status",
            "the API answered 202, a status the spec does not declare for aimlapi:createKlingVideo "
            "(it declares 201, 400, 401)",
        ),
    ],
)
def test_live_run_fails_naming_the_drift(
    upstream: Upstream, live_project: Path, drift: str, message: str
) -> None:
    upstream.reset(drift)
    code, out = run_live(upstream, live_project, "--lang", "py")
    assert code == 1, out
    assert message in out
    assert "aimlapi: " in out and ", 1 violation" in out
    if drift == "required-param":
        assert "resolution is required" in out  # the API's own words, to see what changed


def test_live_run_waits_out_a_429(upstream: Upstream, live_project: Path) -> None:
    upstream.reset("rate-limit")
    code, out = run_live(upstream, live_project, "--lang", "curl")
    assert code == 0, out
    assert sum(c["method"] == "POST" for c in upstream.calls) == 2  # refused once, retried after Retry-After
    assert "aimlapi: 4 calls, 0 violations" in out


def test_a_snippet_not_opted_in_runs_live_only_when_named(upstream: Upstream, live_project: Path) -> None:
    upstream.reset()
    code, out = run_live(upstream, live_project, "models.list", "--lang", "py")
    assert [c["path"] for c in upstream.calls] == ["/v1/models"]  # named: it ran (the stand-in lacks it)
    assert code == 1
    assert "GET /v1/models (aimlapi:listModels): the API answered 404 to a request the spec accepts" in out
    assert KLING not in out


def test_a_live_run_without_the_key_fails_before_calling(upstream: Upstream, live_project: Path) -> None:
    upstream.reset()
    code, out = run_live(upstream, live_project, "--lang", "py", with_key=False)
    assert code == 1
    assert "AIMLAPI_API_KEY is not set: a live run reads the real key from it" in out
    assert upstream.calls == []


def test_live_usage_errors(live_project: Path) -> None:
    done = snippetgen("run", "--live", "--upstream", "aimlapi=ftp://x", root=live_project)
    assert done.returncode == 2 and "expected API=ORIGIN" in done.stderr
    done = snippetgen("run", "--live", "--upstream", "nope=http://127.0.0.1:1", root=live_project)
    assert done.returncode == 2 and "names no API of the specs: nope" in done.stderr
    done = snippetgen("run", "--live", "no.such", root=live_project)
    assert done.returncode == 2 and "unknown snippet 'no.such'" in done.stderr


def test_pytest_live_runs_the_opted_in_examples(upstream: Upstream, live_project: Path) -> None:
    upstream.reset()
    args = ["--snippetgen-live", "--snippetgen-upstream", f"aimlapi={upstream.origin}"]
    done = pytest_in(live_project, *args)
    out = done.stdout + done.stderr
    assert KEY not in out
    assert done.returncode == 0, out
    assert "3 passed" in out
    assert "snippetgen live: aimlapi: 9 calls, 0 violations" in out
    assert not (live_project / ".snippetgen" / "runs").exists()  # a live run proves nothing about the mock

    upstream.reset("missing-field")
    done = pytest_in(live_project, *args, "-k", "py")
    out = done.stdout + done.stderr
    assert KEY not in out
    assert done.returncode == 1, out
    assert "1 failed, 2 deselected" in out
    assert "the API answered 200 with a body that the spec does not declare: /video/url is missing" in out


def pytest_in(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env(),
        timeout=300,
    )


def test_mock_proxy_checks_requests_and_answers(upstream: Upstream, live_project: Path) -> None:
    upstream.reset("undeclared-status")
    proc = subprocess.Popen(
        [sys.executable, "-m", "snippetgen", "mock", "--proxy", "--port", "0", "--live-delay", "0"]
        + ["--upstream", f"aimlapi={upstream.origin}", "--root", str(live_project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env(),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().split()
        assert first[0] == "aimlapi" and first[2:] == ["->", upstream.origin], first
        base = first[1]
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        # invalid for the spec (no prompt): refused by the proxy, never forwarded
        status, body = post(base + CREATE, {"model": "kling-video/v1/standard/text-to-video"}, headers)
        assert status == 400 and 'body/prompt: \\"prompt\\" is a required property' in body, body
        assert upstream.calls == []
        # valid: forwarded, and the API's 202 is named
        status, body = post(
            base + CREATE, {"model": "kling-video/v1/standard/text-to-video", "prompt": "x"}, headers
        )
        assert status == 202 and "generation_id" in body
        assert len(upstream.calls) == 1
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert "not forwarded: body" in out
    assert "the API answered 202, a status the spec does not declare" in out
    assert "aimlapi: 1 call, 2 violations" in out
    assert KEY not in out


def post(url: str, body: dict, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


# the core, as a function -------------------------------------------------------------------------


def test_proxy_fetches_only_files_an_answer_named(upstream: Upstream) -> None:
    upstream.reset()
    proxy = Proxy.load(REPO / "shared" / "openapi", {"aimlapi": upstream.origin}, http_forward)
    auth = {"Authorization": f"Bearer {KEY}"}
    stray = proxy.respond(
        Request("GET", f"/__live__/http/localhost:{upstream.port}/files/x.mp4", api="aimlapi")
    )
    assert stray.status == 403 and upstream.calls == []
    created = proxy.respond(
        Request(
            "POST",
            CREATE,
            api="aimlapi",
            headers={**auth, "Content-Type": "application/json"},
            body=b'{"model": "kling-video/v1/standard/text-to-video", "prompt": "a fox"}',
        )
    )
    assert created.status == 201
    job = created.json()["generation_id"]
    polled = proxy.respond(Request("GET", CREATE, f"generation_id={job}", headers=auth, api="aimlapi"))
    url = polled.json()["video"]["url"]
    assert url.startswith(f"http://aimlapi.test/__live__/http/localhost:{upstream.port}/files/")
    fetched = proxy.respond(
        Request("GET", url.removeprefix("http://aimlapi.test"), headers=auth, api="aimlapi")
    )
    assert fetched.status == 200 and fetched.body[4:8] == b"ftyp"
    assert upstream.calls[-1]["authorization"] is False  # the key never goes to the file host
    # no credentials: not forwarded
    before = len(upstream.calls)
    bare = proxy.respond(Request("GET", CREATE, f"generation_id={job}", api="aimlapi"))
    assert bare.status == 400 and len(upstream.calls) == before
    assert proxy.summary() == ["aimlapi: 3 calls, 2 violations"]


def test_unreachable_api_is_a_violation() -> None:
    proxy = Proxy.load(REPO / "shared" / "openapi", {"aimlapi": "http://127.0.0.1:9"}, http_forward)
    answer = proxy.respond(Request("GET", "/v1/models", headers={"Authorization": "Bearer k"}, api="aimlapi"))
    assert answer.status == 502
    assert proxy.requests()[-1]["api_errors"][0].startswith(
        "the API could not be reached at http://127.0.0.1:9"
    )


def test_retry_after_is_bounded() -> None:
    assert retry_delay("3", 60) == 3
    assert retry_delay("100000", 60) == 60
    assert retry_delay("Wed, 21 Oct 2015 07:28:00 GMT", 60) == 1
    assert retry_delay(None, 60) == 1
    assert retry_delay("-5", 60) == 1
    assert retry_delay("nan", 60) == 1


def test_a_refused_key_is_named_and_never_shown(upstream: Upstream, live_project: Path) -> None:
    upstream.reset()
    wrong = "sk-test-" + secrets.token_hex(20)
    done = subprocess.run(
        [sys.executable, "-m", "snippetgen", "run", "--live", "--lang", "py"]
        + ["--upstream", f"aimlapi={upstream.origin}", "--root", str(live_project)],
        capture_output=True,
        text=True,
        env={**env(), "AIMLAPI_API_KEY": wrong},
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1
    assert "the API refused the credentials (401): is the key in the environment valid?" in out
    assert wrong not in out and wrong[-16:] not in out


def test_pytest_live_refuses_parallel_workers(live_project: Path) -> None:
    done = pytest_in(live_project, "--snippetgen-live", "-n", "2")
    assert done.returncode != 0
    assert "--snippetgen-live runs one example at a time: add -n 0" in done.stdout + done.stderr


def test_test_live_must_be_a_boolean(project) -> None:
    project.snippet(
        "demo.hello",
        {"title": "Hello", "payload": {}, "test": {"live": "yes"}},
        py='print("hello")\n',
    )
    done = subprocess.run(
        [sys.executable, "-m", "snippetgen", "check", "--root", str(project.root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "config.json" in done.stdout and 'expected: type "boolean"' in done.stdout


def test_the_sandbox_reaches_only_the_proxy(upstream: Upstream, live_project: Path) -> None:
    """An example that calls the API's real address itself, around the proxy, gets nowhere."""
    upstream.reset()
    folder = live_project / "shared" / "snippets" / "direct" / "call"
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "title": "Call the API around the proxy",
        "payload": {"apiKeyEnv": "AIMLAPI_API_KEY", "target": "http://127.0.0.1:9/v1/models"},
        "operations": ["aimlapi:listModels"],
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "py.jinja").write_text(
        "import urllib.request\n\n"
        "try:\n"
        "    urllib.request.urlopen({{ target | lit }}, timeout=5)\n"
        "except Exception as exc:\n"
        '    print("blocked:", exc)\n'
    )
    try:
        code, out = run_live(
            upstream, live_project, "direct.call", "--set", f"target={upstream.origin}/v1/models"
        )
    finally:
        shutil.rmtree(folder.parent)
    assert code == 1
    assert f"tried to reach 127.0.0.1:{upstream.port}" in out
    assert upstream.calls == []


def test_answers_checked_against_the_declared_response() -> None:
    proxy = Proxy.load(REPO / "shared" / "openapi", {"aimlapi": "http://127.0.0.1:9"}, http_forward)
    op = proxy.apis["aimlapi"].by_id("getKlingVideo")
    assert op is not None
    json_type = [("content-type", "application/json")]
    good = Response(
        200, json_type, b'{"id": "1", "status": "completed", "video": {"url": "https://x/v.mp4"}}'
    )
    assert proxy.check_answer(op, good) == []
    assert proxy.check_answer(op, Response(200, json_type, b"<html>")) == [
        "the API answered 200 with a body that is not JSON (Expecting value: line 1 column 1 (char 0))"
    ]
    html = proxy.check_answer(op, Response(200, [("content-type", "text/html")], b"<html>"))
    assert html == [
        "the API answered 200 with content type text/html, which the spec does not declare for 200 "
        "(it declares application/json)"
    ]
    renamed = proxy.check_answer(op, Response(200, json_type, b'{"id": "1", "state": "completed"}'))
    assert renamed == ["the API answered 200 with a body that the spec does not declare: /status is missing"]
    assert proxy.check_answer(op, Response(200, json_type, b""), head=True) == []
