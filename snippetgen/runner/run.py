"""Render an example for the mock, run it in a sandbox, and judge the outcome."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import RenderError, UsageError
from ..languages import WarmRunner, all_languages, get_language
from ..mock import media
from ..mock.settings import DEFAULT_KEY
from ..proven import code_digest, record_responses
from ..render import render, variables_for
from ..secrets import Masker, mask
from ..workspace import Workspace
from . import isolation, sandbox
from .collect import Example, api_origins, slug
from .egress import EgressGuard
from .limits import DEFAULT_TIMEOUT, Limits, timeout_problem
from .verify import has_magic, request_failures

KEY_VARIABLE = "apiKeyEnv"
"""Payload variable naming the environment variable an example reads its API key from."""
KEY_VARIABLES = (KEY_VARIABLE, "usernameEnv", "passwordEnv")
"""Every payload variable naming a credential's environment variable (HTTP basic has two); the
runner sets each to the mock's key (the mock takes the password, else the user, as the key)."""
PLACEHOLDER_KEYS = ("<YOUR_API_KEY>", "YOUR_API_KEY", "<API_KEY>")
TRACEBACK = re.compile(r"^Traceback \(most recent call last\)|^\S+Error: |^Uncaught ", re.M)


@dataclass
class Outcome:
    """Everything one run of an example produced."""

    example: Example
    code: str
    process: sandbox.Process | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    egress: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    workdir: Path | None = None
    responses: list[dict[str, Any]] = field(default_factory=list)
    """The answers the record keeps (:func:`snippetgen.proven.record_responses`), with the mock's
    origins written back as the APIs' own."""

    @property
    def passed(self) -> bool:
        return not self.failures


class IsolationRequired(UsageError):
    """``sandbox = "required"`` and this machine cannot isolate examples."""


