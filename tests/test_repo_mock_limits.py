"""This repository's specs state their limits so the mock answers like the API: the 10 MB upload
cap of AiArt and the media API's image count."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from snippetgen.mock import Request, Responder, Response

SPECS = Path(__file__).parents[1] / "shared" / "openapi"


@pytest.fixture(scope="module")
def mock() -> Responder:
    return Responder.load(SPECS)


def answer(mock: Responder, request: Request) -> Response:
    response = mock.respond(request)
    return asyncio.run(response) if asyncio.iscoroutine(response) else response


def multipart(image: bytes, content_type: str = "image/png") -> tuple[dict[str, str], bytes]:
    boundary = "snippetgen-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na red fox\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return {
        "content-type": f"multipart/form-data; boundary={boundary}"
    }, head + image + f"\r\n--{boundary}--\r\n".encode()


@pytest.mark.parametrize("size, status", [(1024, 200), (10 * 1024 * 1024 + 1, 413)])
def test_aiart_uploads_are_capped_at_10_mb(mock: Responder, size: int, status: int) -> None:
    headers, body = multipart(b"\x89PNG\r\n\x1a\n" + b"0" * (size - 8))
    assert (
        answer(mock, Request("POST", "/api/img2img", api="aiart", headers=headers, body=body)).status
        == status
    )


def test_aiart_refuses_a_text_file_as_the_image(mock: Responder) -> None:
    headers, body = multipart(b"just some text\n", "text/plain")
    assert (
        answer(mock, Request("POST", "/api/img2img", api="aiart", headers=headers, body=body)).status == 415
    )


@pytest.mark.parametrize("count", [1, 2, 4])
def test_media_answers_as_many_images_as_asked(mock: Responder, count: int) -> None:
    headers = {
        "authorization": "Bearer mock-test-key",
        "x-api-key": "mock-test-key",
        "content-type": "application/json",
    }
    body = json.dumps({"prompt": "orchids", "num_images": count}).encode()
    reply = answer(mock, Request("POST", "/api/v1/images", api="media", headers=headers, body=body))
    images = reply.json()["data"]["images"]
    assert reply.status == 200 and len(images) == count
    assert len({image["url"] for image in images}) == count  # each its own result URL
