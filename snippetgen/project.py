"""Where a project keeps its catalog, specs and pages, and how strict it is (``[tool.snippetgen]``).

Every key is optional::

    [tool.snippetgen]
    snippets = "shared/snippets"       # the catalog
    specs = "shared/openapi"           # the OpenAPI documents
    docs = "docs"                      # the site's pages
    coverage_min = 100                 # `snippetgen coverage` floor, in %
    node_modules = "node_modules"      # npm packages the JavaScript examples import
    sandbox = "auto"                   # "required": examples must run in kernel isolation; "auto"; "off"
    cache = true                       # false: the test run re-runs examples that passed with the same inputs
    max_memory_mb = 1024               # per example process (and its private /tmp), in kernel isolation
    max_processes = 256                # processes and threads of one example at once, likewise
    max_output_bytes = 1048576         # kept of each of an example's stdout and stderr
    max_spec_bytes = 52428800          # larger specs are refused with a located error
    max_config_bytes = 1048576         # larger config.json files likewise
    live_delay = 1.0                   # seconds between two calls of a live run (`run --live`)

    [tool.snippetgen.lint]             # severity per problem code: "error", "warning" or "off"
    spec-lint = "warning"

    [tool.snippetgen.apis.openai]      # per API (the spec's file stem)
    base_url = "https://api.openai.com/v1"   # instead of the spec's servers
    vendor = true                      # a spec the team cannot edit: its house lints are warnings
    lint = { spec-invalid = "warning" }      # severities for this API's spec only

A warning is printed (marked ``warning``) and counted, but fails neither ``check`` nor ``build``;
``off`` drops the finding. Which codes exist: ``snippetgen check --help``.

A bad setting is a :class:`~snippetgen.errors.UsageError` at ``pyproject.toml:line``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .model import Location

DEFAULTS: dict[str, Any] = {
    "snippets": "shared/snippets",
    "specs": "shared/openapi",
    "docs": "docs",
    "coverage_min": 100.0,
    "node_modules": "node_modules",
    "sandbox": "auto",
    "cache": True,
    "max_memory_mb": 1024,
    "max_processes": 256,
    "max_output_bytes": 1024 * 1024,
    "max_spec_bytes": 50 * 1024 * 1024,
    "max_config_bytes": 1024 * 1024,
    "live_delay": 1.0,
}
TABLES = ("lint", "apis")
SEVERITIES = ("error", "warning", "off")
SANDBOX_MODES = ("required", "auto", "off")
API_KEYS = ("base_url", "vendor", "lint")


@dataclass(frozen=True)
class ApiSettings:
    """``[tool.snippetgen.apis.<name>]``: how the project uses one API's spec."""

    base_url: str | None = None
    """Absolute base URL used instead of the spec's ``servers`` (examples, scaffolds, the mock)."""
    vendor: bool = False
    """The spec belongs to someone else: house lints about its content are warnings, not errors."""
    lint: dict[str, str] = field(default_factory=dict)
    """Problem code -> severity for this API's spec, over ``[tool.snippetgen.lint]``."""