class Runner:
    """Runs examples of one workspace against one running mock (one per pytest-xdist worker).

    ``sandbox`` (default: the project's ``[tool.snippetgen] sandbox``): ``"auto"`` runs examples in a
    kernel-isolated cell (:mod:`.isolation`) where the machine allows it and with the in-process
    guards alone where not (:attr:`unisolated` says why); ``"required"`` raises
    :class:`IsolationRequired` instead; ``"off"`` never isolates.
    """

    def __init__(
        self,
        ws: Workspace,
        mock: Any,
        *,
        node_modules: Path | None = None,
        timeout: float | None = None,
        keep: bool = False,
        warm: bool = True,
        sandbox: str | None = None,
        limits: Limits | None = None,
    ):
        timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        problem = timeout_problem(timeout)
        if problem:
            raise UsageError(f"the example timeout {problem}")
        self.ws = ws
        self.mock = mock
        self.node_modules = node_modules
        self.timeout = float(timeout)
        self.keep = keep
        self.mode = sandbox or getattr(ws.project, "sandbox", "auto")
        self.limits = limits or Limits.of(ws.project)
        self.origins = api_origins(ws)
        self.key = mock.keys[0] if getattr(mock, "keys", None) else _default_key()
        self.masker = Masker.from_env(key_variables(ws))
        self.unisolated = self._isolation_refused()
        """Why examples run without kernel isolation; empty when they run in a cell."""
        self.base = Path(tempfile.mkdtemp(prefix="snippetgen-run-"))
        self.guard = EgressGuard().start()
        self.allow = [urlsplit(o).netloc for o in mock.origins.values()] + [f"127.0.0.1:{self.guard.port}"]
        self.cell: isolation.Cell | None = None
        if not self.unisolated:
            try:
                self._start_cell()
            except BaseException:
                self.guard.stop()
                remove(self.base)
                raise
        # Language id -> its warm runner; without one (or with warm=False) a fresh process each time.
        # In a cell, Python runs warm there instead (forked from the cell's supervisor).
        self.warm: dict[str, WarmRunner] = {}
        for language in all_languages() if warm and self.cell is None else []:
            if language.warm_runner is not None:
                try:
                    self.warm[language.id] = language.warm_runner()
                except (OSError, RuntimeError):
                    pass  # fall back to one fresh process per example
        self.warm_cell = warm

    def _isolation_refused(self) -> str:
        if self.mode == "off":
            return 'sandbox = "off"'
        found = isolation.support()
        if found.available:
            return ""
        if self.mode == "required":
            raise IsolationRequired(
                f'examples must run in kernel isolation (sandbox = "required"), but {found.why}',
                hint='or set sandbox = "auto" in [tool.snippetgen]: the in-process guards alone where it is missing',
            )
        return found.why

    def _start_cell(self) -> None:
        read_only = [self.node_modules.resolve()] if self.node_modules and self.node_modules.is_dir() else []
        folder = self.base / "cell"
        if folder.exists():
            remove(folder)
        try:
            self.cell = isolation.Cell(folder, self.allow, limits=self.limits, read_only=read_only)
        except (isolation.CellError, OSError) as exc:
            if self.mode == "required":
                raise IsolationRequired(f"examples must run in kernel isolation, but {exc}") from None
            self.unisolated = f"the sandbox did not start: {exc}"

    @property
    def isolated(self) -> bool:
        return self.cell is not None

    def close(self) -> None:
        if self.cell is not None:
            self.cell.close()
        for warm in self.warm.values():
            warm.close()
        self.guard.stop()
        if not self.keep:
            remove(self.base)

    # -- rendering ---------------------------------------------------------------------------
    def to_mock(self, value: Any) -> Any:
        """Replace only the origin of any API base URL with the mock's origin for that API."""
        if isinstance(value, str):
            for api, origin in self.origins.items():
                if value.startswith(origin) and api in self.mock.origins:
                    return self.mock.origins[api] + value[len(origin) :]
            return value
        if isinstance(value, list):
            return [self.to_mock(v) for v in value]
        if isinstance(value, dict):
            return {k: self.to_mock(v) for k, v in value.items()}
        return value

    def from_mock(self, value: Any) -> Any:
        """The reverse of :meth:`to_mock`, in any string (URLs in an answer's body)."""
        if isinstance(value, str):
            for api, origin in self.origins.items():
                if api in self.mock.origins:
                    value = value.replace(self.mock.origins[api], origin)
            return value
        if isinstance(value, list):
            return [self.from_mock(v) for v in value]
        if isinstance(value, dict):
            return {k: self.from_mock(v) for k, v in value.items()}
        return value

    def variables(self, example: Example) -> dict[str, Any]:
        snippet = example.snippet
        assert snippet is not None
        values = variables_for(snippet, example.overrides)
        values.update(snippet.test.get("set", {}))
        return {k: self.to_mock(v) for k, v in values.items()}

    def source(self, example: Example) -> str:
        if example.code is not None:
            code = example.code
            for api, origin in self.origins.items():
                if api in self.mock.origins:
                    code = code.replace(origin, self.mock.origins[api])
            for placeholder in PLACEHOLDER_KEYS:
                code = code.replace(placeholder, self.key)
            return code
        assert example.snippet is not None
        return render(example.snippet, example.lang, self.variables(example)).code

    # -- running -----------------------------------------------------------------------------
    def run(self, example: Example) -> Outcome:
        """Render, run and judge one example; everything in the outcome has its secrets masked."""
        return self._masked(self._run(example))

    def _run(self, example: Example) -> Outcome:
        try:
            code = self.source(example)
        except RenderError as exc:
            return Outcome(example, "", failures=[f"could not render: {exc}"])
        lang = get_language(example.lang)
        name = slug(example.id)
        cell = self.cell
        workdir = (cell.live if cell is not None else self.base) / name
        for old in (workdir, self.base / name):
            if old.exists():
                remove(old)
        workdir.mkdir(parents=True)
        outcome = Outcome(example, code, workdir=workdir)
        fixture_failures = self._fixtures(example, workdir)
        timeout, timeout_failure = self._timeout(example)
        if fixture_failures or timeout_failure:
            outcome.failures = fixture_failures + timeout_failure
            return outcome
        if self.node_modules and self.node_modules.is_dir():
            (workdir / "node_modules").symlink_to(self.node_modules.resolve(), target_is_directory=True)
        script = workdir / lang.file_for(code)
        script.write_text(code, encoding="utf-8")
        extra = self.credentials(example)
        self.guard.take()
        if hasattr(self.mock, "reset"):
            self.mock.reset()  # each example starts with fresh jobs, token balances and rate windows
        start_index = len(self.mock.requests())
        hits: list[str] = []
        if cell is not None:
            inside = isolation.INSIDE / name
            env = sandbox.example_env(
                inside, self.allow, self.guard.url, extra, report=isolation.EGRESS, tmp="/tmp"
            )
            try:
                outcome.process, hits = cell.run(
                    lang.command(script.name), workdir, env, timeout, warm=self.warm_cell
                )
            except isolation.CellError as exc:
                outcome.failures = [f"the sandbox failed while running the example: {exc}"]
                self._restart_cell()
        else:
            env = sandbox.example_env(workdir, self.allow, self.guard.url, extra)
            warm = self.warm.get(lang.id)
            if warm is not None:
                try:
                    outcome.process = warm.run(script.name, workdir, env, timeout)
                except RuntimeError:
                    del self.warm[lang.id]  # it stopped: fresh processes from now on
            if outcome.process is None:
                outcome.process = sandbox.run_process(
                    lang.command(script.name), workdir, env, timeout, output=self.limits.output
                )
            hits = sandbox.egress_hits(workdir)
        if cell is not None:
            # Out of the cell's /sandbox: the next example sees only its own folder there.
            done = self.base / name
            workdir.rename(done)
            outcome.workdir = done
        outcome.requests = self.mock.requests()[start_index:]
        outcome.responses = self.from_mock(record_responses(outcome.requests))
        outcome.egress = sorted(set(hits + self.guard.take()))
        if outcome.process is not None:
            outcome.failures = self.judge(example, outcome, timeout)
        return outcome

    def _restart_cell(self) -> None:
        if self.cell is not None:
            self.cell.close()
            self.cell = None
        self._start_cell()
        if self.cell is None and self.mode == "required":
            raise IsolationRequired(f"examples must run in kernel isolation, but {self.unisolated}")

    def _timeout(self, example: Example) -> tuple[float, list[str]]:
        value = example.snippet.test.get("timeout") if example.snippet else None
        if value is None:
            return self.timeout, []
        problem = timeout_problem(value)
        if problem:
            return self.timeout, [f"test.timeout {problem} (not run)"]
        return float(value), []

    def _masked(self, outcome: Outcome) -> Outcome:
        mask = self.masker.mask
        outcome.code = mask(outcome.code)
        outcome.failures = [mask(f) for f in outcome.failures]
        outcome.egress = [mask(e) for e in outcome.egress]
        outcome.requests = self.masker.mask_data(outcome.requests)
        outcome.responses = self.masker.mask_data(outcome.responses)
        if outcome.process is not None:
            outcome.process.stdout = mask(outcome.process.stdout)
            outcome.process.stderr = mask(outcome.process.stderr)
        return outcome

    def credentials(self, example: Example) -> dict[str, str]:
        """The environment variables the example reads its credentials from, with their values
        (the mock's key here; a live run's real keys in :class:`~.live.LiveRunner`)."""
        return dict.fromkeys(self._key_envs(example), self.key)

    def _key_envs(self, example: Example) -> list[str]:
        if example.snippet is None:
            return list(example.key_envs)
        names = [example.snippet.payload.get(variable) for variable in KEY_VARIABLES]
        return [name for name in names if isinstance(name, str) and name]

    def _fixtures(self, example: Example, workdir: Path) -> list[str]:
        failures = []
        names = example.snippet.test.get("fixtures", []) if example.snippet else example.fixtures
        for name in names:
            own = example.snippet.directory / "fixtures" / name if example.snippet else None
            target = workdir / Path(name).name
            if own is not None and own.is_file():
                shutil.copyfile(own, target)
                continue
            # A snippet names its own fixtures; the uploads of an example without one (a minimal
            # request) were chosen from the spec by snippetgen, which brings a sample for any name.
            data = builtin_fixture(name) if example.snippet else sample_file(name)
            if data is None:
                failures.append(
                    f"fixture {name!r} not found in {own.parent if own else 'the snippet'}/ and not a "
                    "built-in fixture (image.png, image.jpg, image.webp, audio.mp3, audio.wav, ...)"
                )
            else:
                target.write_bytes(data)
        return failures

    def judge(self, example: Example, outcome: Outcome, timeout: float) -> list[str]:
        proc = outcome.process
        assert proc is not None
        failures = []
        for host in outcome.egress:
            failures.append(f"tried to reach {host}: examples may only talk to the mock (egress guard)")
        if proc.timed_out:
            failures.append(f"timed out after {timeout:g} s (the process group was killed)")
        elif proc.returncode is not None and proc.returncode < 0:
            failures.append(f"was killed by signal {_signal_name(-proc.returncode)}")
        elif proc.returncode != 0:
            failures.append(f"exited with status {proc.returncode}")
        elif TRACEBACK.search(proc.stderr):
            failures.append("wrote an error or traceback to stderr")
        declared = example.snippet.operations if example.snippet else list(example.operations)
        specs = self.ws.specs

        def resolve(ref: str) -> str | None:
            op = specs.resolve(ref) if specs is not None else None
            return op.ref if op is not None else None

        if example.snippet is not None or outcome.requests or declared:
            failures += request_failures(outcome.requests, declared, resolve)
        if example.snippet is not None and not outcome.requests and not declared:
            failures.append("made no request to the mock")
        if example.snippet is not None and not proc.timed_out:
            for name in example.snippet.test.get("expect_files", []):
                path = outcome.workdir / name if outcome.workdir else Path(name)
                if not path.is_file():
                    failures.append(f"expected the example to save {name}, but it is not there")
                elif not has_magic(name, path.read_bytes()[:16]):
                    failures.append(
                        f"{name} does not look like a {Path(name).suffix} file (wrong magic bytes)"
                    )
        return failures


