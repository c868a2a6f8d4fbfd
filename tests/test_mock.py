"""The mock as a function against small spec fragments (tests/mock_specs/core): every behaviour and
error path, driven through ``Responder.respond`` with no socket, a fake clock and a fake sleep.

What only the served mock does (ports, HTTP streaming and disconnects, reading bodies off the wire,
the log file) is in test_mock_server.py; the ``snippetgen mock`` command in test_cli_mock.py.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from snippetgen.mock import DEFAULT_KEY, MockSettings, Request, Responder, Response
from snippetgen.mock.state import State

CORE = Path(__file__).parent / "mock_specs" / "core"
AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}
PNG = (Path(__file__).parents[1] / "snippetgen" / "media" / "sample.png").read_bytes()


class Clock:
    """A monotonic clock that only moves when told (rate-limit windows, time-based job phases)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def slept():
    """The delays the streams asked to sleep, in order (nothing actually waits)."""
    return []


@pytest.fixture
def make(clock, slept):
    def make(keys: list[str] | None = None, **settings) -> Responder:
        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        return Responder.load(CORE, MockSettings(**settings), keys, State(clock=clock), sleep=sleep)

    return make


@pytest.fixture
def mock(make):
    return make()


def call(mock: Responder, api: str | None, method: str, url: str, **kwargs) -> Response:
    """``mock.respond`` to the request httpx would send for ``url`` (a path with an optional query);
    ``kwargs`` as httpx takes them: params, headers, json, data, files, content."""
    built = httpx.Request(method, "http://mock.test" + url, **kwargs)
    return mock.respond(
        Request(
            method,
            built.url.path,
            built.url.query.decode("latin-1"),
            dict(built.headers),
            built.read(),
            api=api,
        )
    )


def fetch(mock: Responder, url: str) -> bytes:
    """GET an absolute URL of the mock (a media URL from an answer) by its origin's API."""
    parts = urlsplit(url)
    api = next(name for name, origin in mock.origins.items() if url.startswith(origin + "/"))
    response = call(mock, api, "GET", parts.path)
    assert response.status == 200
    return response.body


def events(response: Response) -> list[dict]:
    assert response.streaming and response.header("content-type") == "text/event-stream"

    async def gather() -> bytes:
        return b"".join([chunk async for chunk in response.body])

    text = asyncio.run(gather()).decode()
    assert text.endswith("\n\n")
    return [json.loads(chunk.removeprefix("data: ")) for chunk in text.strip().split("\n\n")]


def create(mock: Responder, model: str = "fast", headers: dict | None = None) -> str:
    r = call(
        mock, "alpha", "POST", "/v2/generate", json={"model": model, "prompt": "x"}, headers=headers or AUTH
    )
    assert r.status == 201, r.body
    return r.json()["generation_id"]


def poll(mock: Responder, gid: str, headers: dict | None = None) -> Response:
    return call(mock, "alpha", "GET", "/v2/generate", params={"generation_id": gid}, headers=headers or AUTH)


# routing ----------------------------------------------------------------------------------------


def test_overlapping_paths_are_told_apart_by_api(mock):
    a = call(mock, "alpha", "POST", "/v2/generate", json={"model": "fast", "prompt": "x"}, headers=AUTH)
    b = call(mock, "beta", "POST", "/generate", json={"prompt": "x"})
    assert a.status == 201 and "generation_id" in a.json()
    assert b.status == 200 and b.json()["success"] is True


def test_paths_without_the_server_prefix_are_accepted(mock):
    assert call(mock, "alpha", "GET", "/v2/items/latest", headers=AUTH).json()["name"] == "latest"
    assert call(mock, "alpha", "GET", "/items/latest", headers=AUTH).json()["name"] == "latest"


def test_no_api_means_the_first_and_an_unknown_api_is_an_error(mock):
    assert call(mock, None, "GET", "/v2/health").body == b"ok"  # alpha sorts first
    assert mock.state.entries()[-1]["api"] == "alpha"
    with pytest.raises(ValueError, match="no API named 'gamma'; the mock has alpha, beta"):
        call(mock, "gamma", "GET", "/v2/health")


