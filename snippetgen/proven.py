"""Proven responses: what an example received from the mock, in a form a page can show.

The mock keeps a summary of each answer in its request log (:func:`summarize`): JSON parsed, an
event stream as its first ``data:`` lines, anything else described (``<binary: image/png, 12 KB>``);
long strings and arrays shortened, values of key-like fields masked. The runner's execution record
keeps, per example, the answers to the operations it called (:func:`record_responses`), and the
site shows them under the example while the record still matches the code on the page.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

MAX_STRING = 120
"""Characters of a string value kept; the rest is replaced by ``… (N more characters)``."""
MAX_ITEMS = 3
"""Items of an array kept; the rest is replaced by one ``"… N more items"`` entry."""
MAX_KEYS = 40
"""Keys of an object kept."""
MAX_DEPTH = 8
MAX_EVENTS = 6
"""``data:`` lines of an event stream kept."""
MAX_CALLS = 4
"""Answers an example's record row keeps (one per operation called, the last answer of each)."""
MAX_JSON_BYTES = 256 * 1024
"""A JSON answer larger than this is described, not parsed."""
MASK = "***"
_SECRET_NAME = re.compile(
    r"(?:^|[_-])(?:api[_-]?key|apikey|secret|password|passwd|token|access[_-]?token|authorization|"
    r"credential|private[_-]?key)s?$",
    re.I,
)
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[^,]*)?,", re.I)


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def binary(content_type: str, size: int) -> str:
    """``<binary: image/png, 12 KB>``."""
    kind = content_type.split(";")[0].strip() or "application/octet-stream"
    return f"<binary: {kind}, {size_text(size)}>"


def shorten(value: Any, depth: int = 0, name: str = "") -> Any:
    """``value`` (a JSON value) with long strings and arrays shortened and key-like fields masked."""
    if isinstance(value, str):
        if name and _SECRET_NAME.search(name) and value:
            return MASK
        data = _DATA_URL.match(value)
        if data and len(value) > MAX_STRING:
            return binary(data.group(1) or "application/octet-stream", len(value) - data.end())
        if len(value) > MAX_STRING:
            return f"{value[:MAX_STRING]}… ({len(value) - MAX_STRING} more characters)"
        return value
    if depth >= MAX_DEPTH and isinstance(value, dict | list):
        return "…"
    if isinstance(value, list):
        kept = [shorten(v, depth + 1, name) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            more = len(value) - MAX_ITEMS
            kept.append(f"… {more} more item{'s' if more > 1 else ''}")
        return kept
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index == MAX_KEYS:
                out["…"] = f"{len(value) - MAX_KEYS} more keys"
                break
            out[str(key)] = shorten(item, depth + 1, str(key))
        return out
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def summarize(content_type: str, body: bytes) -> dict[str, Any]:
    """One answer's body as the request log keeps it: ``{"content_type", "json"}`` for JSON,
    ``{"content_type", "text"}`` for short text, else ``{"content_type", "binary"}``."""
    kind = content_type.split(";")[0].strip().lower()
    summary: dict[str, Any] = {"content_type": kind}
    if not body:
        summary["empty"] = True
    elif (kind == "application/json" or kind.endswith("+json")) and len(body) <= MAX_JSON_BYTES:
        try:
            summary["json"] = shorten(json.loads(body))
        except (ValueError, RecursionError):
            summary["binary"] = binary(kind, len(body))
    elif kind.startswith("text/") and kind != "text/event-stream" and len(body) <= 4096:
        text = body.decode("utf-8", errors="replace")
        summary["text"] = shorten(text) if len(text) > MAX_STRING * 4 else text
    else:
        summary["binary"] = binary(kind, len(body))
    return summary


def add_events(summary: dict[str, Any], chunk: bytes) -> None:
    """Append the ``data:`` lines of a stream chunk to ``summary["events"]`` (at most
    :data:`MAX_EVENTS`; ``summary["more_events"]`` counts the rest), each with its JSON shortened."""
    events = summary.setdefault("events", [])
    for line in chunk.decode("utf-8", errors="replace").splitlines():
        if not line.startswith("data:"):
            continue
        if len(events) >= MAX_EVENTS:
            summary["more_events"] = summary.get("more_events", 0) + 1
            continue
        data = line[5:].strip()
        try:
            data = json.dumps(shorten(json.loads(data)), ensure_ascii=False)
        except (ValueError, RecursionError):
            data = shorten(data)
        events.append(f"data: {data}")


def record_responses(requests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers an execution record keeps for one example: per operation and status it got, in
    order of first answer, the last such answer (a poll's finished job; a 429 before the retry's
    200), with how many calls got it; at most :data:`MAX_CALLS`."""
    kept: dict[tuple[str, Any], dict[str, Any]] = {}
    order: dict[tuple[str, Any], int] = {}
    for req in requests:
        response = req.get("response")
        operation = req.get("operation")
        if not isinstance(response, dict) or not isinstance(operation, str):
            continue
        key = (operation, req.get("status"))
        previous = kept.get(key)
        order.setdefault(key, len(order))
        kept[key] = {
            "operation": operation,
            "method": req.get("method"),
            "path": req.get("path"),
            "status": req.get("status"),
            "valid": not req.get("reply_errors") and not req.get("errors"),
            "calls": (previous["calls"] if previous else 0) + 1,
            **response,
        }
    return [kept[key] for key in sorted(kept, key=order.__getitem__)][:MAX_CALLS]


def code_digest(code: str) -> str:
    """The digest tying a record row to the code a page shows (``code_sha256``)."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()
