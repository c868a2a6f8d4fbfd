"""Small valid media files (``snippetgen/media/sample.*``) and the rewriting of media URLs onto the mock."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MEDIA_DIR = Path(__file__).resolve().parent.parent / "media"

TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".glb": "model/gltf-binary",
}
_BY_TYPE = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "video/mp4": ".mp4",
    "model/gltf-binary": ".glb",
}


def extension(path: str) -> str | None:
    """The media extension a URL path ends in (lower case), or None."""
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return None
    ext = path[dot:].lower()
    return ext if ext in TYPES else None


@cache
def data(ext: str) -> bytes:
    name = "sample.jpg" if ext == ".jpeg" else f"sample{ext}"
    return (MEDIA_DIR / name).read_bytes()


def for_content_type(content_type: str) -> tuple[bytes, str] | None:
    """A file for a binary response's declared type; ``audio/*`` -> wav, ``image/*`` -> png, ``video/*`` -> mp4."""
    base = content_type.split(";")[0].strip().lower()
    ext = _BY_TYPE.get(base)
    if ext is None:
        family = base.split("/")[0]
        ext = {"audio": ".wav", "image": ".png", "video": ".mp4"}.get(family)
    if ext is None:
        return None
    return data(ext), TYPES[ext]


def rewrite(value: Any, origin: str) -> Any:
    """A copy of ``value`` where every absolute media URL (http/https) points at ``origin`` instead
    (same path and query); relative media URLs already resolve on the mock and stay as they are."""
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            try:
                parts = urlsplit(value)
            except ValueError:
                return value
            if extension(parts.path):
                return origin + parts.path + (f"?{parts.query}" if parts.query else "")
        return value
    if isinstance(value, dict):
        return {k: rewrite(v, origin) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite(v, origin) for v in value]
    return value


def distinct(value: Any, tag: str) -> Any:
    """A copy of ``value`` where every media URL (absolute, or a path from the root) gets the path
    segment ``tag`` before its file name, so two jobs, or two items of one answer, never share a
    result URL (the mock serves any path with a media extension, and the file name stays)."""
    if isinstance(value, str):
        absolute = value.startswith(("http://", "https://"))
        if not (absolute or value.startswith("/")):
            return value
        try:
            parts = urlsplit(value)
        except ValueError:
            return value
        if not extension(parts.path):
            return value
        head, _, name = parts.path.rpartition("/")
        path = f"{head}/{tag}/{name}"
        return (
            parts._replace(path=path).geturl()
            if absolute
            else path + (f"?{parts.query}" if parts.query else "")
        )
    if isinstance(value, dict):
        return {k: distinct(v, tag) for k, v in value.items()}
    if isinstance(value, list):
        return [distinct(v, tag) for v in value]
    return value