def test_literal_path_wins_over_template(mock):
    r = call(mock, "alpha", "GET", "/v2/items/latest", headers=AUTH)
    assert r.status == 200 and r.json()["name"] == "latest"


def test_unknown_path_404_and_wrong_method_405_with_allow(mock):
    r = call(mock, "alpha", "GET", "/v2/nowhere", headers=AUTH)
    assert r.status == 404 and r.json()["title"] == "Not Found"
    r = call(mock, "alpha", "DELETE", "/v2/generate", headers=AUTH)
    assert r.status == 405 and r.header("allow") == "GET, POST"


def test_head_is_answered_by_the_get_operation(mock):
    r = call(mock, "alpha", "HEAD", "/v2/items/latest", headers=AUTH)
    assert r.status == 200 and r.header("content-type") == "application/json"
    assert mock.state.entries()[-1]["operation"] == "alpha:latestItem"


# jobs -------------------------------------------------------------------------------------------


def test_job_advances_one_phase_per_poll_and_last_repeats(mock):
    created = call(mock, "alpha", "POST", "/v2/generate", json={"model": "slow", "prompt": "x"}, headers=AUTH)
    gid = created.json()["generation_id"]
    assert gid != "0000" and created.json()["model"] == "slow"  # fresh id, echoed model
    states = [poll(mock, gid).json() for _ in range(4)]
    assert [s["status"] for s in states] == ["queued", "generating", "completed", "completed"]
    assert all(s["id"] == gid for s in states)
    video = states[-1]["video"]["url"]
    assert video == mock.origins["alpha"] + f"/out/{gid}/clip.mp4"  # each job has its own result URL
    assert fetch(mock, video)[4:8] == b"ftyp"
    mock.state.reset()  # a fresh balance for a second job
    other = create(mock)
    [poll(mock, other) for _ in range(2)]
    assert poll(mock, other).json()["video"]["url"] == mock.origins["alpha"] + f"/out/{other}/clip.mp4"


def test_polls_per_phase_setting(make):
    mock = make(polls_per_phase=2)
    gid = create(mock)
    seen = [poll(mock, gid).json()["status"] for _ in range(5)]
    assert seen == ["queued", "queued", "generating", "generating", "completed"]


def test_time_based_phases(make, clock):
    mock = make(phase_seconds=1.0)
    gid = create(mock)
    seen = [poll(mock, gid).json()["status"]]
    clock.now += 1.0
    seen.append(poll(mock, gid).json()["status"])
    clock.now += 5.0
    seen.append(poll(mock, gid).json()["status"])
    assert seen == ["queued", "generating", "completed"]


def test_unknown_job_is_404_problem(mock):
    r = poll(mock, "nope")
    assert r.status == 404
    assert r.header("content-type") == "application/problem+json"
    assert "nope" in r.json()["detail"]


def test_interleaved_clients_never_cross_jobs(make):
    keys = [f"k{i}" for i in range(20)]
    mock = make(keys=keys)
    auth = [{"Authorization": f"Bearer {k}"} for k in keys]
    ids = [create(mock, headers=a) for a in auth]
    assert len(set(ids)) == 20
    for expected in ("queued", "generating", "completed"):
        for gid, a in zip(ids, auth, strict=True):
            body = poll(mock, gid, a).json()
            assert (body["id"], body["status"]) == (gid, expected)


# streams ----------------------------------------------------------------------------------------


def test_stream_is_finite_and_ends_with_a_media_url(mock):
    r = call(mock, "alpha", "POST", "/v2/stream", json={"model": "fast"}, headers=AUTH)
    assert r.status == 200 and r.header("cache-control") == "no-cache"
    got = events(r)
    assert got == [{"status": "started"}, {"status": "Completed", "url": mock.origins["alpha"] + "/fast.mp3"}]
    assert fetch(mock, got[-1]["url"])[:3] == b"ID3"


