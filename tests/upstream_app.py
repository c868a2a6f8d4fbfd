"""A stand-in for the real AI/ML API's Kling video endpoints, for live contract runs on loopback.

Written from what the API's documentation says, not from snippetgen's mock: ``POST
/v2/generate/video/kling/generation`` with ``Authorization: Bearer <key>`` and a JSON body
(``model``, ``prompt``, optional ``image_url``, ``ratio``, ``duration``) answers 201
``{"generation_id": ...}``; ``GET`` on the same path with ``?generation_id=`` answers the job
(``{"id", "status", "video": {"url", ...}}``), and the video is a public file on another host (here
``localhost`` instead of ``127.0.0.1``) fetched without the key.

``drift`` makes it behave like an API that moved away from its spec:

- ``"missing-field"``: a finished job has no ``video.url`` (the file is in ``video.file_url``);
- ``"required-param"``: a new required body field ``resolution`` (400 without it);
- ``"undeclared-status"``: a created job answers 202 instead of 201;
- ``"rate-limit"``: the first create call answers 429 with ``Retry-After: 1``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MODELS = ("kling-video/v1/standard/text-to-video", "kling-video/v1/standard/image-to-video")
RATIOS = ("16:9", "9:16", "1:1")
DURATIONS = ("5", "10")
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
DRIFTS = ("missing-field", "required-param", "undeclared-status", "rate-limit")


class Upstream:
    """The stand-in API served by uvicorn in a thread on a free loopback port."""

    def __init__(self, key: str):
        self.key = key
        self.drift: str | None = None
        self.calls: list[dict[str, Any]] = []
        """One entry per request: method, path, query, and whether it carried an Authorization."""
        self.jobs: dict[str, int] = {}
        self._limited = False
        self.app = Starlette(
            routes=[
                Route("/v2/generate/video/kling/generation", self.create, methods=["POST"]),
                Route("/v2/generate/video/kling/generation", self.fetch, methods=["GET"]),
                Route("/files/{name}", self.file, methods=["GET"]),
                Route("/{rest:path}", self.unknown, methods=["GET", "POST"]),
            ]
        )
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.files_origin = f"http://localhost:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ------------------------------------------------------------------------------------
    def start(self) -> Upstream:
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = server = uvicorn.Server(config)
        self._sock.listen(64)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[self._sock])), daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the stand-in API did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._sock.close()

    def reset(self, drift: str | None = None) -> None:
        assert drift is None or drift in DRIFTS, drift
        self.drift = drift
        self.calls.clear()
        self.jobs.clear()
        self._limited = False

    # endpoints ------------------------------------------------------------------------------------
    def _log(self, request: Request) -> None:
        self.calls.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "authorization": "authorization" in request.headers,
            }
        )

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return JSONResponse({"message": "Invalid API key", "error": "unauthorized"}, 401)
        return None

    async def create(self, request: Request) -> Response:
        self._log(request)
        denied = self._denied(request)
        if denied is not None:
            return denied
        if self.drift == "rate-limit" and not self._limited:
            self._limited = True
            return JSONResponse({"message": "Too many requests"}, 429, headers={"Retry-After": "1"})
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"message": "Body must be JSON", "error": "bad_request"}, 400)
        problem = self._body_problem(body)
        if problem:
            return JSONResponse({"message": problem, "error": "bad_request"}, 400)
        job = str(uuid.uuid4())
        self.jobs[job] = 0
        return JSONResponse({"generation_id": job}, 202 if self.drift == "undeclared-status" else 201)

    def _body_problem(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "Body must be a JSON object"
        if body.get("model") not in MODELS:
            return f"model must be one of: {', '.join(MODELS)}"
        if not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return "prompt is required"
        if body["model"].endswith("image-to-video") and not body.get("image_url"):
            return "image_url is required for image-to-video"
        if body.get("ratio", "16:9") not in RATIOS or body.get("duration", "5") not in DURATIONS:
            return "ratio or duration is not supported"
        if self.drift == "required-param" and "resolution" not in body:
            return "resolution is required (720p or 1080p)"
        return None

    async def fetch(self, request: Request) -> Response:
        self._log(request)
        denied = self._denied(request)
        if denied is not None:
            return denied
        job = request.query_params.get("generation_id")
        if not job:
            return JSONResponse({"message": "generation_id is required", "error": "bad_request"}, 400)
        if job not in self.jobs:
            return JSONResponse({"message": f"No generation {job}", "error": "not_found"}, 404)
        self.jobs[job] += 1
        url = f"{self.files_origin}/files/{job}.mp4"
        video: dict[str, Any] = {"url": url, "content_type": "video/mp4", "file_size": len(MP4)}
        if self.drift == "missing-field":
            video = {"file_url": url, "content_type": "video/mp4"}
        return JSONResponse({"id": job, "status": "completed", "video": video})

    async def unknown(self, request: Request) -> Response:
        self._log(request)
        return JSONResponse({"message": "Not found", "error": "not_found"}, 404)

    async def file(self, request: Request) -> Response:
        self._log(request)
        name = request.path_params["name"]
        if not name.endswith(".mp4") or name[: -len(".mp4")] not in self.jobs:
            return Response(b"not found", 404, media_type="text/plain")
        return Response(MP4, 200, media_type="video/mp4")
