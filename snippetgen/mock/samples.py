"""Response bodies: the spec's examples first, else a deterministic value built from the schema.

:func:`sample` builds a value that validates against its schema wherever it can: strings follow
their ``pattern`` (``^VA[0-9a-f]{32}$`` gives ``VA000...``) and ``format``, numbers their bounds,
arrays their ``minItems``, ``oneOf`` picks a branch the value matches alone (when a validator
factory is given). Past :data:`FULL_DEPTH` levels it writes only required properties, so a deep
schema still gives a small, valid value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from re import _constants as _c  # type: ignore[attr-defined]  # the standard library's regex parser
from re import _parser as _sre  # type: ignore[attr-defined]
from typing import Any

_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "iri": "https://example.com/resource",
    "uri-reference": "/resource",
    "iri-reference": "/resource",
    "uri-template": "/resource/{id}",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "json-pointer": "/resource",
    "relative-json-pointer": "0",
    "regex": ".*",
    "byte": "",
    "binary": "",
    "password": "secret",
}

BUDGET = 10_000
"""Values one sample may build. Resolved schemas are DAGs: a schema shared at each of 12 levels
stands for a tree far too large to write out. Past the budget, values are None."""
FULL_DEPTH = 8
"""Levels written with every property; deeper ones get their required properties only."""
MAX_DEPTH = 40

Validates = Callable[[Any, Any], bool]
"""``(schema, value) -> bool``: whether ``value`` is valid against an (OpenAPI) schema."""


def reply_body(media_type: dict[str, Any], name: str | None) -> Any:
    """The body for one response media type: the named example, else ``example``, else the first of
    ``examples``, else the schema's example, else a sample of the schema."""
    examples: dict[str, Any] = media_type["examples"] if isinstance(media_type.get("examples"), dict) else {}
    if name is not None and name in examples:
        return _example_value(examples[name])
    if "example" in media_type:
        return media_type["example"]
    if examples:
        return _example_value(next(iter(examples.values())))
    return sample(media_type.get("schema") or {})


def has_example(media_type: dict[str, Any]) -> bool:
    return "example" in media_type or bool(
        isinstance(media_type.get("examples"), dict) and media_type["examples"]
    )


def _example_value(example: Any) -> Any:
    return example.get("value") if isinstance(example, dict) and "value" in example else example


def sample(
    schema: Any,
    depth: int = 0,
    _left: list[int] | None = None,
    *,
    mode: str = "response",
    valid: Validates | None = None,
) -> Any:
    """A deterministic value for ``schema``: its example, const, default or first enum value, else
    one built from its type. ``mode="response"`` leaves out ``writeOnly`` properties, ``"request"``
    the ``readOnly`` ones. ``valid`` (optional) lets ``oneOf``/``anyOf`` and examples be checked."""
    return _Sampler(mode, valid, [BUDGET] if _left is None else _left).value(schema, depth)