def test_stream_waits_the_interval_between_events(make, slept):
    got = events(
        call(make(stream_interval=0.25), "alpha", "POST", "/v2/stream", json={"model": "slow"}, headers=AUTH)
    )
    assert len(got) == 9 and got[-1]["url"].endswith("/slow.mp4")
    assert slept == [0.25] * 8  # between events, not before the first
    slept.clear()
    assert (
        len(
            events(
                call(
                    make(stream_interval=0),
                    "alpha",
                    "POST",
                    "/v2/stream",
                    json={"model": "slow"},
                    headers=AUTH,
                )
            )
        )
        == 9
    )
    assert slept == []


def test_closing_a_stream_early_stops_it_and_frees_it(mock):
    r = call(mock, "alpha", "POST", "/v2/stream", json={"model": "slow"}, headers=AUTH)
    assert mock.state.streams == 0  # counted from its first chunk, not from the answer

    async def read_two_then_close() -> list[bytes]:
        first = [await anext(r.body), await anext(r.body)]
        assert mock.state.streams == 1
        await r.body.aclose()
        return first

    first = asyncio.run(read_two_then_close())
    assert first == [b'data: {"status": "started"}\n\n', b'data: {"status": "working"}\n\n']
    assert mock.state.streams == 0
    assert mock.state.entries()[-1]["status"] == 200


# validation and errors -------------------------------------------------------------------------


def test_validation_lists_every_violation_as_problem_json(mock):
    r = call(
        mock, "alpha", "POST", "/v2/generate", json={"model": "huge", "steps": 0, "extra": 1}, headers=AUTH
    )
    assert r.status == 422
    assert r.header("content-type") == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["title"].startswith("Unprocessable")
    locations = sorted(e["location"] for e in problem["errors"])
    assert locations == ["body", "body/model", "body/prompt", "body/steps"]
    assert b"Traceback" not in r.body


def test_params_are_coerced_and_validated(mock):
    ok = call(
        mock,
        "alpha",
        "GET",
        "/v2/items/5",
        params={"limit": "10", "tags": ["a", "b"]},
        headers={**AUTH, "X-Trace": "t-1"},
    )
    assert ok.status == 200, ok.body
    bad = call(
        mock,
        "alpha",
        "GET",
        "/v2/items/0",
        params={"limit": "many", "tags": ["c"]},
        headers={**AUTH, "X-Trace": "nope"},
    )
    assert bad.status == 422
    assert sorted(e["location"] for e in bad.json()["errors"]) == [
        "header/x-trace",
        "path/item_id",
        "query/limit",
        "query/tags/0",
    ]


def test_missing_or_wrong_key_is_401(mock):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": DEFAULT_KEY}):
        r = call(
            mock, "alpha", "POST", "/v2/generate", json={"model": "fast", "prompt": "x"}, headers=headers
        )
        assert r.status == 401 and r.header("www-authenticate") == "Bearer"
    assert call(mock, "alpha", "GET", "/v2/health").body == b"ok"  # security: [] stays open


def test_custom_keys(make):
    mock = make(keys=["one", "two"])
    assert (
        call(mock, "alpha", "GET", "/v2/items/latest", headers={"Authorization": "Bearer two"}).status == 200
    )
    assert call(mock, "alpha", "GET", "/v2/items/latest", headers=AUTH).status == 401


def test_wrong_content_type_is_415(mock):
    r = call(
        mock,
        "alpha",
        "POST",
        "/v2/generate",
        content=b"model=fast",
        headers={**AUTH, "Content-Type": "text/plain"},
    )
    assert r.status == 415 and "application/json" in r.json()["detail"]


