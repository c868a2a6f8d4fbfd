"""Key-shaped secrets in templates, configs and pages are errors: docs must never carry a real key."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .model import Location, Problem

ALLOW_MARKER = "snippetgen: allow-secret"
PATTERNS = [
    ("OpenAI-style key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("Stripe-style live key", re.compile(r"\b(?:sk|rk|pk)_live_[A-Za-z0-9]{16,}")),
    ("AWS access key id", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("bearer token", re.compile(r"Bearer\s+(?!\$|\{|<|\"|')[A-Za-z0-9._~+/-]{24,}=*")),
    ("long hex token", re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])")),
    (
        "long base64 token",
        re.compile(
            r"(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]*[0-9])(?=[A-Za-z0-9+/]*[a-z])"
            r"(?=[A-Za-z0-9+/]*[A-Z])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/])"
        ),
    ),
]


_URL = re.compile(r"https?://[^\s\"'<>]+")
_URL_SAFE = {"long hex token", "long base64 token"}
_PATH = re.compile(r"/?(?:[A-Za-z0-9]{1,24}/){2,}[A-Za-z0-9]{0,24}")
"""A URL path such as ``URL/v2/generate/video/minimax/generation`` (short segments between slashes)."""
"""Shapes that are also ordinary URL paths (file names, ids); a key in a URL's query is still found
by the shapes with a prefix (sk-..., AKIA...)."""


def redact(text: str) -> str:
    """Show only the start of a found secret."""
    return text[:6] + "…" if len(text) > 6 else "…"


def scan(text: str, path: str) -> list[Problem]:
    """One problem per key-shaped string; a line holding ``snippetgen: allow-secret`` is skipped."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOW_MARKER in line:
            continue
        urls = [m.span() for m in _URL.finditer(line)]
        for label, pattern in PATTERNS:
            match = next(
                (
                    m
                    for m in pattern.finditer(line)
                    if label not in _URL_SAFE
                    or not (any(a <= m.start() < b for a, b in urls) or _PATH.fullmatch(m.group(0)))
                ),
                None,
            )
            if match:
                problems.append(
                    Problem(
                        Location(path, number, match.start() + 1),
                        f"looks like a secret ({label}): {redact(match.group(0))}",
                        "secret",
                        hint="read keys from an environment variable in examples; if this is not a key, "
                        f"add the comment '{ALLOW_MARKER}' on that line",
                    )
                )
                break
    return problems


# --- secrets in the built site ---------------------------------------------------------------

PLACEHOLDER_RE = re.compile(
    r"^(?:<.*>|\$\{?\w+\}?|your[-_ ]?\w*|x+|test|mock[-\w]*|dummy[-\w]*|changeme)$", re.I
)


def secret_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Real-looking values of ``*_API_KEY`` environment variables: name -> value.

    Short values and obvious placeholders (``<YOUR_API_KEY>``, ``test``, ``mock-test-key``) are
    not secrets, so a CI that exports the mock's key does not fail the build.
    """
    environ = os.environ if environ is None else environ
    return {
        name: value
        for name, value in environ.items()
        if name.upper().endswith("_API_KEY")
        and len(value.strip()) >= 12
        and not PLACEHOLDER_RE.match(value.strip())
    }


def find_leaks(site_dir: Path, secrets: Mapping[str, str]) -> list[Problem]:
    """One problem per built file that contains the value of a key from the environment."""
    if not secrets:
        return []
    needles = {name: value.encode() for name, value in secrets.items()}
    problems = []
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file()):
        data = path.read_bytes()
        for name, needle in needles.items():
            if needle in data:
                line = data.count(b"\n", 0, data.index(needle)) + 1
                shown = (
                    path.relative_to(Path(site_dir).parent) if Path(site_dir).parent in path.parents else path
                )
                problems.append(
                    Problem(
                        Location(shown.as_posix(), line),
                        f"the built site contains the value of ${name}",
                        "secret-leak",
                        hint="examples must read keys from the environment at run time, "
                        "never embed them; find what copied it into the page",
                    )
                )
    return problems


# --- masking secrets in everything snippetgen prints or records ------------------------------------

MASK = "***"
MIN_SECRET_LENGTH = 6
"""Shorter values are not masked: replacing every ``abc`` would garble output, and hide nothing."""
SECRET_NAME = re.compile(r"(?:_KEY|_TOKEN|_SECRET)$|PASSWORD", re.I)
"""Names of variables whose values are secrets (``OPENAI_API_KEY``, ``GH_TOKEN``, ``DB_PASSWORD``)."""
_NOT_SECRET = re.compile(
    r"^(?:true|false|yes|no|on|off|none|null|undefined|secret|password|token|\d+)$", re.I
)


def is_placeholder(value: str) -> bool:
    """An obvious stand-in (``<YOUR_API_KEY>``, ``mock-test-key``, ``changeme``) or a plain word."""
    value = value.strip()
    return bool(PLACEHOLDER_RE.match(value) or _NOT_SECRET.match(value))


def masked_values(environ: Mapping[str, str] | None = None, names: Iterable[str] = ()) -> list[str]:
    """The values to mask: every secret-looking variable of ``environ`` (default: this process's)
    and every variable named in ``names`` (the key variables snippets use), longest first."""
    environ = os.environ if environ is None else environ
    wanted = set(names)
    values = {
        value
        for name, value in environ.items()
        if (name in wanted or SECRET_NAME.search(name))
        and len(value.strip()) >= MIN_SECRET_LENGTH
        and not is_placeholder(value)
    }
    return sorted(values, key=lambda v: (-len(v), v))


class Masker:
    """Replaces every value of :func:`masked_values` with ``***``, the way CI systems mask secrets.

    Values are read when it is made; :meth:`mask` is one regular-expression pass over the text.
    """

    def __init__(self, values: Iterable[str]):
        self.values = sorted({v for v in values if v}, key=lambda v: (-len(v), v))
        self._pattern = re.compile("|".join(re.escape(v) for v in self.values)) if self.values else None

    @classmethod
    def from_env(cls, names: Iterable[str] = (), environ: Mapping[str, str] | None = None) -> Masker:
        return cls(masked_values(environ, names))

    def mask(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def mask_data(self, value: Any) -> Any:
        """``mask`` applied to every string of a JSON-like value (request logs, records)."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, list):
            return [self.mask_data(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.mask_data(v) for v in value)
        if isinstance(value, dict):
            return {self.mask_data(k): self.mask_data(v) for k, v in value.items()}
        return value


def mask(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with the secrets of this process's environment (and of variables ``names``) masked."""
    return Masker.from_env(names).mask(text)
