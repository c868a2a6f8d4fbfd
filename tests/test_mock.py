"""The mock server against small spec fragments (tests/mock_specs/core): every behaviour and error path,
driven over real HTTP on ephemeral ports."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import requests

from snippetgen.mock import DEFAULT_KEY, MockServer, MockSettings

CORE = Path(__file__).parent / "mock_specs" / "core"
AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}


@pytest.fixture(scope="module")
def mock():
    with MockServer(CORE, settings=MockSettings(stream_interval=0)) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(mock):
    mock.reset()
    mock.clear_log()


def alpha(mock, path=""):
    return mock.base_urls["alpha"] + path


def beta(mock, path=""):
    return mock.base_urls["beta"] + path


# ports and origins ------------------------------------------------------------------------------


def test_each_api_gets_its_own_origin_and_base_url(mock):
    assert mock.apis == ["alpha", "beta"]
    assert mock.origins["alpha"] != mock.origins["beta"]
    assert mock.base_urls["alpha"] == mock.origins["alpha"] + "/v2"
    assert mock.base_urls["beta"] == mock.origins["beta"]


def test_overlapping_paths_are_told_apart_by_port(mock):
    a = requests.post(alpha(mock, "/generate"), json={"model": "fast", "prompt": "x"}, headers=AUTH)
    b = requests.post(beta(mock, "/generate"), json={"prompt": "x"})
    assert a.status_code == 201 and "generation_id" in a.json()
    assert b.status_code == 200 and b.json()["success"] is True


def test_fixed_ports_follow_sorted_api_names():
    with MockServer(CORE, port=0) as probe:
        base = int(probe.origins["alpha"].rsplit(":", 1)[1])
    try:
        with MockServer(CORE, port=base) as fixed:
            assert fixed.origins == {
                "alpha": f"http://127.0.0.1:{base}",
                "beta": f"http://127.0.0.1:{base + 1}",
            }
    except Exception as exc:  # the port may have been taken in between; that is not what we test
        pytest.skip(f"port {base} busy: {exc}")


def test_answers_as_soon_as_start_returns():
    # How fast it starts is measured by bench/mock_vs_prism.py, not asserted here.
    with MockServer(CORE) as server:
        assert requests.get(server.base_urls["alpha"] + "/health").status_code == 200


# jobs -------------------------------------------------------------------------------------------


def test_job_advances_one_phase_per_poll_and_last_repeats(mock):
    created = requests.post(
        alpha(mock, "/generate"), json={"model": "slow", "prompt": "x"}, headers=AUTH
    ).json()
    gid = created["generation_id"]
    assert gid != "0000" and created["model"] == "slow"  # fresh id, echoed model
    states = [
        requests.get(alpha(mock, "/generate"), params={"generation_id": gid}, headers=AUTH).json()
        for _ in range(4)
    ]
    assert [s["status"] for s in states] == ["queued", "generating", "completed", "completed"]
    assert all(s["id"] == gid for s in states)
    video = states[-1]["video"]["url"]
    assert video.startswith(mock.origins["alpha"] + "/")
    assert requests.get(video).content[4:8] == b"ftyp"


def test_polls_per_phase_setting():
    with MockServer(CORE, settings=MockSettings(polls_per_phase=2)) as server:
        base = server.base_urls["alpha"]
        gid = requests.post(base + "/generate", json={"model": "fast", "prompt": "x"}, headers=AUTH).json()[
            "generation_id"
        ]
        seen = [
            requests.get(base + "/generate", params={"generation_id": gid}, headers=AUTH).json()["status"]
            for _ in range(5)
        ]
        assert seen == ["queued", "queued", "generating", "generating", "completed"]


def test_time_based_phases():
    with MockServer(CORE, settings=MockSettings(phase_seconds=1.0)) as server:
        base = server.base_urls["alpha"]
        gid = requests.post(base + "/generate", json={"model": "fast", "prompt": "x"}, headers=AUTH).json()[
            "generation_id"
        ]
        first = requests.get(base + "/generate", params={"generation_id": gid}, headers=AUTH).json()["status"]
        time.sleep(2.2)
        later = requests.get(base + "/generate", params={"generation_id": gid}, headers=AUTH).json()["status"]
        assert (first, later) == ("queued", "completed")


def test_unknown_job_is_404_problem(mock):
    r = requests.get(alpha(mock, "/generate"), params={"generation_id": "nope"}, headers=AUTH)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "nope" in r.json()["detail"]


def test_fifty_concurrent_clients_never_cross_jobs():
    settings = MockSettings(stream_interval=0)
    with MockServer(CORE, settings=settings, keys=[f"k{i}" for i in range(50)]) as server:
        base = server.base_urls["alpha"]
        barrier = threading.Barrier(50)

        def client(i: int) -> list[str]:
            headers = {"Authorization": f"Bearer k{i}"}
            with httpx.Client(headers=headers, timeout=10) as http:
                barrier.wait()
                gid = http.post(base + "/generate", json={"model": "fast", "prompt": f"p{i}"}).json()[
                    "generation_id"
                ]
                out = [gid]
                for _ in range(3):
                    body = http.get(base + "/generate", params={"generation_id": gid}).json()
                    out.append(body["id"] + ":" + body["status"])
                return out

        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(client, range(50)))
    ids = [r[0] for r in results]
    assert len(set(ids)) == 50
    for gid, *polls in results:
        assert polls == [f"{gid}:queued", f"{gid}:generating", f"{gid}:completed"]


# streams ----------------------------------------------------------------------------------------


def sse_events(text: str) -> list[dict]:
    assert text.endswith("\n\n")
    return [json.loads(chunk.removeprefix("data: ")) for chunk in text.strip().split("\n\n")]


def test_stream_is_finite_and_ends_with_a_media_url(mock):
    r = requests.post(alpha(mock, "/stream"), json={"model": "fast"}, headers=AUTH, timeout=5)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert events[0] == {"status": "started"}
    assert events[-1]["status"] == "Completed"
    url = events[-1]["url"]
    assert url.startswith(mock.origins["alpha"])
    assert requests.get(url).content[:3] == b"ID3"


def test_stream_interval_and_disconnect_frees_it():
    # Generous bounds: this must hold on a loaded 2-core CI machine, and the stream would need 9 s.
    with MockServer(CORE, settings=MockSettings(stream_interval=1.0)) as server:
        began = time.perf_counter()
        with httpx.Client(timeout=5) as http:
            with http.stream(
                "POST", server.base_urls["alpha"] + "/stream", json={"model": "slow"}, headers=AUTH
            ) as r:
                first = next(r.iter_lines())
                assert first.startswith("data: ")
                seen = time.monotonic() + 3
                while server.active_streams != 1 and time.monotonic() < seen:
                    time.sleep(0.01)  # the counter lives on the server's thread
                assert server.active_streams == 1
        deadline = time.monotonic() + 4
        while server.active_streams and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.active_streams == 0
        assert time.perf_counter() - began < 6.0  # well before the 9 events x 1 s would have ended


# validation and errors -------------------------------------------------------------------------


def test_validation_lists_every_violation_as_problem_json(mock):
    r = requests.post(alpha(mock, "/generate"), json={"model": "huge", "steps": 0, "extra": 1}, headers=AUTH)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["title"].startswith("Unprocessable")
    locations = sorted(e["location"] for e in problem["errors"])
    assert locations == ["body", "body/model", "body/prompt", "body/steps"]
    assert "Traceback" not in r.text


def test_params_are_coerced_and_validated(mock):
    ok = requests.get(
        alpha(mock, "/items/5"),
        params={"limit": "10", "tags": ["a", "b"]},
        headers={**AUTH, "X-Trace": "t-1"},
    )
    assert ok.status_code == 200, ok.text
    bad = requests.get(
        alpha(mock, "/items/0"), params={"limit": "many", "tags": ["c"]}, headers={**AUTH, "X-Trace": "nope"}
    )
    assert bad.status_code == 422
    assert sorted(e["location"] for e in bad.json()["errors"]) == [
        "header/x-trace",
        "path/item_id",
        "query/limit",
        "query/tags/0",
    ]


def test_literal_path_wins_over_template(mock):
    r = requests.get(alpha(mock, "/items/latest"), headers=AUTH)
    assert r.status_code == 200 and r.json()["name"] == "latest"


def test_unknown_path_404_and_wrong_method_405_with_allow(mock):
    r = requests.get(alpha(mock, "/nowhere"), headers=AUTH)
    assert r.status_code == 404 and r.json()["title"] == "Not Found"
    r = requests.delete(alpha(mock, "/generate"), headers=AUTH)
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"


def test_missing_or_wrong_key_is_401(mock):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": DEFAULT_KEY}):
        r = requests.post(alpha(mock, "/generate"), json={"model": "fast", "prompt": "x"}, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert requests.get(alpha(mock, "/health")).text == "ok"  # security: [] stays open


def test_custom_keys():
    with MockServer(CORE, keys=["one", "two"]) as server:
        url = server.base_urls["alpha"] + "/items/latest"
        assert requests.get(url, headers={"Authorization": "Bearer two"}).status_code == 200
        assert requests.get(url, headers=AUTH).status_code == 401


def test_wrong_content_type_is_415(mock):
    r = requests.post(
        alpha(mock, "/generate"), data="model=fast", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert r.status_code == 415 and "application/json" in r.json()["detail"]


def test_invalid_json_is_400_without_trace(mock):
    r = requests.post(
        alpha(mock, "/generate"), data=b'{"model": ', headers={**AUTH, "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert "not valid JSON" in r.json()["detail"] and "Traceback" not in r.text


def test_body_over_limit_is_413_before_parsing():
    with MockServer(CORE, settings=MockSettings(max_body=1000)) as server:
        url = server.base_urls["beta"] + "/generate"
        r = requests.post(url, data=b"{" * 5000, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json() == {"error": r.json()["error"], "code": 413}

        def chunks():  # no Content-Length: the streamed counter must catch it
            for _ in range(10):
                yield b"x" * 500

        r = requests.post(url, data=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413


def test_api_error_shape_for_every_error(mock):
    r = requests.post(beta(mock, "/generate"), json={"seed": "x"})
    assert r.status_code == 400  # the operation declares 400
    body = r.json()
    assert set(body) == {"error", "code"} and body["code"] == 400
    assert "body/prompt" in body["error"] and "body/seed" in body["error"]
    assert requests.get(beta(mock, "/missing")).json()["code"] == 404
    assert (
        requests.post(beta(mock, "/generate"), json={"prompt": "p", "seed": None}).status_code == 200
    )  # nullable


def test_token_balance_runs_out_with_418(mock):
    url = alpha(mock, "/generate")
    statuses = [
        requests.post(url, json={"model": "fast", "prompt": "x"}, headers=AUTH).status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 418]  # balance 25, cost 10
    r = requests.post(url, json={"model": "slow", "prompt": "x"}, headers=AUTH)
    assert r.status_code == 418 and "balance is 5" in r.json()["detail"]


def test_rate_limit_headers_then_429_then_recovery():
    with MockServer(CORE, settings=MockSettings(rate_limit=3, rate_window=2.0)) as server:
        url = server.base_urls["alpha"] + "/items/latest"
        answers = [requests.get(url, headers=AUTH) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert answers[0].headers["ratelimit-limit"] == "3"
        assert 1 <= int(answers[-1].headers["retry-after"]) <= 2
        time.sleep(2.1)
        assert requests.get(url, headers=AUTH).status_code == 200
        # the override applies to APIs without x-mock rate-limit as well
        beta_url = server.base_urls["beta"] + "/generate"
        codes = [requests.post(beta_url, json={"prompt": "p"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]


def test_declared_rate_limit_headers_on_every_answer(mock):
    r = requests.get(alpha(mock, "/nowhere"), headers=AUTH)
    assert r.headers["ratelimit-limit"] == "1000" and int(r.headers["ratelimit-reset"]) <= 60


# bodies: multipart, forms, binary --------------------------------------------------------------


def test_multipart_upload_coerces_fields_and_checks_the_file(mock):
    url = beta(mock, "/upload")
    png = (Path(__file__).parents[1] / "snippetgen" / "media" / "sample.png").read_bytes()
    ok = requests.post(
        url,
        files={"image": ("a.png", png, "image/png")},
        data={"prompt": "p", "strength": "0.5", "seed": "3"},
    )
    assert ok.status_code == 200, ok.text
    entry = mock.requests()[-1]
    assert entry["operation"] == "beta:uploadImage"
    assert entry["body"] == {
        "fields": {"prompt": "p", "strength": 0.5, "seed": 3},
        "files": [{"field": "image", "filename": "a.png", "content_type": "image/png", "size": len(png)}],
    }
    bad = requests.post(
        url, files={"image": ("a.gif", b"G" * 2000, "image/gif")}, data={"strength": "2", "seed": "x"}
    )
    assert bad.status_code == 400
    message = bad.json()["error"]
    for piece in ("image/gif", "2000 bytes", "body/prompt", "body/strength", "body/seed"):
        assert piece in message
    missing = requests.post(url, data={"prompt": "p", "image": "not a file"}, files={"x": ("x", b"1")})
    assert missing.status_code == 400 and "expected a file part" in missing.json()["error"]


def test_malformed_multipart_is_400(mock):
    r = requests.post(
        beta(mock, "/upload"), data=b"--xx\r\nbroken", headers={"Content-Type": "multipart/form-data"}
    )
    assert r.status_code == 400 and "multipart" in r.json()["error"]


def test_urlencoded_form(mock):
    assert requests.post(beta(mock, "/form"), data={"count": "3", "flag": "true"}).status_code == 204
    r = requests.post(beta(mock, "/form"), data={"count": "9"})
    assert r.status_code == 400 and "body/count" in r.json()["error"]


def test_binary_response_is_a_real_wav(mock):
    r = requests.post(alpha(mock, "/tts"), json={"text": "hi"}, headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content[:4] == b"RIFF" and r.content[8:12] == b"WAVE"


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
    r = requests.get(mock.origins["beta"] + f"/any/where/file{ext}")
    assert r.status_code == 200 and MAGIC[ext](r.content) and len(r.content) < 4096


def test_media_urls_in_bodies_point_at_the_mock(mock):
    body = requests.post(beta(mock, "/generate"), json={"prompt": "x"}).json()
    origin = mock.origins["beta"]
    assert body["image_url"] == origin + "/images/generated_1.png"
    assert body["thumbs"] == [origin + "/t/1.JPG", "/relative/2.webp", "https://beta.example/not-media.txt"]
    assert requests.get(origin + body["thumbs"][1]).content[8:12] == b"WEBP"


# request log ------------------------------------------------------------------------------------


def test_request_log_in_process_over_http_and_to_a_file(tmp_path):
    log = tmp_path / "mock.jsonl"
    with MockServer(CORE, log_path=log) as server:
        requests.post(server.base_urls["alpha"] + "/generate", json={"model": "fast"}, headers=AUTH)
        requests.get(server.base_urls["beta"] + "/x")
        entries = server.requests()
        assert [(e["api"], e["method"], e["status"], e["operation"]) for e in entries] == [
            ("alpha", "POST", 422, "alpha:createJob"),
            ("beta", "GET", 404, None),
        ]
        assert entries[0]["body"] == {"model": "fast"}
        assert entries[0]["errors"] == [
            {"location": "body/prompt", "message": '"prompt" is a required property'}
        ]
        over_http = requests.get(
            server.origins["beta"] + "/__mock__/requests", params={"api": "alpha"}
        ).json()
        assert over_http == json.loads(json.dumps(entries[:1]))
        assert requests.delete(server.origins["alpha"] + "/__mock__/requests").status_code == 204
        assert server.requests() == []
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["status"] for line in lines] == [422, 404]
