"""Typed variables: values that become names in the example's code, not data, have a shape.

Most variables are data (a prompt, a model id) and the literal filters keep any value inert. Some
become *names* the code refers to: ``apiKeyEnv`` names an environment variable (``$AIMLAPI_API_KEY``
in a shell, where no quoting can make a ``$(...)`` harmless), an ``outputFile`` a file the example
writes, a ``...Header`` an HTTP header. A variable's type follows from its name:

========================================  =========================  ===============================
variable name                              type                       allowed values
========================================  =========================  ===============================
``apiKeyEnv``, ``...Env``, ``..._env``     environment variable name  ``^[A-Z_][A-Z0-9_]*$``
``...Header``, ``...HeaderName``           HTTP header name           letters, digits and ``-``
``output``, ``outputPrefix``, ``...File``  file name                  no ``/``, ``\\``, ``..``, NUL or
``...FileName``, ``fileName``, ``..._file``                           control character; no leading
                                                                      ``-``; at most 255 characters
========================================  =========================  ===============================

The shape is checked wherever a value is set (config.json ``payload`` and ``test.set``, a page's
``data-*`` attribute, ``--set`` on the command line) and again when a template renders, and a
template may print a typed variable only through a literal filter (``lit``, ``json``, a language's
own, or ``env``, which prints a checked environment variable name as is: ``${{ apiKeyEnv | env }}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VarType:
    """A kind of value that becomes a name in code."""

    label: str
    """``environment variable name``."""
    article: str
    """``an`` or ``a``, for messages."""
    expected: str
    """What a good value looks like, for error messages."""
    valid: Callable[[str], bool]

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not one (None when it is)."""
        if not isinstance(value, str):
            return f"must be {self.article} {self.label} (a string), not {type(value).__name__}"
        if not self.valid(value):
            return f"{_show(value)} is not a safe {self.label}"
        return None

    @property
    def named(self) -> str:
        """``an environment variable name``."""
        return f"{self.article} {self.label}"


def _show(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "...'"


_ENV_RE = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
_HEADER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,127}")


def _file_name(value: str) -> bool:
    return (
        0 < len(value) <= 255
        and value not in (".", "..")
        and ".." not in value
        and not value.startswith("-")
        and not any(c in value for c in "/\\")
        and not any(ord(c) < 32 or ord(c) == 127 for c in value)
    )


ENV_NAME = VarType(
    "environment variable name",
    "an",
    "upper-case letters, digits and _, not starting with a digit, e.g. AIMLAPI_API_KEY",
    lambda v: _ENV_RE.fullmatch(v) is not None,
)
HEADER_NAME = VarType(
    "HTTP header name",
    "an",
    "letters, digits and dashes, e.g. X-Api-Key",
    lambda v: _HEADER_RE.fullmatch(v) is not None,
)
FILE_NAME = VarType(
    "file name",
    "a",
    "a plain file name such as video.mp4: no '/', '\\', '..', NUL or control characters, no leading '-'",
    _file_name,
)

_FILE_VARS = frozenset({"output", "outputFile", "outputPrefix", "fileName", "filename"})


def type_of(variable: str) -> VarType | None:
    """The type a variable's name gives it, or None for plain data."""
    if variable == "apiKeyEnv" or re.search(r"(?:[a-z0-9]Env|_env|_ENV)$", variable):
        return ENV_NAME
    if re.search(r"(?:[a-z0-9]Header|[a-z0-9]HeaderName|_header|_header_name)$", variable):
        return HEADER_NAME
    if variable in _FILE_VARS or re.search(
        r"(?:[a-z0-9]File|[a-z0-9]FileName|[a-z0-9]Filename|_file|_filename|_file_name)$", variable
    ):
        return FILE_NAME
    return None


def value_problem(variable: str, value: Any) -> tuple[VarType, str] | None:
    """(type, why) when ``value`` does not fit the type of ``variable``; None when it does or the
    variable is plain data."""
    kind = type_of(variable)
    if kind is None:
        return None
    why = kind.problem(value)
    return (kind, why) if why else None


def env_name(value: Any) -> str:
    """The ``env`` filter: a checked environment variable name, printed as is (``$NAME`` in a shell)."""
    if isinstance(value, str) and ENV_NAME.valid(value):
        return value
    raise ValueError(ENV_NAME.problem(value) or "not an environment variable name")