@dataclass(frozen=True)
class Project:
    """Resolved paths and settings of one snippetgen project."""

    root: Path
    snippets_dir: Path
    specs_dir: Path
    docs_dir: Path
    coverage_min: float = 100.0
    node_modules: Path | None = None
    """Where JavaScript examples find their npm packages (linked into each example's folder)."""
    sandbox: str = "auto"
    """``required``, ``auto`` (kernel isolation when the machine offers it) or ``off``."""
    cache: bool = True
    """Whether the test run takes an example that passed with the same inputs from the result cache."""
    max_memory_mb: int = DEFAULTS["max_memory_mb"]
    """Memory of one example process (``RLIMIT_DATA``) and of its private ``/tmp``, in MiB."""
    max_processes: int = DEFAULTS["max_processes"]
    """Processes and threads one example may have at once (``RLIMIT_NPROC``)."""
    max_output_bytes: int = DEFAULTS["max_output_bytes"]
    """Bytes kept of each of an example's stdout and stderr (head and tail)."""
    max_spec_bytes: int = DEFAULTS["max_spec_bytes"]
    max_config_bytes: int = DEFAULTS["max_config_bytes"]
    live_delay: float = DEFAULTS["live_delay"]
    """Seconds at least between two calls to a real API in a live run (``run --live``)."""
    lint: dict[str, str] = field(default_factory=dict)
    """Problem code -> severity (``error``, ``warning``, ``off``); unlisted codes are errors."""
    apis: dict[str, ApiSettings] = field(default_factory=dict)

    @property
    def record_path(self) -> Path:
        """The execution record the test run writes and ``snippetgen coverage`` reads."""
        return self.root / ".snippetgen" / "last-run.json"

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def api(self, name: str) -> ApiSettings:
        """Settings of one API (defaults when the project has none for it)."""
        return self.apis.get(name, ApiSettings())

    def severity(self, code: str, api: str | None = None) -> str:
        """How a problem with this code counts: the API's own setting, then the project's, then a
        vendor spec's house lints are warnings, else it is an error."""
        settings = self.api(api) if api is not None else ApiSettings()
        if code in settings.lint:
            return settings.lint[code]
        if code in self.lint:
            return self.lint[code]
        if settings.vendor and code in VENDOR_WARNINGS:
            return "warning"
        return "error"

    def lint_codes(self) -> dict[str, int]:
        """Every problem code the settings name (project-wide and per API) -> its line in
        pyproject.toml, so a caller that knows the codes can locate a misspelt one."""
        pyproject = self.root / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8", errors="replace") if pyproject.is_file() else ""
        codes = set(self.lint) | {code for api in self.apis.values() for code in api.lint}
        return {code: _line(text, code) for code in sorted(codes)}

    @classmethod
    def load(cls, root: Path | str = ".") -> Project:
        root = Path(root).resolve()
        if not root.is_dir():
            raise UsageError(f"project folder {root} does not exist")
        pyproject = root / "pyproject.toml"
        own: dict[str, Any] = {}
        text = ""
        if pyproject.is_file():
            text = pyproject.read_text(encoding="utf-8", errors="replace")
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                line = getattr(exc, "lineno", 0) or _line_from_message(str(exc), text)
                raise UsageError(f"invalid TOML: {exc}", Location("pyproject.toml", line)) from None
            tool = data.get("tool", {})
            own = tool.get("snippetgen", {}) if isinstance(tool, dict) else {}
            if not isinstance(own, dict):
                raise UsageError(
                    "[tool.snippetgen] must be a table", Location("pyproject.toml", _line(text, ""))
                )
        return cls._from_settings(root, own, text)

    @classmethod
    def _from_settings(cls, root: Path, own: dict[str, Any], text: str) -> Project:
        def fail(key: str, message: str, expected: str | None = None) -> UsageError:
            hint = f"expected {expected}" if expected else None
            return UsageError(message, Location("pyproject.toml", _line(text, key)), hint)

        unknown = sorted(set(own) - set(DEFAULTS) - set(TABLES))
        if unknown:
            raise fail(
                unknown[0],
                f"unknown [tool.snippetgen] key(s) {', '.join(unknown)}",
                f"one of: {', '.join([*DEFAULTS, *TABLES])}",
            )
        settings = {**DEFAULTS, **{k: v for k, v in own.items() if k not in TABLES}}
        for key in ("snippets", "specs", "docs", "node_modules"):
            if not isinstance(settings[key], str) or not settings[key].strip():
                raise fail(key, f"[tool.snippetgen] {key} must be a folder path", "a string such as 'docs'")
        coverage = settings["coverage_min"]
        if isinstance(coverage, bool) or not isinstance(coverage, int | float) or not 0 <= coverage <= 100:
            raise fail(
                "coverage_min", "[tool.snippetgen] coverage_min must be a percentage", "a number 0-100"
            )
        delay = settings["live_delay"]
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 3600:
            raise fail("live_delay", "[tool.snippetgen] live_delay must be seconds", "a number 0-3600")
        if settings["sandbox"] not in SANDBOX_MODES:
            raise fail(
                "sandbox", f"[tool.snippetgen] sandbox = {settings['sandbox']!r}", " or ".join(SANDBOX_MODES)
            )
        if not isinstance(settings["cache"], bool):
            raise fail("cache", "[tool.snippetgen] cache must be true or false")
        for key in (
            "max_spec_bytes",
            "max_config_bytes",
            "max_output_bytes",
            "max_memory_mb",
            "max_processes",
        ):
            value = settings[key]
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                unit = {"max_memory_mb": "MiB", "max_processes": "processes"}.get(key, "bytes")
                raise fail(key, f"[tool.snippetgen] {key} must be a positive whole number of {unit}")

        def severities(table: Any, where: str) -> dict[str, str]:
            if not isinstance(table, dict):
                raise fail("lint", f"{where} must be a table of problem code = severity")
            for code, severity in table.items():
                if severity not in SEVERITIES:
                    raise fail(code, f"{where} {code} = {severity!r}", " or ".join(map(repr, SEVERITIES)))
            return {str(code): str(severity) for code, severity in table.items()}

        lint = severities(own.get("lint", {}), "[tool.snippetgen.lint]")
        apis: dict[str, ApiSettings] = {}
        raw_apis = own.get("apis", {})
        if not isinstance(raw_apis, dict):
            raise fail("apis", "[tool.snippetgen.apis] must hold one table per API")
        for name, table in raw_apis.items():
            if not isinstance(table, dict):
                raise fail(name, f"[tool.snippetgen.apis.{name}] must be a table")
            extra = sorted(set(table) - set(API_KEYS))
            if extra:
                raise fail(
                    extra[0],
                    f"unknown key {extra[0]!r} in [tool.snippetgen.apis.{name}]",
                    ", ".join(API_KEYS),
                )
            base_url = table.get("base_url")
            if base_url is not None and not (
                isinstance(base_url, str) and re.match(r"^https?://[^/\s]+(/\S*)?$", base_url)
            ):
                raise fail(
                    "base_url",
                    f"[tool.snippetgen.apis.{name}] base_url must be an absolute http(s) URL",
                    "e.g. 'https://api.example.com/v1'",
                )
            vendor = table.get("vendor", False)
            if not isinstance(vendor, bool):
                raise fail("vendor", f"[tool.snippetgen.apis.{name}] vendor must be true or false")
            api_lint = severities(table.get("lint", {}), f"[tool.snippetgen.apis.{name}] lint")
            apis[str(name)] = ApiSettings(base_url.rstrip("/") if base_url else None, vendor, api_lint)
        return cls(
            root=root,
            snippets_dir=root / settings["snippets"],
            specs_dir=root / settings["specs"],
            docs_dir=root / settings["docs"],
            coverage_min=float(coverage),
            node_modules=root / settings["node_modules"],
            sandbox=settings["sandbox"],
            cache=settings["cache"],
            max_memory_mb=settings["max_memory_mb"],
            max_processes=settings["max_processes"],
            max_output_bytes=settings["max_output_bytes"],
            max_spec_bytes=settings["max_spec_bytes"],
            max_config_bytes=settings["max_config_bytes"],
            live_delay=float(delay),
            lint=dict(lint),
            apis=apis,
        )


VENDOR_WARNINGS = frozenset({"spec-lint", "spec-example", "spec-extension"})
"""House lints about a spec's content: in a vendor spec they are warnings (its team cannot fix them).
Validity (``spec-invalid``) is not relaxed by ``vendor`` alone: an API's ``lint`` table can."""


def _line(text: str, key: str) -> int:
    """Line of ``key = ...`` (or of the ``[tool.snippetgen`` table) in pyproject.toml; 0 if unknown."""
    lines = text.splitlines()
    if key:
        pattern = re.compile(
            rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=|^\s*\[tool\.snippetgen\.\w+\.{re.escape(key)}\]"
        )
        for number, line in enumerate(lines, start=1):
            if pattern.search(line):
                return number
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("[tool.snippetgen"):
            return number
    return 0


def _line_from_message(message: str, text: str) -> int:
    match = re.search(r"line (\d+)", message)
    if match:
        return int(match.group(1))
    return len(text.splitlines()) if "end of document" in message else 0
