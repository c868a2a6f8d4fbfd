"""What a passing example must show: clean exit, only declared and valid requests, every declared
operation called, real result files, and the same requests as its sibling tabs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..languages import get_language

MAGIC: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".webp": (b"RIFF",),
    ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    ".wav": (b"RIFF",),
    ".mp4": (b"ftyp",),
    ".glb": (b"glTF",),
}


def has_magic(name: str, data: bytes) -> bool:
    """True when ``data`` starts like a file of ``name``'s extension (unknown extensions pass)."""
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in MAGIC:
        return True
    if ext == ".mp4":
        return data[4:8] == b"ftyp"
    if ext in (".webp", ".wav"):
        return data[:4] == b"RIFF" and data[8:12] == (b"WEBP" if ext == ".webp" else b"WAVE")
    return any(data.startswith(m) for m in MAGIC[ext])


def request_failures(
    requests: list[dict[str, Any]], declared: list[str], resolve: Callable[[str], str | None]
) -> list[str]:
    """Failures of the mock's request log against the operations a snippet declares.

    ``resolve`` maps a declared reference (``api:operationId`` or ``api:METHOD /path``) to the
    canonical ``api:operationId``.
    """
    failures = []
    wanted = {resolve(ref) or ref for ref in declared}
    called = set()
    for req in requests:
        where = f"{req.get('method')} {req.get('path')}"
        op = req.get("operation")
        if req.get("media"):
            failures += [f"{where}: {problem}" for problem in req.get("api_errors") or []]
            continue  # downloading a result file the mock serves is part of the example, not an operation
        if req.get("skipped"):
            # the mock could not build this operation (or its document): say why, once per request
            failures.append(f"{where}: the mock does not serve {op or 'this API'}: {req['skipped']}")
            if op is not None:
                called.add(op)
            continue
        if op is None:
            failures.append(f"{where} matched no operation of the specs (answered {req.get('status')})")
            continue
        called.add(op)
        if declared and op not in wanted:
            failures.append(f"{where} called {op}, which config.json does not declare in operations")
        for error in req.get("errors") or []:
            failures.append(
                f"{where} ({op}) failed validation: {error.get('location')}: {error.get('message')}"
            )
        for problem in req.get("api_errors") or []:
            # a live run: the real API's answer is not what the spec declares (or refused a valid call)
            failures.append(f"{where} ({op}): {problem}")
        for problem in req.get("reply_errors") or []:
            # the reply is not what the spec declares: a green here would be false
            failures.append(
                f"{where} ({op}): the mock answered {req.get('status')} with {problem} "
                "(a mock bug or a spec whose example contradicts its schema, not the example's fault)"
            )
    for op in sorted(wanted - called):
        failures.append(f"declared operation {op} was never called")
    return failures


def normalise(req: dict[str, Any]) -> tuple[str, str]:
    """A request as (operation, canonical body text) for comparing tabs of one usage."""
    body = req.get("body")
    if isinstance(body, dict) and "files" in body and "fields" in body:
        body = {
            "fields": {k: str(v) for k, v in sorted(body["fields"].items())},
            "files": sorted((f.get("field"), f.get("content_type")) for f in body["files"]),
        }
    return str(req.get("operation")), json.dumps(_numbers(body), sort_keys=True, default=str)


def _numbers(value: Any) -> Any:
    """62.0 and 62 are the same JSON number (Python and JavaScript serialise them differently)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    return value


def tab_drift(outcome: Any, first: Any) -> list[str]:
    """Why a passing tab fails after all: it sent other requests than ``first``, the tab of the same
    usage it must agree with. [] when either did not pass or they are the same tab.

    Both are :class:`~snippetgen.runner.Outcome` values; ``snippetgen run`` and the pytest plugin
    compare their tabs with this.
    """
    if outcome is first or not (outcome.passed and first.passed):
        return []
    langs = (first.example.lang, outcome.example.lang)
    labels = {lang: get_language(lang).label for lang in langs}
    return drift({langs[0]: first.requests, langs[1]: outcome.requests}, labels)


def drift(per_lang: dict[str, list[dict[str, Any]]], labels: dict[str, str]) -> list[str]:
    """Differences between the requests the tabs of one usage sent, naming the field."""
    if len(per_lang) < 2:
        return []
    langs = list(per_lang)
    base_lang = langs[0]
    base = {normalise(r) for r in per_lang[base_lang] if r.get("operation")}
    failures = []
    for lang in langs[1:]:
        other = {normalise(r) for r in per_lang[lang] if r.get("operation")}
        if other == base:
            continue
        base_ops = {op for op, _ in base}
        other_ops = {op for op, _ in other}
        for op in sorted(base_ops ^ other_ops):
            who = labels[base_lang] if op in base_ops else labels[lang]
            failures.append(f"{op} is called only by the {who} tab")
        for op in sorted(base_ops & other_ops):
            a = [json.loads(b) for o, b in base if o == op]
            b = [json.loads(x) for o, x in other if o == op]
            if sorted(map(json.dumps, a)) == sorted(map(json.dumps, b)):
                continue
            for field in _differing_fields(a, b):
                failures.append(
                    f"{labels[lang]} tab sends a different {op} request than the {labels[base_lang]} "
                    f"tab: field {field!r} differs"
                )
    return failures


def _differing_fields(a: list[Any], b: list[Any]) -> list[str]:
    def flat(bodies: list[Any]) -> dict[str, set[str]]:
        fields: dict[str, set[str]] = {}
        for body in bodies:
            if isinstance(body, dict):
                source = body.get("fields", body) if set(body) == {"fields", "files"} else body
                for key, value in source.items():
                    fields.setdefault(key, set()).add(json.dumps(value, sort_keys=True))
                if set(body) == {"fields", "files"}:
                    fields.setdefault("(files)", set()).add(json.dumps(body["files"]))
            else:
                fields.setdefault("(body)", set()).add(json.dumps(body, sort_keys=True))
        return fields

    fa, fb = flat(a), flat(b)
    return sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k)) or ["(body)"]