def remove(folder: Path) -> None:
    """Remove a folder an example wrote in, whatever modes it left on its files and folders."""

    def retry(function: Any, path: str, _: Any) -> None:
        try:
            os.chmod(os.path.dirname(path), 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass

    handler: dict[str, Any] = {"onexc" if sys.version_info >= (3, 12) else "onerror": retry}
    shutil.rmtree(folder, **handler)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def key_variables(ws: Workspace) -> set[str]:
    """The environment variables snippets read their credentials from (``payload.apiKeyEnv``, and
    ``usernameEnv``/``passwordEnv`` for HTTP basic)."""
    names = set()
    for snippet in ws.catalog.snippets.values():
        for variable in KEY_VARIABLES:
            name = snippet.payload.get(variable)
            if isinstance(name, str) and name:
                names.add(name)
    return names


def builtin_fixture(name: str) -> bytes | None:
    """Small valid media files for uploads (image.png, photo.jpg, audio.mp3, ...) by extension."""
    ext = Path(name).suffix.lower()
    return media.data(ext) if ext in media.TYPES else None


def sample_file(name: str) -> bytes:
    """A small valid file for an upload snippetgen chose itself (a scaffold's fixture, a minimal
    request's upload), by extension (``image.png`` -> a PNG); a few bytes of text for a type without
    a built-in sample (``file.bin``), so the upload is never empty."""
    return builtin_fixture(name) or b"example file\n"


def _default_key() -> str:
    return DEFAULT_KEY


LONG_LINE = 400
"""Characters of one output line a report shows (a flood of one long line stays readable)."""


def shorten_line(line: str, width: int = LONG_LINE) -> str:
    return line if len(line) <= width else f"{line[:width]} ... ({len(line) - width} more characters)"


def report(outcome: Outcome, tail: int = 40) -> str:
    """A failure report a docs author can act on."""
    ex = outcome.example
    lines = [f"{ex.location}: example {ex.id} failed"]
    if ex.snippet is not None:
        lines.append(f"  template: {ex.snippet.templates[ex.lang].path}")
    lines += [f"  - {f}" for f in outcome.failures]
    lines.append("\nrendered code:")
    lines += [f"{n:4} | {line}" for n, line in enumerate(outcome.code.splitlines(), start=1)]
    if outcome.process is not None:
        for label, text in (("stdout", outcome.process.stdout), ("stderr", outcome.process.stderr)):
            if text.strip():
                body = text.strip().splitlines()[-tail:]
                lines.append(f"\n{label} (last {len(body)} lines):")
                lines += [f"    {shorten_line(line)}" for line in body]
    if outcome.requests:
        lines.append("\nmock request log:")
        lines += request_log_lines(outcome.requests)
    else:
        lines.append("\nmock request log: (no requests)")
    return mask("\n".join(lines))


def page_code_digest(example: Example) -> str | None:
    """The sha256 of the code a page shows for ``example`` (see :func:`snippetgen.proven.code_digest`);
    None when it does not render."""
    if example.snippet is None:
        return code_digest(example.code) if example.code is not None else None
    try:
        return code_digest(render(example.snippet, example.lang, example.overrides).code)
    except RenderError:
        return None


def request_log_lines(requests: list[dict[str, Any]], indent: str = "    ") -> list[str]:
    """``METHOD path?query -> status [operation]`` per request, its validation errors below it."""
    lines = []
    for req in requests:
        query = f"?{req['query']}" if req.get("query") else ""
        lines.append(
            f"{indent}{req.get('method')} {req.get('path')}{query} -> {req.get('status')} "
            f"[{req.get('operation') or 'no operation'}]"
        )
        lines += [f"{indent}    {e.get('location')}: {e.get('message')}" for e in req.get("errors") or []]
        lines += [f"{indent}    {problem}" for problem in req.get("api_errors") or []]
    return lines


def write_record(path: Path, outcomes: list[Outcome]) -> None:
    """Append this process's results to the execution record ``snippetgen coverage`` reads.

    Besides what ran and whether it passed, a row keeps the answers it received (``responses``,
    see :func:`snippetgen.proven.record_responses`) and ``code_sha256``, the digest of the code a
    page shows for it (rendered without ``test.set``, for the real API): the site shows the answers
    under that code only while the digest still matches.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "id": o.example.id,
            "usage": o.example.usage,
            "snippet": o.example.snippet.key if o.example.snippet else None,
            "lang": o.example.lang,
            "operations": sorted({r["operation"] for r in o.requests if r.get("operation")}),
            "passed": o.passed,
            "code_sha256": page_code_digest(o.example),
            "responses": o.responses,
        }
        for o in outcomes
    ]
    path.write_text(mask(json.dumps({"executed": rows}, indent=1)), encoding="utf-8")