class _Sampler:
    def __init__(self, mode: str, valid: Validates | None, left: list[int]):
        self.mode, self.valid, self.left = mode, valid, left
        self.hidden = "writeOnly" if mode == "response" else "readOnly"
        self.minimal = False  # required properties only (a retry when full values match no branch)

    def value(self, schema: Any, depth: int) -> Any:
        self.left[0] -= 1
        if schema is True:
            return "string"
        if not isinstance(schema, dict) or depth > MAX_DEPTH or self.left[0] < 0:
            return None
        if "const" in schema:
            return schema["const"]
        for key in ("example", "default"):
            if key in schema and self.ok(schema, schema[key]):
                return schema[key]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            if self.ok(schema, schema["examples"][0]):
                return schema["examples"][0]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
        if schema.get("allOf"):
            return self.all_of(schema, depth)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                return self.one_of(schema, key, options, depth)
        return self.typed(schema, depth)

    def ok(self, schema: Any, value: Any) -> bool:
        return self.valid is None or self.valid(schema, value)

    def all_of(self, schema: dict[str, Any], depth: int) -> Any:
        merged: dict[str, Any] = {}
        parts = [p for p in schema["allOf"] if _has_shape(p) or (isinstance(p, dict) and _has_value(p))]
        rest = {k: v for k, v in schema.items() if k not in ("allOf", "example", "default", "examples")}
        if _has_shape(rest):
            parts.append(rest)
        for sub in parts:
            value = self.value(sub, depth + 1)
            if isinstance(value, dict):
                own = _map(sub.get("properties"))
                # a part that only lists a property as required must not overwrite its value
                merged.update({k: v for k, v in value.items() if k not in merged or k in own})
            elif value is not None:
                return value
        return merged

    def one_of(self, schema: dict[str, Any], key: str, options: list[Any], depth: int) -> Any:
        rest = {k: v for k, v in schema.items() if k not in (key, "example", "default", "examples")}
        first: Any = None
        for i, option in enumerate(options):
            if isinstance(option, dict) and option.get("type") == "null" and len(options) > 1:
                continue  # a nullable written as oneOf: the other branch says more
            base = {**rest, **option} if isinstance(option, dict) and _has_shape(rest) else option
            value = self.value(base, depth + 1)
            if self.valid is None:
                return value
            if i == 0 or first is None:
                first = value
            if self.valid(schema, value):
                return value
        if not self.minimal and self.valid is not None:  # several branches at once: try each with less
            self.minimal = True
            try:
                for option in options:
                    base = {**rest, **option} if isinstance(option, dict) and _has_shape(rest) else option
                    value = self.value(base, depth + 1)
                    if self.valid(schema, value):
                        return value
            finally:
                self.minimal = False
        return first

    def typed(self, schema: dict[str, Any], depth: int) -> Any:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = (
                "object"
                if "properties" in schema or "additionalProperties" in schema or "required" in schema
                else "array"
                if "items" in schema
                else "string"
            )
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            items = schema.get("items")
            count = schema.get("minItems", 1 if depth < FULL_DEPTH else 0)
            count = max(0, int(count)) if isinstance(count, (int, float)) else 1
            if isinstance(schema.get("maxItems"), int):
                count = min(count, schema["maxItems"])
            prefix = _list(schema.get("prefixItems"))
            out = [self.value(p, depth + 1) for p in prefix]
            while len(out) < count:
                out.append(self.value(items if isinstance(items, dict) else {}, depth + 1))
            if schema.get("uniqueItems") and len(out) > 1:
                out = _unique(out)
            return out
        if kind in ("integer", "number"):
            return number(schema, kind)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return string(schema)

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = _map(schema.get("properties"))
        required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
        out: dict[str, Any] = {}
        for name, prop in props.items():
            if isinstance(prop, dict) and prop.get(self.hidden) and name not in required:
                continue
            if (depth >= FULL_DEPTH or self.minimal) and name not in required:
                continue
            out[name] = self.value(prop, depth + 1)
        extra = schema.get("additionalProperties")
        for name in sorted(required - set(out)):
            out[name] = self.value(extra if isinstance(extra, dict) else {}, depth + 1)
        low = schema.get("minProperties")
        if isinstance(low, int) and len(out) < low:
            for i in range(low - len(out)):
                out[f"key{i}"] = self.value(extra if isinstance(extra, dict) else {}, depth + 1)
        exclusive = schema.get("not", {}).get("required") if isinstance(schema.get("not"), dict) else None
        if isinstance(exclusive, list) and exclusive and all(k in out for k in exclusive):
            for name in reversed(exclusive):  # `not: {required: [a, b]}`: not both
                if name not in required:
                    del out[name]
                    break
        return out


def _has_shape(rest: Any) -> bool:
    return isinstance(rest, dict) and any(
        k in rest
        for k in (
            "properties",
            "required",
            "type",
            "items",
            "allOf",
            "oneOf",
            "anyOf",
            "additionalProperties",
        )
    )


def _has_value(schema: dict[str, Any]) -> bool:
    return any(k in schema for k in ("const", "enum", "example", "default", "examples", "format", "pattern"))


