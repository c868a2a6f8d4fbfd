"""pytest plugin (entry point ``pytest11``): run every documentation example against the mock.

Inert unless enabled with ``--snippetgen`` or ``snippetgen = true`` in the pytest ini. Then each
``<snippet>`` embed in the docs pages, each un-embedded snippet and each hand-written code block that
calls an API becomes one test item per language, with an id a docs author can open:
``docs/video/kling.md:42::kling.text-to-video::py``.

pytest imports this module in every run where snippetgen is installed, so the runner, the workspace
and the mock are imported inside the hooks that use them: only runs that enable the plugin load them.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import TerminalRepr

from ..errors import SnippetgenError
from ..project import Project

RUNNER_KEY = "snippetgen_session"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("snippetgen", "run documentation examples against the mock")
    group.addoption(
        "--snippetgen",
        action="store_true",
        default=None,
        help="collect and run every rendered example of this project",
    )
    group.addoption("--snippetgen-timeout", type=float, default=None, help="seconds per example (default 30)")
    group.addoption("--snippetgen-keep", action="store_true", help="keep each example's working folder")
    group.addoption(
        "--snippetgen-sandbox",
        choices=("required", "auto", "off"),
        default=None,
        help="kernel isolation of examples (default: [tool.snippetgen] sandbox, else auto)",
    )
    group.addoption(
        "--snippetgen-jobs",
        type=int,
        default=None,
        help="examples run at once in this process (default: 3 per CPU; 3 under xdist)",
    )
    group.addoption(
        "--snippetgen-live",
        action="store_true",
        default=False,
        help='run the examples whose config says "test": {"live": true} against the real APIs, '
        "through the validating proxy, with the real keys of the environment (one at a time)",
    )
    group.addoption(
        "--snippetgen-upstream",
        action="append",
        default=[],
        metavar="API=ORIGIN",
        help="live runs: forward API to this origin instead of its spec server or base_url",
    )
    group.addoption(
        "--snippetgen-live-delay",
        type=float,
        default=None,
        help="live runs: seconds between two calls (default: [tool.snippetgen] live_delay, else 1)",
    )
    parser.addini("snippetgen", type="bool", default=False, help="enable the snippetgen example runner")
    parser.addini("snippetgen_root", default="", help="project folder (default: the rootdir)")
    parser.addini(
        "snippetgen_node_modules", default="", help="node_modules the JavaScript examples import from"
    )


def _enabled(config: pytest.Config) -> bool:
    if config.getoption("--snippetgen-live"):
        return True
    opt = config.getoption("--snippetgen")
    return bool(opt) if opt is not None else bool(config.getini("snippetgen"))


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--snippetgen-live") and (getattr(config.option, "numprocesses", None) or 0):
        raise pytest.UsageError("--snippetgen-live runs one example at a time: add -n 0")
    if _enabled(config):
        config.pluginmanager.register(ExampleSession(config), RUNNER_KEY)


class ExampleSession:
    """Per-process state: the workspace, the collected examples, and (lazily) a mock and runner."""

    def __init__(self, config: pytest.Config):
        self.config = config
        root = config.getini("snippetgen_root") or str(config.rootpath)
        self.project = Project.load(Path(config.rootpath, root))
        node_modules = config.getini("snippetgen_node_modules")
        self.node_modules = (
            Path(self.project.root, node_modules) if node_modules else self.project.node_modules
        )
        self._examples: dict[str, list[Any]] | None = None
        self._ws: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        self._slots_made: list[Any] = []
        self._lock = threading.Lock()
        self._slot_error: Exception | None = None
        self.outcomes: dict[str, Any] = {}
        self.sandbox: str = config.getoption("--snippetgen-sandbox") or self.project.sandbox
        self.live = bool(config.getoption("--snippetgen-live"))
        """Run the opted-in examples against the real APIs (``runner/live.py``), serially."""
        self.live_summary: list[str] = []

    # -- isolation: said once per session (by the controller under xdist) ---------------------
    def _isolation_line(self) -> tuple[str, bool]:
        """What the session says about kernel isolation, and whether it is a warning."""
        from ..runner import isolation  # only when enabled

        if self.sandbox == "off":
            return 'examples run without kernel isolation: sandbox = "off"', True
        found = isolation.support()
        if found.available:
            return "examples run in kernel isolation (bubblewrap)", False
        if self.sandbox == "required":
            return f'examples fail: sandbox = "required" but {found.why}', True
        return f"examples run without kernel isolation: {found.why}", True

    def pytest_report_header(self, config: pytest.Config) -> str | None:
        line, warning = self._isolation_line()
        return None if warning else f"snippetgen: {line}"  # a warning comes once, at the end

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workerinput"):
            return
        for summary in self.live_summary:
            terminalreporter.write_line(f"snippetgen live: {summary}")
        line, warning = self._isolation_line()
        if not warning:
            return
        ids = {example.id for examples in self.examples_by_file().values() for example in examples}
        reports = [r for kind in terminalreporter.stats.values() for r in kind]
        if any(getattr(report, "nodeid", None) in ids for report in reports):  # examples ran in this session
            terminalreporter.write_line(f"snippetgen: {line}", yellow=True, bold=True)

    # -- collection --------------------------------------------------------------------------
    def examples_by_file(self) -> dict[str, list[Any]]:
        if self._examples is None:
            from ..runner import collect_examples  # only when enabled (see the module docstring)
            from ..workspace import load_workspace  # only when enabled

            self._ws, _ = load_workspace(self.project)
            self._examples = {}
            if self.live:
                from ..runner.live import live_examples  # only when enabled

                examples = live_examples(self._ws)
            else:
                examples = collect_examples(self._ws)
            for example in examples:
                file = example.usage.split("::", 1)[0].rsplit(":", 1)[0] if example.usage.count("::") else ""
                self._examples.setdefault(file, []).append(example)
        return self._examples

    @pytest.hookimpl
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        try:
            rel = str(file_path.resolve().relative_to(self.project.root))
        except ValueError:
            return None
        if rel in self.examples_by_file():
            return ExampleFile.from_parent(parent, path=file_path, rel=rel)
        return None

    # -- running -----------------------------------------------------------------------------
    # Examples spend most of their time waiting (process start-up, polling, streams), so they run
    # concurrently on a pool of slots. A slot is a complete sandbox of its own: a mock server (so
    # its request log holds only its example's requests), an egress guard and a warm Python. Each
    # example still gets its own process, folder, environment and timeout.
    def jobs(self) -> int:
        wanted = self.config.getoption("--snippetgen-jobs")
        if self.live:
            return 1  # a live run calls the real APIs one example at a time
        if wanted:
            return max(1, wanted)
        if hasattr(self.config, "workerinput"):
            return 3  # xdist spreads usages over workers; a usage's tabs run side by side
        return max(4, 3 * (os.cpu_count() or 1))

    def _slot(self) -> Any:
        if self.live:
            return self._live_slot()
        from ..mock import MockServer, MockSettings  # the server pulls in uvicorn
        from ..runner import Runner  # only when enabled

        settings = MockSettings(polls_per_phase=1, stream_interval=0.01)
        mock = MockServer(self.project.specs_dir, settings=settings).start()
        timeout = self.config.getoption("--snippetgen-timeout")
        try:
            runner = Runner(
                self._ws,
                mock,
                node_modules=self.node_modules,
                keep=bool(self.config.getoption("--snippetgen-keep")),
                sandbox=self.sandbox,
                timeout=timeout,
            )
        except BaseException:
            mock.stop()
            raise
        self._slots_made.append(runner)
        return runner

    def _live_slot(self) -> Any:
        from ..mock import ProxyServer  # the server pulls in uvicorn
        from ..runner.live import MAX_RETRY_AFTER, LiveRunner, parse_upstreams, upstreams_for  # when enabled

        targets = upstreams_for(self._ws, parse_upstreams(self.config.getoption("--snippetgen-upstream")))
        delay = self.config.getoption("--snippetgen-live-delay")
        proxy = ProxyServer(
            self.project.specs_dir,
            targets,
            delay=self.project.live_delay if delay is None else max(0.0, delay),
            max_retry_after=MAX_RETRY_AFTER,
        ).start()
        try:
            runner = LiveRunner(
                self._ws,
                proxy,
                node_modules=self.node_modules,
                keep=bool(self.config.getoption("--snippetgen-keep")),
                sandbox=self.sandbox,
                timeout=self.config.getoption("--snippetgen-timeout"),
                warm=False,
            )
        except BaseException:
            proxy.stop()
            raise
        self._slots_made.append(runner)
        return runner

    def _run_on_a_slot(self, example: Any) -> Any:
        try:
            runner = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                if self._slot_error is not None:
                    raise self._slot_error from None
                try:
                    runner = self._slot()
                except SnippetgenError as exc:  # e.g. sandbox = "required" on a machine without it
                    self._slot_error = exc
                    raise
        try:
            return runner.run(example)
        finally:
            self._free.put(runner)

    def submit(self, examples: list[Any]) -> None:
        """Start running these examples in the background (each at most once)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.jobs(), thread_name_prefix="snippetgen")
        for example in examples:
            if example.id not in self._futures:
                self._futures[example.id] = self._pool.submit(self._run_on_a_slot, example)

    def outcome(self, example: Any) -> Any:
        self.submit([example])
        result = self._futures[example.id].result()
        self.outcomes[example.id] = result
        return result

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for runner in self._slots_made:
            runner.close()
            runner.mock.stop()
            if self.live:
                self.live_summary += [runner.masker.mask(line) for line in runner.mock.summary()]
        if self.outcomes and not self.live:  # the record proves examples against the mock only
            from ..runner import write_record  # only when enabled

            # config.workerinput exists only on pytest-xdist workers (an environment variable would be
            # inherited by a nested pytest run and misname its record).
            worker = getattr(self.config, "workerinput", {}).get("workerid", "main")
            write_record(
                self.project.record_path.parent / "runs" / f"{worker}.json", list(self.outcomes.values())
            )

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput") and not self.live:
            runs = self.project.record_path.parent / "runs"
            if runs.is_dir():
                for old in runs.glob("*.json"):
                    old.unlink()