def test_invalid_json_is_400_without_trace(mock):
    r = call(
        mock,
        "alpha",
        "POST",
        "/v2/generate",
        content=b'{"model": ',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.status == 400 and r.header("content-type") == "application/problem+json"
    assert "not valid JSON" in r.json()["detail"] and b"Traceback" not in r.body


def test_body_over_limit_is_413_by_length_before_parsing_and_by_size(make):
    mock = make(max_body=1000)
    r = call(
        mock, "beta", "POST", "/generate", content=b"{" * 5000, headers={"Content-Type": "application/json"}
    )
    assert r.status == 413 and r.json() == {
        "error": "the body of 5000 bytes is over the limit of 1000",
        "code": 413,
    }
    # a streamed body has no Content-Length: the host passes what it read, over the limit
    chunked = Request(
        "POST",
        "/generate",
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        body=b"x" * 1001,
        api="beta",
    )
    r = mock.respond(chunked)
    assert r.status == 413 and r.json()["error"] == "the body is over the limit of 1000 bytes"
    assert call(mock, "beta", "POST", "/generate", json={"prompt": "p" * 900}).status == 200


def test_api_error_shape_for_every_error(mock):
    r = call(mock, "beta", "POST", "/generate", json={"seed": "x"})
    assert r.status == 400  # the operation declares 400
    body = r.json()
    assert set(body) == {"error", "code"} and body["code"] == 400
    assert "body/prompt" in body["error"] and "body/seed" in body["error"]
    assert call(mock, "beta", "GET", "/missing").json()["code"] == 404
    assert (
        call(mock, "beta", "POST", "/generate", json={"prompt": "p", "seed": None}).status == 200
    )  # nullable


def test_internal_error_is_500_without_trace_and_logged(mock, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(mock, "answer", broken)
    r = call(mock, "alpha", "GET", "/v2/items/latest", headers=AUTH)
    assert r.status == 500 and r.json()["detail"] == "internal error of the mock server (see its log)"
    assert b"boom" not in r.body
    assert "RuntimeError: boom" in capsys.readouterr().err
    assert mock.state.entries()[-1]["status"] == 500


def test_token_balance_runs_out_with_418(mock):
    statuses = [
        call(
            mock, "alpha", "POST", "/v2/generate", json={"model": "fast", "prompt": "x"}, headers=AUTH
        ).status
        for _ in range(3)
    ]
    assert statuses == [201, 201, 418]  # balance 25, cost 10
    r = call(mock, "alpha", "POST", "/v2/generate", json={"model": "slow", "prompt": "x"}, headers=AUTH)
    assert r.status == 418 and "balance is 5" in r.json()["detail"]


def test_balance_setting_overrides_the_spec(make):
    mock = make(balance=100)
    for _ in range(10):
        create(mock)  # asserts 201
    r = call(mock, "alpha", "POST", "/v2/generate", json={"model": "fast", "prompt": "x"}, headers=AUTH)
    assert r.status == 418 and "balance is 0" in r.json()["detail"]


def test_rate_limit_headers_then_429_then_recovery(make, clock):
    mock = make(rate_limit=3, rate_window=2.0)
    answers = [call(mock, "alpha", "GET", "/v2/items/latest", headers=AUTH) for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert [a.header("ratelimit-remaining") for a in answers] == ["2", "1", "0", "0"]
    assert answers[0].header("ratelimit-limit") == "3"
    assert answers[-1].header("retry-after") == "2"
    clock.now += 1.5
    assert call(mock, "alpha", "GET", "/v2/items/latest", headers=AUTH).header("retry-after") == "1"
    clock.now += 0.5
    assert call(mock, "alpha", "GET", "/v2/items/latest", headers=AUTH).status == 200
    # the override applies to APIs without x-mock rate-limit as well
    codes = [call(mock, "beta", "POST", "/generate", json={"prompt": "p"}).status for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_rate_limits_count_per_key_else_per_client_address(make):
    mock = make(rate_limit=1)

    def status(headers: dict[str, str], client: str | None = None) -> int:
        return mock.respond(Request("GET", "/v2/health", headers=headers, api="alpha", client=client)).status

    assert [status({}, "10.0.0.1"), status({}, "10.0.0.1"), status({}, "10.0.0.2")] == [200, 429, 200]
    assert [status(AUTH, "10.0.0.3"), status(AUTH, "10.0.0.4")] == [200, 429]


def test_declared_rate_limit_headers_on_every_answer(mock):
    r = call(mock, "alpha", "GET", "/v2/nowhere", headers=AUTH)
    assert r.status == 404
    assert r.header("ratelimit-limit") == "1000" and r.header("ratelimit-reset") == "60"


# bodies: multipart, forms, binary --------------------------------------------------------------


def test_multipart_upload_coerces_fields_and_checks_the_file(mock):
    ok = call(
        mock,
        "beta",
        "POST",
        "/upload",
        files={"image": ("a.png", PNG, "image/png")},
        data={"prompt": "p", "strength": "0.5", "seed": "3"},
    )
    assert ok.status == 200, ok.body
    entry = mock.state.entries()[-1]
    assert entry["operation"] == "beta:uploadImage"
    assert entry["body"] == {
        "fields": {"prompt": "p", "strength": 0.5, "seed": 3},
        "files": [{"field": "image", "filename": "a.png", "content_type": "image/png", "size": len(PNG)}],
    }
    bad = call(
        mock,
        "beta",
        "POST",
        "/upload",
        files={"image": ("a.gif", b"G" * 2000, "image/gif")},
        data={"strength": "2", "seed": "x"},
    )
    assert bad.status == 400
    message = bad.json()["error"]
    for piece in ("image/gif", "2000 bytes", "body/prompt", "body/strength", "body/seed"):
        assert piece in message
    missing = call(
        mock, "beta", "POST", "/upload", data={"prompt": "p", "image": "not a file"}, files={"x": ("x", b"1")}
    )
    assert missing.status == 400 and "expected a file part" in missing.json()["error"]


def test_multipart_file_without_content_type_and_unknown_file_fields(mock):
    body = (
        b'--b\r\nContent-Disposition: form-data; name="image"; filename="in.png"\r\n\r\n'
        + PNG
        + b'\r\n--b\r\nContent-Disposition: form-data; name="extra"; filename=""\r\n'
        + b"Content-Type: text/plain\r\n\r\nhello\r\n"
        + b'--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nna\xc3\xafve\r\n--b--\r\n'
    )
    r = mock.respond(
        Request(
            "POST",
            "/upload",
            headers={"Content-Type": "multipart/form-data; boundary=b"},
            body=body,
            api="beta",
        )
    )
    assert r.status == 400 and "body/image" in r.json()["error"]  # octet-stream is not png or jpeg
    assert mock.state.entries()[-1]["body"] == {
        "fields": {"prompt": "naïve", "extra": ""},
        "files": [
            {
                "field": "image",
                "filename": "in.png",
                "content_type": "application/octet-stream",
                "size": len(PNG),
            },
            {"field": "extra", "filename": "", "content_type": "text/plain", "size": 5},
        ],
    }


@pytest.mark.parametrize(
    ("content_type", "body", "why"),
    [
        ("multipart/form-data", b"--xx\r\nbroken", "missing boundary"),
        (
            "multipart/form-data; boundary=xx",
            b"--xx\r\nContent-Disposition: form-data\r\n\r\nv\r\n--xx--\r\n",
            'no "name"',
        ),
        ("multipart/form-data; boundary=xx", b"--yy\r\ngarbage", "invalid multipart data"),
    ],
)
def test_malformed_multipart_is_400(mock, content_type, body, why):
    r = mock.respond(
        Request("POST", "/upload", headers={"Content-Type": content_type}, body=body, api="beta")
    )
    assert r.status == 400
    assert r.json()["error"].startswith("malformed multipart body: ") and why in r.json()["error"]


def test_urlencoded_form(mock):
    r = call(mock, "beta", "POST", "/form", data={"count": "3", "flag": "true"})
    assert r.status == 204 and r.body == b""
    assert mock.state.entries()[-1]["body"] == {"count": 3, "flag": True}
    r = call(mock, "beta", "POST", "/form", data={"count": "9"})
    assert r.status == 400 and "body/count" in r.json()["error"]


def test_binary_response_is_a_real_wav(mock):
    r = call(mock, "alpha", "POST", "/v2/tts", json={"text": "hi"}, headers=AUTH)
    assert r.status == 200 and r.header("content-type") == "audio/wav"
    assert r.body[:4] == b"RIFF" and r.body[8:12] == b"WAVE"


MAGIC = {
    ".png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
    ".jpg": lambda b: b[:3] == b"\xff\xd8\xff",
    ".jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
    ".webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    ".mp3": lambda b: b[:3] == b"ID3" or (b[0] == 0xFF and b[1] & 0xE0 == 0xE0),
    ".wav": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
    ".mp4": lambda b: b[4:8] == b"ftyp",
    ".glb": lambda b: b[:4] == b"glTF",
}


@pytest.mark.parametrize("ext", sorted(MAGIC))
def test_media_files_have_the_right_magic_and_stay_small(mock, ext):
    r = call(mock, "beta", "GET", f"/any/where/file{ext}")
    assert r.status == 200 and MAGIC[ext](r.body) and len(r.body) < 4096
    assert mock.state.entries()[-1]["media"] is True


def test_media_urls_in_bodies_point_at_the_mock(mock):
    body = call(mock, "beta", "POST", "/generate", json={"prompt": "x"}).json()
    origin = mock.origins["beta"]
    assert origin == "http://beta.test"  # until the responder is told where it is served
    assert body["image_url"] == origin + "/images/generated_1.png"
    assert body["thumbs"] == [origin + "/t/1.JPG", "/relative/2.webp", "https://beta.example/not-media.txt"]
    assert MAGIC[".webp"](call(mock, "beta", "GET", body["thumbs"][1]).body)


def test_use_origins_moves_media_urls_and_the_apis_listing(mock):
    first = call(mock, "beta", "POST", "/generate", json={"prompt": "x"}).json()["image_url"]
    mock.use_origins({"beta": "http://127.0.0.1:9"})
    again = call(mock, "beta", "POST", "/generate", json={"prompt": "x"}).json()["image_url"]
    assert (first, again) == (
        "http://beta.test/images/generated_1.png",
        "http://127.0.0.1:9/images/generated_1.png",
    )
    listing = mock.respond(Request("GET", "/__mock__/apis", api="alpha")).json()
    assert listing == {"alpha": "http://alpha.test", "beta": "http://127.0.0.1:9"}


# request log and control paths ------------------------------------------------------------------


def test_request_log_entries(mock):
    call(mock, "alpha", "POST", "/v2/generate", params={"x": "1"}, json={"model": "fast"}, headers=AUTH)
    call(mock, "beta", "GET", "/x")
    entries = mock.state.entries()
    assert [(e["api"], e["method"], e["path"], e["query"], e["status"], e["operation"]) for e in entries] == [
        ("alpha", "POST", "/v2/generate", "x=1", 422, "alpha:createJob"),
        ("beta", "GET", "/x", "", 404, None),
    ]
    assert entries[0]["body"] == {"model": "fast"}
    assert entries[0]["errors"] == [{"location": "body/prompt", "message": '"prompt" is a required property'}]
    assert mock.state.entries("beta") == entries[1:]


def test_control_paths_read_and_clear_the_log_reset_state_and_are_not_logged(mock):
    gid = create(mock)
    call(mock, "beta", "GET", "/x")

    def control(method: str, path: str, api: str = "beta") -> Response:
        return call(mock, api, method, path)

    listed = control("GET", "/__mock__/requests?api=alpha").json()
    assert [(e["api"], e["status"]) for e in listed] == [("alpha", 201)]
    assert len(control("GET", "/__mock__/requests").json()) == 2
    assert control("POST", "/__mock__/reset").status == 204
    assert poll(mock, gid).status == 404  # jobs forgotten
    assert control("DELETE", "/__mock__/requests").status == 204
    assert mock.state.entries() == []
    assert control("GET", "/__mock__/apis", "alpha").json() == mock.origins
    missing = control("GET", "/__mock__/nothing")
    assert missing.status == 404 and "mock control paths" in missing.json()["detail"]
    assert mock.state.entries() == []


def test_respond_core_imports_no_web_framework():
    code = f"""
import sys
import snippetgen.mock
import snippetgen.mock.respond
from snippetgen.mock import Request, Responder
mock = Responder.load({str(CORE)!r})
body = b'--b\\r\\nContent-Disposition: form-data; name="prompt"\\r\\n\\r\\np\\r\\n--b--\\r\\n'
headers = {{"content-type": "multipart/form-data; boundary=b"}}
r = mock.respond(Request("POST", "/upload", headers=headers, body=body, api="beta"))
assert r.status == 400 and "body/image" in r.json()["error"], r.body
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("uvicorn", "starlette"))
assert not loaded, loaded
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
