"""Jinja filters that print values the way Handlebars did.

Templates converted by ``snippetgen import-hbs`` call them (``{{ x | hbs }}``) so their output stays
byte-identical to the Handlebars original; the one Jinja environment registers them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2.defaults import DEFAULT_FILTERS


def _js_number(value: int | float) -> str:
    if isinstance(value, int) and abs(value) < 2**53:
        return str(value)
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
    if value == 0:
        return "0"
    mantissa, _, exp = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits, n = whole + frac, len(whole) + int(exp or 0)
    n -= len(digits) - len(digits.lstrip("0"))
    digits = digits.strip("0")
    k, sign = len(digits), "-" if value < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = f"e{'+' if n >= 1 else '-'}{abs(n - 1)}"
    return sign + (digits if k == 1 else digits[0] + "." + digits[1:]) + e


def to_handlebars_string(value: Any) -> str:
    """JavaScript ``ToString`` as Handlebars ``{noEscape: true}`` prints: ``true``, ``1e+21``, ``1,2``, null -> ``""``."""
    if isinstance(value, jinja2.Undefined):
        return str(value)  # StrictUndefined raises here, as everywhere else
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _js_number(value)
    if isinstance(value, list | tuple):
        return ",".join("" if v is None else to_handlebars_string(v) for v in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def handlebars_truthy(value: Any) -> bool:
    """``{{#if}}``: false, null, 0, NaN, "" and [] are false; every object, even ``{}``, is true."""
    if isinstance(value, Mapping):
        return True
    return bool(value) and value == value


def handlebars_each(value: Any) -> list[Any]:
    """What ``{{#each}}`` iterates: an array's items, an object's values in JS key order, else nothing."""
    if isinstance(value, jinja2.Undefined):
        bool(value)  # StrictUndefined raises
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping):
        index = [k for k in value if re.fullmatch(r"0|[1-9][0-9]*", k) and int(k) < 2**32 - 1]
        return [value[k] for k in sorted(index, key=int) + [k for k in value if k not in index]]
    return []


HBS_FILTERS: dict[str, Callable[[Any], Any]] = {
    "hbs": to_handlebars_string,
    "hbs_truthy": handlebars_truthy,
    "hbs_each": handlebars_each,
}


def builtin_filter_names() -> set[str]:
    """Filter names no language may take: Jinja's own, ``lit``, ``json`` and the Handlebars ones."""
    return set(DEFAULT_FILTERS) | {"lit", "json"} | set(HBS_FILTERS)