def _session(config: pytest.Config) -> ExampleSession:
    session = config.pluginmanager.get_plugin(RUNNER_KEY)
    assert isinstance(session, ExampleSession), "the snippetgen session is registered when enabled"
    return session


class ExampleFile(pytest.File):
    """A docs page or a snippet's config.json, holding that file's examples."""

    def __init__(self, *, rel: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.rel = rel

    def collect(self) -> Iterator[pytest.Item]:
        session = _session(self.config)
        for example in session.examples_by_file()[self.rel]:
            item = ExampleItem.from_parent(
                self, name=example.id.split("::", 1)[1], example=example, nodeid=example.id
            )
            item.add_marker(pytest.mark.xdist_group(example.usage))
            yield item


class ExampleFailed(Exception):
    """Raised by an example item; carries the full report."""


class ExampleItem(pytest.Item):
    def __init__(self, *, example: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.example = example

    def runtest(self) -> None:
        from ..runner import report  # only when enabled
        from ..runner.verify import tab_drift  # only when enabled: it loads the whole runner package

        session = _session(self.config)
        skip = self.example.snippet.test.get("skip") if self.example.snippet else None
        if skip:
            pytest.skip(f"{self.example.snippet.config_path}: test.skip: {skip}")
        if hasattr(self.config, "workerinput"):
            # Under xdist only this usage's tabs are known to run here (xdist_group keeps them together).
            session.submit(
                [
                    i.example
                    for i in self.session.items
                    if isinstance(i, ExampleItem) and i.example.usage == self.example.usage
                ]
            )
        else:
            session.submit(
                [
                    i.example
                    for i in self.session.items
                    if isinstance(i, ExampleItem)
                    and not (i.example.snippet and i.example.snippet.test.get("skip"))
                ]
            )
        outcome = session.outcome(self.example)
        snippet = self.example.snippet
        if snippet is not None and outcome.passed:
            # Compare with the first tab of the same usage (the one the others must agree with).
            first = next(
                (lang for lang in snippet.templates if f"{self.example.usage}::{lang}" in session._futures),
                None,
            )
            if first is not None and first != self.example.lang:
                outcome.failures += tab_drift(
                    outcome, session._futures[f"{self.example.usage}::{first}"].result()
                )
        if not outcome.passed:
            raise ExampleFailed(report(outcome))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, ExampleFailed):
            return str(excinfo.value)
        if isinstance(excinfo.value, SnippetgenError):  # e.g. the mock cannot start: one line, no traceback
            return f"{self.example.location}: example {self.example.id} could not run: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # The domain must not contain dots: pytest turns them into "::" when it prints the id.
        return self.path, (self.example.location.line or 1) - 1, self.example.lang
