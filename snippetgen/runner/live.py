"""Live contract runs: selected examples against the real APIs, through the validating proxy.

An example runs live when its config opts in (``"test": {"live": true}``) or when it is named on the
command line. It runs as against the mock (same sandbox, same verdict), with three differences: its
base URL's origin points at the validating proxy (``mock/proxy.py``), which forwards to the real API
(the spec's server, the project's ``base_url``, or ``--upstream API=URL``); the environment variables
it names (``apiKeyEnv``...) carry the real keys of this process's environment (masked in everything
printed); and ``test.set``/``test.timeout`` (settings for the mock) do not apply. Calls are serial,
at least ``live_delay`` seconds apart, and a 429 waits for its ``Retry-After`` (bounded).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..errors import UsageError
from ..model import Location
from ..render import variables_for
from ..spec.servers import resolve_server
from ..workspace import Workspace
from .collect import Example
from .limits import MAX_TIMEOUT
from .run import Outcome, Runner

LIVE_TIMEOUT = MAX_TIMEOUT
"""Seconds a live example may take by default (real jobs take minutes)."""
MAX_RETRY_AFTER = 60.0
"""The longest ``Retry-After`` a live run waits for before retrying a 429."""


def is_live(snippet: Any) -> bool:
    return snippet is not None and snippet.test.get("live") is True


def live_examples(
    ws: Workspace, keys: Iterable[str] = (), lang: str | None = None, sets: Mapping[str, Any] | None = None
) -> list[Example]:
    """One example per language of each snippet to run live: those named in ``keys``, else every
    snippet whose config says ``"test": {"live": true}`` (and not ``test.skip``). Each runs with its
    defaults (and ``sets``)."""
    named = list(dict.fromkeys(keys))
    snippets = []
    for key in named:
        snippet = ws.catalog.get(key)
        if snippet is None:
            close = ws.catalog.suggest(key)
            raise UsageError(
                f"unknown snippet {key!r}", hint=f"did you mean {' or '.join(close)}?" if close else None
            )
        snippets.append(snippet)
    if not named:
        snippets = [
            s for _, s in sorted(ws.catalog.snippets.items()) if is_live(s) and not s.test.get("skip")
        ]
    examples = []
    for snippet in snippets:
        langs = [lang] if lang else list(snippet.templates)
        for one in langs:
            if one in snippet.templates:
                where = Location(str(snippet.config_path), 1)
                usage = f"{snippet.config_path}::{snippet.key}"
                examples.append(Example(usage, one, where, snippet, dict(sets or {})))
    return examples


_UPSTREAM = re.compile(r"^https?://[^/\s?#]+/?$")


def parse_upstreams(pairs: Iterable[str]) -> dict[str, str]:
    """``API=URL`` pairs (``--upstream aimlapi=http://127.0.0.1:9000``) -> {api: origin}."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or not name.strip() or not _UPSTREAM.match(url.strip()):
            raise UsageError(
                f"--upstream {pair!r}: expected API=ORIGIN, e.g. aimlapi=https://api.aimlapi.com",
                hint="an origin only (scheme, host, port): the path of each request is kept as sent",
            )
        out[name.strip()] = url.strip().rstrip("/")
    return out


def upstreams_for(ws: Workspace, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """API name -> the origin a live run forwards to: ``overrides``, else the project's ``base_url``,
    else the spec's server. An API whose spec has no absolute server (a placeholder origin) has none
    unless given one: calls to it are refused."""
    overrides = dict(overrides or {})
    apis = ws.specs.apis if ws.specs is not None else {}
    unknown = sorted(set(overrides) - set(apis))
    if unknown:
        raise UsageError(
            f"--upstream names no API of the specs: {', '.join(unknown)}",
            hint=f"the APIs are: {', '.join(sorted(apis)) or 'none'}",
        )
    out: dict[str, str] = {}
    for name, api in apis.items():
        if name in overrides:
            out[name] = overrides[name]
            continue
        server = resolve_server(api.document, name, ws.project.api(name).base_url)
        if server.source != "placeholder":
            parts = urlsplit(server.url)
            out[name] = f"{parts.scheme}://{parts.netloc}"
    return out


class LiveRunner(Runner):
    """A :class:`~.run.Runner` whose "mock" is a running ``ProxyServer`` and whose examples carry
    the real keys of ``environ``."""

    def __init__(self, ws: Workspace, proxy: Any, *, environ: Mapping[str, str] | None = None, **kw: Any):
        if kw.get("timeout") is None:
            kw["timeout"] = LIVE_TIMEOUT
        super().__init__(ws, proxy, **kw)
        self.environ = os.environ if environ is None else environ

    def variables(self, example: Example) -> dict[str, Any]:
        snippet = example.snippet
        assert snippet is not None
        values = variables_for(snippet, example.overrides)  # no test.set: that is for the mock
        return {k: self.to_mock(v) for k, v in values.items()}

    def credentials(self, example: Example) -> dict[str, str]:
        return {name: self.environ[name] for name in self._key_envs(example) if self.environ.get(name)}

    def _timeout(self, example: Example) -> tuple[float, list[str]]:
        return self.timeout, []  # test.timeout is the mock's

    def run(self, example: Example) -> Outcome:
        if example.snippet is None:
            return Outcome(example, "", failures=["only snippets run live, not hand-written blocks"])
        missing = [name for name in self._key_envs(example) if not self.environ.get(name)]
        if missing:
            names = " and ".join(missing)
            return Outcome(
                example,
                "",
                failures=[
                    f"{names} {'is' if len(missing) == 1 else 'are'} not set: a live run reads the real key from it"
                ],
            )
        return super().run(example)


def run_live(
    ws: Workspace,
    examples: list[Example],
    *,
    upstreams: Mapping[str, str] | None = None,
    delay: float | None = None,
    timeout: float | None = None,
    sandbox: str | None = None,
    environ: Mapping[str, str] | None = None,
    notice: Callable[[str], Any] | None = None,
) -> tuple[list[Outcome], list[str]]:
    """Run ``examples`` live, one after another; returns their outcomes and the proxy's summary
    (``aimlapi: 3 calls, 0 violations`` per API called)."""
    from ..mock.server import ProxyServer  # the server pulls in uvicorn

    if ws.specs is None:
        raise UsageError("no specs: the validating proxy is built from them")
    targets = upstreams_for(ws, upstreams)
    wait = ws.project.live_delay if delay is None else delay
    if wait < 0:
        raise UsageError(f"--live-delay {wait:g}: must be 0 or more seconds")
    proxy: Any = ProxyServer(
        ws.project.specs_dir, targets, delay=wait, max_retry_after=MAX_RETRY_AFTER
    ).start()
    try:
        runner = LiveRunner(
            ws,
            proxy,
            node_modules=ws.project.node_modules,
            timeout=timeout,
            sandbox=sandbox,
            environ=environ,
            warm=False,
        )
    except BaseException:
        proxy.stop()
        raise
    if runner.unisolated and notice is not None:
        notice(f"examples run without kernel isolation: {runner.unisolated}")
    try:
        outcomes = [runner.run(example) for example in examples]
    finally:
        runner.close()
        proxy.stop()
    return outcomes, [runner.masker.mask(line) for line in proxy.summary()]
