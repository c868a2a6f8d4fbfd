"""An exact result cache: an example whose inputs are unchanged since it last passed is not run again.

The key of an example (:meth:`Keyer.key`) is a SHA-256 over everything that can change its result:

- the example: its language and what its code is rendered from (the template's source and the
  variables of this usage with ``test.set``, before the mock's origin is put in, so the mock's port
  does not matter; a hand-written block's text), its snippet's operations, test settings
  (``test``) and key variables, and the content of its own fixture files;
- the specs of the APIs it calls (declared operations, and every API whose origin its code names;
  every spec when it names none) and any other file in the specs folder ($ref targets);
- the session: the mock's settings, the timeout, the project's limits and API origins, the sandbox
  mode and whether kernel isolation is available, snippetgen's version and a hash of its source
  (a development edit invalidates), and the runtime of the example's language (Python and its
  installed packages; node and the node_modules lock; curl and bash).

Where the example sits (page, line) is not part of the key: moving an embed does not re-run it.
A tab compared with its usage's first tab keeps its own key: the cache stores the requests an
example sent, and the comparison is made again on every run with whatever the other tab sent.

Entries live in ``.snippetgen/cache/<writer>.json``, one file per process that writes (``main``,
or a pytest-xdist worker's id), replaced atomically, each bounded to :data:`MAX_ENTRIES` (the
least recently used go first). A file that cannot be read is ignored with a problem message.
Only passing results are stored; a changed template has a new key, so a broken template always
runs (and fails); an example whose variables are refused is never looked up.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..languages import all_languages, get_language
from ..render import render, variables_for
from ..workspace import Workspace
from .collect import Example, api_origins

FORMAT = 1
"""Bumped when the key or the entry layout changes: older files are then simply not hit."""
MAX_ENTRIES = 20_000
"""Entries kept per cache file (the least recently used are dropped)."""
MAX_FILE_BYTES = 256 * 1024 * 1024
"""A larger cache file is ignored (and replaced by this process's entries)."""
MAX_ENTRY_BYTES = 512 * 1024
"""A passing result whose entry would be larger is not stored (it runs again next time)."""
ENV_OFF = "SNIPPETGEN_NO_CACHE"
"""``SNIPPETGEN_NO_CACHE=1`` in the environment bypasses the cache (e.g. in CI)."""


def disabled_by_env(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no", "off")


def _sha(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode()
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def package_fingerprint() -> str:
    """snippetgen's version and a hash of every file of the installed package."""
    root = Path(__file__).resolve().parent.parent
    try:
        version = importlib.metadata.version("snippetgen")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    digest = hashlib.sha256(version.encode())
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file() or path.suffix == ".pyc":
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    return f"{version}+{digest.hexdigest()[:16]}"


def _version_line(command: list[str]) -> str:
    """First line of ``command`` (a ``--version``), or why it could not run."""
    executable = shutil.which(command[0]) or command[0]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{executable}: unavailable ({type(exc).__name__})"
    text = (out.stdout or out.stderr).strip()
    return f"{executable}: {text.splitlines()[0] if text else f'status {out.returncode}'}"


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "absent"


def runtime_fingerprint(lang: str, node_modules: Path | None = None) -> str:
    """What the examples of one language run on, as one string.

    Python: the interpreter and every installed distribution's version (requests, the openai SDK...)
    in its site-packages;
    JavaScript: ``node --version`` and the node_modules lock; cURL: ``curl --version`` and bash's;
    any other language: its command's ``--version``.
    """
    if lang == "py":
        # The interpreter's own site-packages (what an example imports), not sys.path: that holds
        # the current folder under `python -m pytest` and would make keys depend on where one stands.
        # Each installed distribution's metadata folder is named <name>-<version>.dist-info: listing
        # the folders is enough (reading every METADATA file costs a quarter of a second).
        dists: list[str] = []
        for site in sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}):
            try:
                dists += sorted(
                    n for n in os.listdir(site) if n.endswith((".dist-info", ".egg-info", ".pth"))
                )
            except OSError:
                continue
        return _sha(sys.executable, sys.version, dists)
    if lang == "js":
        lock = "none"
        if node_modules is not None:
            for candidate in (node_modules / ".package-lock.json", node_modules.parent / "package-lock.json"):
                if candidate.is_file():
                    lock = _file_digest(candidate)
                    break
        return _sha(_version_line(["node", "--version"]), str(node_modules), lock)
    if lang == "curl":
        return _sha(_version_line(["curl", "--version"]), _version_line(["bash", "--version"]))
    try:
        command = get_language(lang).command("example")
    except Exception:  # an unknown language: its examples are keyed without a runtime
        return "unknown"
    return _sha(_version_line([command[0], "--version"]))


@dataclass
class Keyer:
    """Computes example keys for one session (see the module docstring).

    ``settings`` is everything of the session that can change results and is not derived from the
    workspace (the mock's settings, the timeout, the sandbox mode and whether isolation is
    available); ``runtimes`` overrides the detected runtime of a language (tests use it to stand in
    for an upgraded node or Python).
    """

    ws: Workspace
    settings: Mapping[str, Any]
    node_modules: Path | None = None
    runtimes: dict[str, str] = field(default_factory=dict)
    _session: str = field(init=False, default="")
    _spec_digests: dict[str, str] = field(init=False, default_factory=dict)
    _shared_specs: str = field(init=False, default="")
    _origins: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        project = self.ws.project
        self._origins = api_origins(self.ws)
        limits = {
            "max_memory_mb": project.max_memory_mb,
            "max_processes": project.max_processes,
            "max_output_bytes": project.max_output_bytes,
        }
        languages = [language.id for language in all_languages()]
        self._session = _sha(
            FORMAT, package_fingerprint(), dict(self.settings), limits, self._origins, languages
        )
        apis = self.ws.specs.apis if self.ws.specs is not None else {}
        self._spec_digests = {name: _sha(api.digest) for name, api in apis.items()}
        api_files = {Path(api.path).resolve() for api in apis.values()}
        others: list[Any] = []
        if project.specs_dir.is_dir():
            for path in sorted(project.specs_dir.rglob("*")):
                if path.is_file() and path.resolve() not in api_files:
                    others += [str(path.relative_to(project.specs_dir)), _file_digest(path)]
        self._shared_specs = _sha(others)

    def runtime(self, lang: str) -> str:
        if lang not in self.runtimes:
            self.runtimes[lang] = runtime_fingerprint(lang, self.node_modules)
        return self.runtimes[lang]

    def code(self, example: Example) -> str:
        """The example's code as the runner renders it, before the mock's origin is put in.
        Raises what rendering raises."""
        if example.code is not None:
            return example.code
        snippet = example.snippet
        assert snippet is not None
        return render(snippet, example.lang, self.variables(example)).code

    @staticmethod
    def variables(example: Example) -> dict[str, Any]:
        """The variables the runner renders a snippet's example with (before the mock's origin)."""
        snippet = example.snippet
        assert snippet is not None
        values = variables_for(snippet, example.overrides)
        values.update(snippet.test.get("set", {}))
        return values

    def key(self, example: Example) -> str | None:
        """The example's cache key, or ``None`` when it cannot render (it must run and fail).

        The rendered code is a pure function of the template's source, the variables and
        snippetgen's own source (in the session part of the key), so the key holds those instead
        of rendering: a changed template always has a new key and runs (a broken one fails), and
        a catalog of thousands of templates is keyed without compiling each one.
        """
        snippet = example.snippet
        if snippet is None:
            return self._key(example, ["code", example.code], example.code or "")
        template = snippet.templates.get(example.lang)
        if template is None:
            return None
        try:
            values = self.variables(example)  # a bad value is a rendering error: never looked up
        except Exception:
            return None
        return self._key(example, ["template", template.source, values], template.source + json.dumps(values))

    def key_for(self, example: Example, code: str) -> str:
        """The key of an example with this rendered code (a hand-written block: its text)."""
        return self._key(example, ["code", code], code)

    def _key(self, example: Example, source: list[Any], text: str) -> str:
        snippet = example.snippet
        own: list[Any] = [example.lang, source]
        apis = {api for api, origin in self._origins.items() if origin in text}
        if snippet is not None:
            own += [snippet.operations, snippet.test, {k: snippet.payload.get(k) for k in _KEY_VARIABLES}]
            for name in snippet.test.get("fixtures", []) if isinstance(snippet.test, dict) else []:
                own.append(_file_digest(snippet.directory / "fixtures" / str(name)))
            apis |= {op.split(":", 1)[0] for op in snippet.operations if isinstance(op, str)}
        known = sorted(api for api in apis if api in self._spec_digests) or sorted(self._spec_digests)
        specs = [(api, self._spec_digests[api]) for api in known]
        return _sha(self._session, self._shared_specs, specs, self.runtime(example.lang), own)


_KEY_VARIABLES = ("apiKeyEnv", "usernameEnv", "passwordEnv")
"""Payload variables the runner sets environment variables from (``runner.run.KEY_VARIABLES``)."""


@dataclass
class Entry:
    """What the cache keeps of a passing example: its record row, code and the requests it sent."""

    row: dict[str, Any]
    code: str
    requests: list[dict[str, Any]]


class ResultCache:
    """The passing results of earlier runs, read from every file in ``folder``; this process writes
    only ``<writer>.json`` (see the module docstring). Problems (an unreadable file) are collected
    in :attr:`problems`, never raised."""

    def __init__(
        self,
        folder: Path,
        writer: str = "main",
        *,
        clock: Callable[[], float] = time.time,
        max_entries: int = MAX_ENTRIES,
    ):
        self.folder = folder
        self.max_entries = max_entries
        self.writer = "".join(c if c.isalnum() or c in "-_" else "-" for c in writer) or "main"
        self.clock = clock
        self.problems: list[str] = []
        self._entries: dict[str, dict[str, Any]] = {}
        self._own: dict[str, dict[str, Any]] = {}
        self._touched: dict[str, dict[str, Any]] = {}
        self.hits = 0
        self.stored = 0
        self._load()

    @property
    def path(self) -> Path:
        return self.folder / f"{self.writer}.json"

    def _load(self) -> None:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.json")):
            entries = self._read(path)
            if entries is None:
                continue
            if path.name == self.path.name:
                self._own = entries
            for key, entry in entries.items():
                if key not in self._entries or entry.get("used", 0) > self._entries[key].get("used", 0):
                    self._entries[key] = entry

    def _read(self, path: Path) -> dict[str, dict[str, Any]] | None:
        def ignored(why: str, line: int = 1) -> None:
            self.problems.append(
                f"{path}:{line}: ignored the snippetgen result cache file: {why}; "
                "its examples run again (delete the file to silence this)"
            )

        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                ignored(f"it is {size} bytes, more than the {MAX_FILE_BYTES} a cache file may hold")
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            ignored(f"not valid JSON ({exc.msg})", exc.lineno)
            return None
        except (OSError, UnicodeDecodeError, RecursionError) as exc:
            ignored(f"unreadable ({type(exc).__name__}: {exc})")
            return None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            ignored('expected {"format": ..., "entries": {...}}')
            return None
        if data.get("format") != FORMAT:
            return {}  # another snippetgen's layout: nothing to hit, and no problem
        return {k: v for k, v in data["entries"].items() if isinstance(k, str) and isinstance(v, dict)}

    def get(self, key: str) -> Entry | None:
        """The stored passing result for ``key``, or ``None``."""
        raw = self._entries.get(key)
        if raw is None:
            return None
        row, code, requests = raw.get("row"), raw.get("code"), raw.get("requests")
        if not (isinstance(row, dict) and isinstance(code, str) and isinstance(requests, list)):
            return None
        if not all(isinstance(r, dict) for r in requests):
            return None
        self._touched[key] = {**raw, "used": self.clock()}
        self.hits += 1
        return Entry(row, code, requests)

    def put(self, key: str, row: dict[str, Any], code: str, requests: list[dict[str, Any]]) -> bool:
        """Store a passing result; ``False`` when it is too large to keep."""
        entry = {"row": row, "code": code, "requests": requests, "used": self.clock()}
        if len(json.dumps(entry, default=str)) > MAX_ENTRY_BYTES:
            return False
        self._touched[key] = entry
        self._entries[key] = entry
        self.stored += 1
        return True

    def save(self) -> None:
        """Write this process's file: its earlier entries and every one used or stored now, the
        most recently used ``max_entries``; atomically (a reader sees the old or the new file)."""
        if not self._touched:
            return
        merged = {**self._own, **self._touched}
        if len(merged) > self.max_entries:
            keep = sorted(merged, key=lambda k: merged[k].get("used", 0), reverse=True)[: self.max_entries]
            merged = {k: merged[k] for k in keep}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.writer}.", suffix=".tmp", dir=self.folder)
            try:
                os.fchmod(fd, 0o644)
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump({"format": FORMAT, "entries": merged}, out, default=str)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            self.problems.append(f"{self.path}:1: could not write the result cache: {exc}")
