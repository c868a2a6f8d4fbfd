"""Render an example for the mock, run it in a sandbox, and judge the outcome."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import RenderError
from ..languages import WarmRunner, all_languages, get_language
from ..mock import media
from ..mock.settings import DEFAULT_KEY
from ..render import render, variables_for
from ..workspace import Workspace
from . import sandbox
from .collect import Example, api_origins, slug
from .egress import EgressGuard
from .verify import has_magic, request_failures

DEFAULT_TIMEOUT = 30.0
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

    @property
    def passed(self) -> bool:
        return not self.failures


class Runner:
    """Runs examples of one workspace against one running mock (one per pytest-xdist worker)."""

    def __init__(
        self,
        ws: Workspace,
        mock: Any,
        *,
        node_modules: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        keep: bool = False,
        warm: bool = True,
    ):
        self.ws = ws
        self.mock = mock
        self.node_modules = node_modules
        self.timeout = timeout
        self.keep = keep
        self.base = Path(tempfile.mkdtemp(prefix="snippetgen-run-"))
        self.guard = EgressGuard().start()
        self.origins = api_origins(ws)
        self.allow = [urlsplit(o).netloc for o in mock.origins.values()] + [f"127.0.0.1:{self.guard.port}"]
        self.key = mock.keys[0] if getattr(mock, "keys", None) else _default_key()
        # Language id -> its warm runner; without one (or with warm=False) a fresh process each time.
        self.warm: dict[str, WarmRunner] = {}
        for language in all_languages() if warm else []:
            if language.warm_runner is not None:
                try:
                    self.warm[language.id] = language.warm_runner()
                except (OSError, RuntimeError):
                    pass  # fall back to one fresh process per example

    def close(self) -> None:
        for warm in self.warm.values():
            warm.close()
        self.guard.stop()
        if not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)

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
        try:
            code = self.source(example)
        except RenderError as exc:
            return Outcome(example, "", failures=[f"could not render: {exc}"])
        lang = get_language(example.lang)
        workdir = self.base / slug(example.id)
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        outcome = Outcome(example, code, workdir=workdir)
        fixture_failures = self._fixtures(example, workdir)
        if fixture_failures:
            outcome.failures = fixture_failures
            return outcome
        if self.node_modules and self.node_modules.is_dir():
            (workdir / "node_modules").symlink_to(self.node_modules.resolve(), target_is_directory=True)
        script = workdir / lang.file_for(code)
        script.write_text(code, encoding="utf-8")
        extra = dict.fromkeys(self._key_envs(example), self.key)
        env = sandbox.example_env(workdir, self.allow, self.guard.url, extra)
        timeout = float((example.snippet.test.get("timeout") if example.snippet else None) or self.timeout)
        self.guard.take()
        if hasattr(self.mock, "reset"):
            self.mock.reset()  # each example starts with fresh jobs, token balances and rate windows
        start_index = len(self.mock.requests())
        warm = self.warm.get(lang.id)
        if warm is not None:
            try:
                outcome.process = warm.run(script.name, workdir, env, timeout)
            except RuntimeError:
                del self.warm[lang.id]  # it stopped: fresh processes from now on
        if outcome.process is None:
            outcome.process = sandbox.run_process(lang.command(script.name), workdir, env, timeout)
        outcome.requests = self.mock.requests()[start_index:]
        outcome.egress = sorted(set(sandbox.egress_hits(workdir) + self.guard.take()))
        outcome.failures = self.judge(example, outcome, timeout)
        return outcome

    def _key_envs(self, example: Example) -> list[str]:
        if example.snippet is None:
            return []
        names = [example.snippet.payload.get(variable) for variable in KEY_VARIABLES]
        return [name for name in names if isinstance(name, str) and name]

    def _fixtures(self, example: Example, workdir: Path) -> list[str]:
        if example.snippet is None:
            return []
        failures = []
        for name in example.snippet.test.get("fixtures", []):
            own = example.snippet.directory / "fixtures" / name
            target = workdir / Path(name).name
            if own.is_file():
                shutil.copyfile(own, target)
                continue
            data = builtin_fixture(name)
            if data is None:
                failures.append(
                    f"fixture {name!r} not found in {example.snippet.directory}/fixtures/ and not a "
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
        elif proc.returncode != 0:
            failures.append(f"exited with status {proc.returncode}")
        elif TRACEBACK.search(proc.stderr):
            failures.append("wrote an error or traceback to stderr")
        declared = example.snippet.operations if example.snippet else []
        resolve = (
            (lambda ref: op.ref if (op := self.ws.specs.resolve(ref)) else None)
            if self.ws.specs
            else (lambda ref: None)
        )
        if example.snippet is not None or outcome.requests:
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


def builtin_fixture(name: str) -> bytes | None:
    """Small valid media files for uploads (image.png, photo.jpg, audio.mp3, ...) by extension."""
    ext = Path(name).suffix.lower()
    return media.data(ext) if ext in media.TYPES else None


def _default_key() -> str:
    return DEFAULT_KEY


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
                lines += [f"    {line}" for line in body]
    if outcome.requests:
        lines.append("\nmock request log:")
        lines += request_log_lines(outcome.requests)
    else:
        lines.append("\nmock request log: (no requests)")
    return "\n".join(lines)


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
    return lines


def write_record(path: Path, outcomes: list[Outcome]) -> None:
    """Append this process's results to the execution record ``snippetgen coverage`` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "id": o.example.id,
            "usage": o.example.usage,
            "snippet": o.example.snippet.key if o.example.snippet else None,
            "lang": o.example.lang,
            "operations": sorted({r["operation"] for r in o.requests if r.get("operation")}),
            "passed": o.passed,
        }
        for o in outcomes
    ]
    path.write_text(json.dumps({"executed": rows}, indent=1), encoding="utf-8")
