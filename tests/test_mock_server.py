"""What only the served mock does, over real HTTP on ephemeral ports: one port per API, many clients
at once, SSE streaming and client disconnects, bodies read off the wire, the request log over HTTP
and in a file. Every behaviour behind the ports is tested without sockets in test_mock.py."""

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
def fresh(request):
    if "mock" in request.fixturenames:
        server = request.getfixturevalue("mock")
        server.reset()
        server.clear_log()


# ports and origins ------------------------------------------------------------------------------


def test_each_api_gets_its_own_origin_and_base_url(mock):
    assert mock.apis == ["alpha", "beta"]
    assert mock.origins["alpha"] != mock.origins["beta"]
    assert mock.base_urls["alpha"] == mock.origins["alpha"] + "/v2"
    assert mock.base_urls["beta"] == mock.origins["beta"]
    assert requests.get(mock.origins["alpha"] + "/__mock__/apis").json() == mock.origins


def test_overlapping_paths_are_told_apart_by_port(mock):
    a = requests.post(
        mock.base_urls["alpha"] + "/generate", json={"model": "fast", "prompt": "x"}, headers=AUTH
    )
    b = requests.post(mock.base_urls["beta"] + "/generate", json={"prompt": "x"})
    assert a.status_code == 201 and "generation_id" in a.json()
    assert b.status_code == 200 and b.json()["success"] is True
    assert [e["api"] for e in mock.requests()] == ["alpha", "beta"]


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


def test_media_urls_point_at_the_served_origin_and_resolve_there(mock):
    body = requests.post(mock.base_urls["beta"] + "/generate", json={"prompt": "x"}).json()
    assert body["image_url"] == mock.origins["beta"] + "/images/generated_1.png"
    image = requests.get(body["image_url"])
    assert image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
    assert image.headers["content-length"] == str(len(image.content))


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


def test_stream_over_http_is_sse_and_ends(mock):
    r = requests.post(mock.base_urls["alpha"] + "/stream", json={"model": "fast"}, headers=AUTH, timeout=5)
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
    assert "content-length" not in r.headers  # sent chunk by chunk
    assert r.text.endswith("\n\n")
    events = [json.loads(chunk.removeprefix("data: ")) for chunk in r.text.strip().split("\n\n")]
    assert events == [
        {"status": "started"},
        {"status": "Completed", "url": mock.origins["alpha"] + "/fast.mp3"},
    ]
    assert requests.get(events[-1]["url"]).content[:3] == b"ID3"
    assert mock.active_streams == 0


def test_stream_interval_and_disconnect_frees_it():
    # Generous bounds: this must hold on a loaded 2-core CI machine, and the stream would need 9 s.
    with MockServer(CORE, settings=MockSettings(stream_interval=1.0)) as server:
        began = time.perf_counter()
        with httpx.Client(timeout=5) as http:
            with http.stream(
                "POST", server.base_urls["alpha"] + "/stream", json={"model": "slow"}, headers=AUTH
            ) as r:
                lines = r.iter_lines()  # held: a dropped iterator makes httpx close the connection
                assert next(lines).startswith("data: ")
                seen = time.monotonic() + 3
                while server.active_streams != 1 and time.monotonic() < seen:
                    time.sleep(0.01)  # the counter lives on the server's thread
                assert server.active_streams == 1
        deadline = time.monotonic() + 4
        while server.active_streams and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.active_streams == 0
        assert time.perf_counter() - began < 6.0  # well before the 9 events x 1 s would have ended


# bodies off the wire ----------------------------------------------------------------------------


def test_body_over_limit_is_413_by_length_and_while_streamed_in():
    with MockServer(CORE, settings=MockSettings(max_body=1000)) as server:
        url = server.base_urls["beta"] + "/generate"
        r = requests.post(url, data=b"{" * 5000, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json() == {"error": r.json()["error"], "code": 413}

        def chunks():  # no Content-Length: the server stops reading past the limit
            for _ in range(10):
                yield b"x" * 500

        r = requests.post(url, data=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "the body is over the limit of 1000 bytes" in r.json()["error"]
        ok = requests.post(
            url, data=(c for c in [b'{"prompt": ', b'"p"}']), headers={"Content-Type": "application/json"}
        )
        assert ok.status_code == 200, ok.text


def test_multipart_upload_over_http(mock):
    png = (Path(__file__).parents[1] / "snippetgen" / "media" / "sample.png").read_bytes()
    r = requests.post(
        mock.base_urls["beta"] + "/upload", files={"image": ("a.png", png, "image/png")}, data={"prompt": "p"}
    )
    assert r.status_code == 200, r.text
    assert mock.requests()[-1]["body"]["files"][0]["size"] == len(png)


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
        assert server.requests("beta") == entries[1:]
        over_http = requests.get(
            server.origins["beta"] + "/__mock__/requests", params={"api": "alpha"}
        ).json()
        assert over_http == json.loads(json.dumps(entries[:1]))
        assert requests.delete(server.origins["alpha"] + "/__mock__/requests").status_code == 204
        assert server.requests() == []
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["status"] for line in lines] == [422, 404]
