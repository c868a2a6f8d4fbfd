"""The mock serving the project's real specs (shared/openapi): each API's documented flows, driven
over HTTP the way the snippets drive them, plus the official OpenAI client and bad specs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
import yaml

from snippetgen.errors import SpecError
from snippetgen.mock import DEFAULT_KEY, MockServer, MockSettings, Request

SPECS = Path(__file__).parents[1] / "shared" / "openapi"
MEDIA = Path(__file__).parents[1] / "snippetgen" / "media"
AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}
REAL = {"aiart", "ainow", "media", "aimlapi"}

pytestmark = pytest.mark.skipif(
    not all((SPECS / f"{name}.yaml").exists() for name in REAL), reason="shared/openapi specs not written yet"
)


@pytest.fixture(scope="module")
def mock():
    with MockServer(SPECS, settings=MockSettings(stream_interval=0)) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(mock):
    mock.reset()


def test_serves_every_spec_with_its_base_path(mock):
    assert REAL <= set(mock.apis)
    assert mock.base_urls["media"] == mock.origins["media"] + "/api/v1"
    assert len(set(mock.origins.values())) == len(mock.apis)


# aiart: JSON, multipart, 202/200 polling with relative URLs, retry on 429 ------------------------


def test_aiart_generate_returns_a_real_png(mock):
    base = mock.base_urls["aiart"]
    r = requests.post(
        base + "/api/generate", json={"video_description": "a red fox", "style_preset": "anime"}
    )
    assert r.status_code == 200 and r.json()["success"] is True
    image = requests.get(r.json()["image_url"])
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    bad = requests.post(base + "/api/generate", json={"prompt": "wrong field"})
    assert (
        bad.status_code == 400 and set(bad.json()) == {"error"} and "video_description" in bad.json()["error"]
    )


def test_aiart_img2img_multipart_as_python_requests_sends_it(mock):
    base = mock.base_urls["aiart"]
    jpg = (MEDIA / "sample.jpg").read_bytes()
    r = requests.post(
        base + "/api/img2img",
        files={"image": ("image.jpg", jpg, "image/jpeg")},
        data={"prompt": "watercolor", "strength": "0.8", "seed": "0"},
    )
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["seed"], int)
    missing = requests.post(base + "/api/img2img", data={"prompt": "no image"})
    assert missing.status_code in (400, 415)


def test_aiart_img2video_polls_202_then_200_and_the_relative_url_resolves(mock):
    base = mock.base_urls["aiart"]
    png = (MEDIA / "sample.png").read_bytes()
    job = requests.post(base + "/api/img2video", files={"image": ("in.png", png, "image/png")}).json()
    seen = []
    for _ in range(10):
        r = requests.get(f"{base}/api/img2video/result/{job['id']}")
        seen.append(r.status_code)
        if r.status_code == 200:
            break
    assert seen == [202, 200]
    video_url = r.json()["video_url"]
    assert video_url.startswith("/")
    assert requests.get(base + video_url).content[4:8] == b"ftyp"
    unknown = requests.get(base + "/api/img2video/result/feedface")
    assert unknown.status_code == 404 and "error" in unknown.json()


def test_aiart_retry_with_backoff_really_recovers():
    """The documented generate_image_with_retry loop: 429 + Retry-After, sleep, then success."""
    with MockServer(SPECS, settings=MockSettings(rate_limit=2, rate_window=0.6)) as server:
        url = server.base_urls["aiart"] + "/api/generate"
        statuses = []
        for _ in range(6):
            r = requests.post(url, json={"video_description": "x"})
            statuses.append(r.status_code)
            if r.status_code == 429:
                wait = int(r.headers["Retry-After"])
                assert wait == 1
                time.sleep(0.65)  # shorter than Retry-After to keep the test quick; the window is 0.6 s
        assert statuses[:3] == [200, 200, 429] and statuses[3] == 200


# ainow: SSE stream, tokens, 418 ----------------------------------------------------------------


def test_ainow_stream_ends_with_completed_and_a_downloadable_file(mock):
    base = mock.base_urls["ainow"]
    for model, magic in (("suno", lambda b: b[:3] == b"ID3"), ("pika", lambda b: b[4:8] == b"ftyp")):
        r = requests.post(
            base + "/api/generate", json={"model": model, "prompt": "p", "style": "4"}, headers=AUTH
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]
        assert events[-1]["status"] == "Completed"
        assert magic(requests.get(events[-1]["url"]).content)


def test_ainow_ping_needs_the_key(mock):
    base = mock.base_urls["ainow"]
    assert requests.get(base + "/api/ping", headers=AUTH).text.strip() == "pong"
    r = requests.get(base + "/api/ping")
    assert r.status_code == 401 and r.json()["status"] == "Error"


def test_ainow_tokens_run_out_with_418(mock):
    base = mock.base_urls["ainow"]
    codes = [
        requests.post(base + "/api/generate", json={"model": "run", "prompt": "p"}, headers=AUTH).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 418]  # balance 100, run costs 30
    r = requests.post(base + "/api/generate", json={"model": "run", "prompt": "p"}, headers=AUTH)
    assert r.json()["status"] == "Error" and "insufficient" in r.json()["message"]
    # another key has its own balance
    with MockServer(SPECS, keys=["a", "b"], settings=MockSettings(stream_interval=0)) as server:
        url = server.base_urls["ainow"] + "/api/generate"
        for key in ("a", "b"):
            assert (
                requests.post(
                    url, json={"model": "run", "prompt": "p"}, headers={"Authorization": f"Bearer {key}"}
                ).status_code
                == 200
            )


# media: rate-limit headers, remaining points, 3D model ------------------------------------------


def test_media_images_carry_rate_limit_headers_and_real_files(mock):
    base = mock.base_urls["media"]
    r = requests.post(base + "/images", json={"prompt": "p", "output_format": "webp"}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["X-RateLimit-Limit"] == "100"
    assert int(r.headers["X-RateLimit-Remaining"]) < 100
    assert int(r.headers["X-RateLimit-Reset"]) > time.time()
    image = r.json()["data"]["images"][0]["url"]
    assert requests.get(image).content[8:12] == b"WEBP"


def test_media_remaining_points_decrease(tmp_path):
    """With `accounts` (cost 1 per call, reported at /data/remaining_points) the points go down per call.
    The accounts are merged into a copy of media.yaml in case the spec does not declare them yet."""
    doc = yaml.safe_load((SPECS / "media.yaml").read_text())
    doc.setdefault("x-mock", {}).setdefault(
        "accounts", {"balance": 100, "cost": 1, "report": "/data/remaining_points"}
    )
    (tmp_path / "media.yaml").write_text(yaml.safe_dump(doc))
    with MockServer(tmp_path) as server:
        base = server.base_urls["media"]
        points = [
            requests.post(base + "/images", json={"prompt": "p"}, headers=AUTH).json()["data"][
                "remaining_points"
            ]
            for _ in range(3)
        ]
    assert points[0] > points[1] > points[2]


def test_media_3d_model_is_a_glb(mock):
    base = mock.base_urls["media"]
    r = requests.post(base + "/models3d", json={"image_url": "https://example.com/in.png"}, headers=AUTH)
    assert r.status_code == 200, r.text
    glb = requests.get(r.json()["data"]["model"]["url"]).content
    assert glb[:4] == b"glTF"


# aimlapi: official OpenAI client, video jobs, binary speech --------------------------------------


def test_openai_client_chat_embeddings_images(mock):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key=DEFAULT_KEY, base_url=mock.base_urls["aimlapi"] + "/v1", max_retries=0)
    chat = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "sky?"}],
    )
    assert isinstance(chat.choices[0].message.content, str) and chat.choices[0].message.content
    emb = client.embeddings.create(model="text-embedding-3-small", input="Your text string goes here")
    assert emb.data and isinstance(emb.data[0].embedding[0], float)
    img = client.images.generate(model="flux/schnell", prompt="A jellyfish in the ocean")
    images = img.data or img.model_extra["images"]  # the gateway answers `images[]`, not OpenAI's `data[]`
    url = images[0].url if hasattr(images[0], "url") else images[0]["url"]
    assert (
        requests.get(url).content[:4] in (b"\x89PNG", b"RIFF")
        or requests.get(url).content[:3] == b"\xff\xd8\xff"
    )
    bad = openai.OpenAI(api_key="wrong", base_url=mock.base_urls["aimlapi"] + "/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])


def test_aimlapi_video_job_completes(mock):
    base = mock.base_urls["aimlapi"] + "/v2/generate/video/kling/generation"
    created = requests.post(
        base,
        json={
            "model": "kling-video/v1/standard/text-to-video",
            "prompt": "DJ",
            "ratio": "16:9",
            "duration": "5",
        },
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    gid = created.json()["generation_id"]
    statuses = [requests.get(base, params={"generation_id": gid}, headers=AUTH).json() for _ in range(3)]
    assert [s["status"] for s in statuses][-1] == "completed"
    assert requests.get(statuses[-1]["video"]["url"]).content[4:8] == b"ftyp"
    assert requests.get(base, params={"generation_id": "nope"}, headers=AUTH).status_code == 404


def test_aimlapi_tts_answers_real_audio(mock):
    r = requests.post(
        mock.base_urls["aimlapi"] + "/v1/tts",
        json={"model": "#g1_aura-asteria-en", "text": "Hi!"},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    assert r.content[:4] == b"RIFF"


# bad specs --------------------------------------------------------------------------------------

BAD = {
    "yaml": ("paths:\n  /x:\n    get: {responses: {200: {description: ok}}\n", "YAML syntax error"),
    "notopenapi": ("- just\n- a list\n", "not an OpenAPI document"),
    "xmock": (
        "paths:\n  /x:\n    get:\n      responses: {'200': {description: ok}}\n"
        "      x-mock:\n        job-creat: {id: /id}\n",
        "unknown x-mock key 'job-creat'",
    ),
    "poll": (
        "paths:\n  /x:\n    get:\n      operationId: poll\n      responses: {'200': {description: ok}}\n"
        "      x-mock:\n        job-poll: {of: [nothing], id: 'query:id', phases: [{status: 200}]}\n",
        "unknown operationId 'nothing'",
    ),
    "ref": (
        "paths:\n  /x:\n    get:\n      responses: {'200': {$ref: '#/components/responses/Missing'}}\n",
        "does not resolve: no 'components' under '#'",
    ),
    "schema": (
        "paths:\n  /x:\n    post:\n      requestBody: {content: {application/json: {schema: {type: wrong}}}}\n"
        "      responses: {'200': {description: ok}}\n",
        "invalid schema",
    ),
    "media": (
        "paths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n"
        "          content: {undefined: {schema: {type: string}}}\n",
        "invalid media type",
    ),
}


DOCUMENT_LEVEL = {"yaml", "notopenapi", "swagger2"}
BAD["swagger2"] = (
    "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
    "Swagger 2.0 is not supported",
)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_specs_are_refused_or_skipped_with_a_line(tmp_path, case):
    """A document the mock cannot read at all is a SpecError (it is the only one here); an
    operation it cannot serve is skipped: reported once with its line, answered 501 naming why."""
    text, message = BAD[case]
    (tmp_path / f"{case}.yaml").write_text(text)
    if case in DOCUMENT_LEVEL:
        with pytest.raises(SpecError) as info:
            MockServer(tmp_path)
        assert message in info.value.message
        assert info.value.location is not None and info.value.location.path.endswith(f"{case}.yaml")
        if case not in ("notopenapi",):
            assert info.value.location.line > 0
        return
    mock = MockServer(tmp_path)
    [line] = mock.skipped
    assert f"{case}.yaml:" in line and message in line and "is not served (answers 501)" in line
    assert int(line.split(f"{case}.yaml:")[1].split(":")[0]) > 0
    method = "POST" if "post:" in text else "GET"
    answer = mock.responder.respond(Request(method, "/x", api=case, headers=AUTH))
    assert answer.status == 501 and message in answer.json()["detail"]
    [entry] = mock.requests()
    assert message in entry["skipped"] and entry["operation"] is not None


def test_a_document_the_mock_cannot_read_does_not_stop_the_others(tmp_path):
    (tmp_path / "good.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n"
        "      responses: {'200': {description: ok, content: {application/json: {example: {ok: true}}}}}\n"
    )
    (tmp_path / "old.yaml").write_text(BAD["swagger2"][0])
    (tmp_path / "hooks.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nwebhooks:\n  ping:\n    post:\n"
        "      responses: {'200': {description: ok}}\n"
    )
    mock = MockServer(tmp_path)
    assert mock.apis == ["good", "hooks", "old"]
    [line] = mock.skipped
    assert line.startswith(str(tmp_path / "old.yaml") + ":1: ") or "old.yaml:1: " in line
    assert "Swagger 2.0 is not supported" in line
    respond = mock.responder.respond
    assert respond(Request("GET", "/x", api="good")).json() == {"ok": True}
    refused = respond(Request("GET", "/anything", api="old"))
    assert refused.status == 501 and "Swagger 2.0" in refused.json()["detail"]
    assert respond(Request("POST", "/ping", api="hooks")).status == 404  # webhooks are not served paths


def test_empty_directory_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="no OpenAPI document"):
        MockServer(tmp_path)


def test_media_projects_pagination_follows_the_requested_page(tmp_path):
    """x-mock.paginate: has_more turns false on the last page, so a "loop until done" example ends."""
    import requests

    from snippetgen.mock import DEFAULT_KEY, MockServer

    with MockServer(Path(__file__).resolve().parent.parent / "shared" / "openapi") as mock:
        url = mock.base_urls["media"] + "/projects"
        auth = {"Authorization": f"Bearer {DEFAULT_KEY}"}
        seen = []
        page = 1
        while True:
            answer = requests.get(url, params={"page": page, "limit": 10}, headers=auth, timeout=5).json()
            pagination = answer["data"]["pagination"]
            seen.append((pagination["page"], pagination["has_more"]))
            if not pagination["has_more"]:
                break
            page += 1
        assert seen == [(1, True), (2, True), (3, True), (4, False)]
        assert pagination["pages"] == 4 and pagination["total"] == 37 and pagination["limit"] == 10
