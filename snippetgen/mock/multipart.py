"""``multipart/form-data`` bodies split into parts with python-multipart, in memory, no web framework.

Field parts keep their text; file parts (those with a ``filename``) keep only what the mock checks and
logs: file name, content type and size. Limits as a web framework would set them: 100 files, 1000
fields, 1 MiB per field.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Any

try:
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header
except ModuleNotFoundError:  # python-multipart before 0.0.13 installs as `multipart`
    from multipart.exceptions import FormParserError  # type: ignore[no-redef, import-untyped, unused-ignore]
    from multipart.multipart import (  # type: ignore[no-redef, import-untyped, unused-ignore]
        MultipartParser,
        parse_options_header,
    )

MAX_FILES = 100
MAX_FIELDS = 1000
MAX_FIELD_BYTES = 1024 * 1024


class MalformedMultipart(ValueError):
    """The body is not multipart data the mock can split (answered 400)."""


@dataclass
class Part:
    name: str
    filename: str | None = None
    """None for a field part; a file part's name as sent (possibly empty)."""
    content_type: str | None = None
    size: int = 0
    data: bytearray = field(default_factory=bytearray, repr=False)
    """A field part's bytes (file bytes are counted, not kept)."""
    charset: str = "utf-8"

    @property
    def text(self) -> str:
        return _decode(bytes(self.data), self.charset)


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """The parts of ``body`` in the order sent; MalformedMultipart when it cannot be split."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedMultipart("missing boundary in the Content-Type header")
    try:
        charset = codecs.lookup(params.get(b"charset", b"utf-8").decode("latin-1")).name
    except LookupError:
        charset = "latin-1"
    collector = _Collector(charset)
    try:
        parser = MultipartParser(boundary, collector.callbacks())
        parser.write(body)
        parser.finalize()
    except MalformedMultipart:
        raise
    except FormParserError as exc:
        raise MalformedMultipart(f"invalid multipart data ({exc})") from None
    except Exception as exc:  # whatever else the parser trips on is still the client's bad body
        raise MalformedMultipart(f"invalid multipart data ({type(exc).__name__}: {exc})") from None
    return collector.parts


class _Collector:
    """python-multipart callbacks that gather the parts."""

    def __init__(self, charset: str):
        self.charset = charset
        self.parts: list[Part] = []
        self.files = 0
        self.fields = 0
        self.part = Part("")
        self.header_name = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def on_part_begin(self) -> None:
        self.part = Part("", charset=self.charset)
        self.headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_name.lower()] = self.header_value
        self.header_name = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition"))
        if b"name" not in options:
            raise MalformedMultipart('a part has no "name" in its Content-Disposition header')
        self.part.name = _decode(options[b"name"], self.charset)
        if b"filename" in options:
            self.files += 1
            if self.files > MAX_FILES:
                raise MalformedMultipart(f"more than {MAX_FILES} files")
            self.part.filename = _decode(options[b"filename"], self.charset)
            ctype = self.headers.get(b"content-type")
            self.part.content_type = ctype.decode("latin-1") if ctype is not None else None
        else:
            self.fields += 1
            if self.fields > MAX_FIELDS:
                raise MalformedMultipart(f"more than {MAX_FIELDS} fields")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.part.size += end - start
        if self.part.filename is None:
            if self.part.size > MAX_FIELD_BYTES:
                raise MalformedMultipart(f"field {self.part.name!r} is over {MAX_FIELD_BYTES} bytes")
            self.part.data += data[start:end]

    def on_part_end(self) -> None:
        self.parts.append(self.part)


def _decode(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return raw.decode("latin-1")