def _unique(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for i, v in enumerate(values):
        while v in out:
            v = f"{v}{i}" if isinstance(v, str) else v + 1 if isinstance(v, (int, float)) else v
            if v in out and not isinstance(v, (str, int, float)):
                break
        out.append(v)
    return out


def number(schema: dict[str, Any], kind: str) -> int | float:
    low, high = _bound(schema.get("minimum")), _bound(schema.get("maximum"))
    ex_low, ex_high = _bound(schema.get("exclusiveMinimum")), _bound(schema.get("exclusiveMaximum"))
    value: float = low if low is not None else 0
    step_up = 1 if kind == "integer" else 0.5
    if ex_low is not None:
        value = max(value, ex_low + step_up) if low is not None else ex_low + 1
    elif schema.get("exclusiveMinimum") is True and low is not None:  # OpenAPI 3.0 boolean form
        value = low + 1
    if high is not None and value > high:
        value = high
    if ex_high is not None and value >= ex_high:
        value = ex_high - 1
    elif schema.get("exclusiveMaximum") is True and high is not None and value >= high:
        value = high - 1
    step = _bound(schema.get("multipleOf"))
    if step is not None and step > 0 and value % step:
        value = (value // step + 1) * step
    return int(value) if kind == "integer" else value


def _bound(value: Any) -> float | None:
    return value if _is_num(value) else None  # an int stays an int


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def string(schema: dict[str, Any]) -> str:
    low = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
    high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
    pattern = schema.get("pattern")
    fmt = schema.get("format")
    if isinstance(pattern, str):
        found = from_pattern(pattern, low, high)
        if found is not None:
            return found
    text = _FORMATS.get(fmt, "string") if isinstance(fmt, str) else "string"
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if high is not None and len(text) > high:
        text = text[:high]
    return text


# --- strings matching a pattern -----------------------------------------------------------------

_CANDIDATES = "a0A_-. x/:Z9@"


def from_pattern(pattern: str, low: int = 0, high: int | None = None) -> str | None:
    """A string that ``pattern`` matches (searched, as JSON Schema does), between ``low`` and
    ``high`` characters; None when none is found."""
    try:
        compiled = re.compile(pattern)
        parsed = _sre.parse(pattern)
    except (re.error, RecursionError, ValueError, TypeError, OverflowError):
        return None
    for extra in (0, 1, 2, 4, 8, 16, 32, 64):
        try:
            text = _Gen(extra).seq(parsed)
        except (_Give, RecursionError):
            return None
        if len(text) < low and not (high is not None and len(text) > high):
            continue
        if high is not None and len(text) > high:
            return None
        if compiled.search(text):
            return text
        return None
    return None


class _Give(Exception):
    pass


class _Gen:
    def __init__(self, extra: int):
        self.extra = extra
        self.groups: dict[int, str] = {}

    def seq(self, items: Any) -> str:
        return "".join(self.one(op, arg) for op, arg in items)

    def one(self, op: Any, arg: Any) -> str:
        if op is _c.LITERAL:
            return chr(arg)
        if op is _c.NOT_LITERAL:
            return next(c for c in _CANDIDATES if ord(c) != arg)
        if op is _c.ANY:
            return "a"
        if op is _c.IN:
            return self.charset(arg)
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            count = low + self.extra if low == 0 or self.extra else low
            if high is not _c.MAXREPEAT:
                count = min(count, high)
            return "".join(self.seq(sub) for _ in range(count))
        if op is _c.SUBPATTERN:
            group, _add, _del, sub = arg
            text = self.seq(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if op is _c.BRANCH:
            return self.seq(arg[1][0])
        if op is _c.GROUPREF:
            return self.groups.get(arg, "")
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            return ""
        if op is _c.CATEGORY:
            return _category(arg)
        if op is getattr(_c, "ATOMIC_GROUP", None):
            return self.seq(arg)
        raise _Give()

    def charset(self, items: Any) -> str:
        negate = any(op is _c.NEGATE for op, _ in items)
        if not negate:
            for op, arg in items:
                if op is _c.LITERAL:
                    return chr(arg)
                if op is _c.RANGE:
                    return chr(arg[0])
                if op is _c.CATEGORY:
                    return _category(arg)
            raise _Give()
        for c in _CANDIDATES:
            if not _in_set(c, items):
                return c
        raise _Give()


def _category(cat: Any) -> str:
    return {
        _c.CATEGORY_DIGIT: "0",
        _c.CATEGORY_NOT_DIGIT: "a",
        _c.CATEGORY_SPACE: " ",
        _c.CATEGORY_NOT_SPACE: "a",
        _c.CATEGORY_WORD: "a",
        _c.CATEGORY_NOT_WORD: "-",
    }.get(cat, "a")


_CLASSES = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}


def _in_set(char: str, items: Any) -> bool:
    code = ord(char)
    for op, arg in items:
        if op is _c.LITERAL and arg == code:
            return True
        if op is _c.RANGE and arg[0] <= code <= arg[1]:
            return True
        if op is _c.CATEGORY and re.fullmatch(_CLASSES.get(arg, "."), char):
            return True
    return False


def _map(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (a spec may hold anything anywhere)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
