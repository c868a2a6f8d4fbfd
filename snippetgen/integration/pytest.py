"""pytest plugin (entry point ``pytest11``): run every documentation example against the mock.

Inert unless enabled with ``--snippetgen`` or ``snippetgen = true`` in the pytest ini. Then each
``<snippet>`` embed in the docs pages, each un-embedded snippet and each hand-written code block that
calls an API becomes one test item per language, with a node id pytest resolves when it is passed
back: ``docs/video/kling.md::kling.text-to-video[line42-py]`` (``-k``, ``--lf``, ``--deselect`` work).

An example whose inputs are unchanged since it last passed is reported as passed from the result
cache (:mod:`snippetgen.runner.cache`) without running; ``--snippetgen-no-cache``,
``SNIPPETGEN_NO_CACHE=1`` or ``[tool.snippetgen] cache = false`` run everything.
``--snippetgen-shard i/n`` keeps the i-th of n shards of the collected tests (CI machines).

pytest imports this module in every run where snippetgen is installed, so the runner, the workspace
and the mock are imported inside the hooks that use them: only runs that enable the plugin load them.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import TerminalRepr

from ..errors import SnippetgenError
from ..project import Project

RUNNER_KEY = "snippetgen_session"
MOCK_SETTINGS: dict[str, Any] = {"polls_per_phase": 1, "stream_interval": 0.01}
"""The mock each slot starts (part of the result cache's key)."""
CACHED_PROPERTY = "snippetgen_cached"
"""``(CACHED_PROPERTY, True)`` in a report's user_properties: its example passed from the cache."""


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
        help="examples run at once in this process (default: 2 per CPU, at least 4, shared by xdist workers)",
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
    group.addoption(
        "--snippetgen-no-cache",
        action="store_true",
        help="run every example even if its inputs are unchanged since it last passed "
        "(also: SNIPPETGEN_NO_CACHE=1, [tool.snippetgen] cache = false)",
    )
    group.addoption(
        "--snippetgen-shard",
        default=None,
        metavar="I/N",
        help="run only the I-th of N shards of the collected tests (1-based; same split on every machine)",
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
        self.shard = _shard_option(config)
        # The result cache (None: bypassed, or not loaded yet), the key of each example looked up,
        # and the ids whose outcome came from it.
        self._cache: Any = None
        self._keyer: Any = None
        self._keys: dict[str, str] = {}
        self.cached: dict[str, dict[str, Any]] = {}
        """Example id -> the record row stored with it, for the examples that passed from the cache."""
        self._by_usage: dict[str, list[Any]] | None = None
        self._by_file: dict[str, list[Any]] = {}

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
        from_cache = sum(
            1
            for report in terminalreporter.stats.get("passed", [])
            if (CACHED_PROPERTY, True) in getattr(report, "user_properties", ())
        )
        if from_cache:
            terminalreporter.write_line(
                f"snippetgen: {from_cache} example{'s' * (from_cache != 1)} from cache "
                "(inputs unchanged since they passed; --snippetgen-no-cache runs them)"
            )
        line, warning = self._isolation_line()
        if not warning:
            return
        ids = {f"{e.file}::{e.test_name}" for examples in self.examples_by_file().values() for e in examples}
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
                self._examples.setdefault(example.file, []).append(example)
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
        # Examples mostly wait (their polls, the mock): 2 slots per CPU keep the CPUs busy (measured by
        # bench/run_examples.py), and each slot's start (a mock, a cell, its warm runtimes) is paid
        # only that often.
        pool = max(4, 2 * (os.cpu_count() or 1))
        if hasattr(self.config, "workerinput"):  # xdist: the workers share the machine's pool
            workers = int(getattr(self.config, "workerinput", {}).get("workercount", 1) or 1)
            return max(3, pool // workers)
        return pool

    def _slot(self) -> Any:
        if self.live:
            return self._live_slot()
        from ..mock import MockServer, MockSettings  # the server pulls in uvicorn
        from ..runner import Runner  # only when enabled

        mock = MockServer(self.project.specs_dir, settings=MockSettings(**MOCK_SETTINGS)).start()
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
            if example.id in self._futures:
                continue
            hit = self._from_cache(example)
            if hit is not None:
                done: Future = Future()
                done.set_result(hit)
                self._futures[example.id] = done
            else:
                self._futures[example.id] = self._pool.submit(self._run_on_a_slot, example)

    def to_submit(self, item: ExampleItem) -> list[Any]:
        """What to start running when ``item`` runs: every selected example on the first item
        (once); under xdist, every selected example of the item's file (our scheduler sends a file's
        examples to one worker together), or with another ``--dist`` this usage's tabs (one sent
        elsewhere also runs here when this tab is compared with it)."""
        if self._by_usage is None:
            self._by_usage, self._by_file = {}, {}
            for i in item.session.items:
                if isinstance(i, ExampleItem) and not (
                    i.example.snippet and i.example.snippet.test.get("skip")
                ):
                    self._by_usage.setdefault(i.example.usage, []).append(i.example)
                    self._by_file.setdefault(i.example.file, []).append(i.example)
            if not hasattr(self.config, "workerinput"):
                return [example for examples in self._by_usage.values() for example in examples]
        if hasattr(self.config, "workerinput"):
            if self.config.getvalue("dist") in ("load", "loadgroup"):
                return self._by_file.get(item.example.file, [])
            return self._by_usage.get(item.example.usage, [])
        return []

    def outcome(self, example: Any) -> Any:
        self.submit([example])
        result = self._futures[example.id].result()
        self.outcomes[example.id] = result
        return result

    # -- the result cache ---------------------------------------------------------------------
    def cache_enabled(self) -> bool:
        from ..runner.cache import disabled_by_env  # only when enabled

        return not (
            self.live  # a live run asks the real API now: never answered from the mock's cache
            or self.config.getoption("--snippetgen-no-cache")
            or self.config.getoption("--snippetgen-keep")  # the folders are wanted: run them
            or disabled_by_env()
            or not getattr(self.project, "cache", True)
        )

    def _open_cache(self) -> Any:
        """The result cache and its keyer, made on the first lookup (None when bypassed)."""
        if self._cache is None and self.cache_enabled():
            from ..runner.cache import Keyer, ResultCache  # only when enabled

            settings = cache_settings(self.sandbox, self.config.getoption("--snippetgen-timeout"))
            self._keyer = Keyer(self._ws, settings, node_modules=self.node_modules)
            self._cache = ResultCache(self.project.record_path.parent / "cache", self._writer())
            for problem in self._cache.problems:
                warnings.warn(pytest.PytestWarning(problem), stacklevel=1)
            self._cache.problems.clear()
        return self._cache

    def _from_cache(self, example: Any) -> Any:
        """The outcome of a passing earlier run of ``example`` with the same inputs, or None."""
        cache = self._open_cache()
        if cache is None:
            return None
        from ..runner import Outcome  # only when enabled

        key = self._keyer.key(example)  # None: it does not render, so it runs (and fails)
        if key is None:
            return None
        self._keys[example.id] = key
        entry = cache.get(key)
        if entry is None:
            return None
        self.cached[example.id] = entry.row
        return Outcome(example, entry.code, requests=entry.requests)

    def _writer(self) -> str:
        # config.workerinput exists only on pytest-xdist workers (an environment variable would be
        # inherited by a nested pytest run and misname its record).
        worker = getattr(self.config, "workerinput", {}).get("workerid", "main")
        return f"shard{self.shard[0]}of{self.shard[1]}-{worker}" if self.shard else worker

    def _write_record_and_cache(self) -> None:
        """The execution record (a cached example's stored row, marked ``"cached": true``), and the
        passing rows of this run into the cache."""
        from ..runner import write_record  # only when enabled
        from ..secrets import mask  # only when enabled

        path = self.project.record_path.parent / "runs" / f"{self._writer()}.json"
        fresh = [o for i, o in self.outcomes.items() if i not in self.cached]
        write_record(path, fresh)
        if self._cache is None and not self.cached:
            return
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))["executed"]
        except (OSError, ValueError, KeyError):
            return
        by_id = {row.get("id"): row for row in rows if isinstance(row, dict)}
        for outcome in fresh:
            key = self._keys.get(outcome.example.id)
            row = by_id.get(outcome.example.id)
            if self._cache is not None and key and row is not None and outcome.passed and row.get("passed"):
                self._cache.put(key, row, outcome.code, outcome.requests)
        for example_id, stored in self.cached.items():
            outcome = self.outcomes.get(example_id)
            if outcome is None:  # looked up for a comparison, its own item not run here
                continue
            ex = outcome.example
            current = {"id": ex.id, "usage": ex.usage, "snippet": ex.snippet.key if ex.snippet else None}
            rows.append({**stored, **current, "lang": ex.lang, "passed": outcome.passed, "cached": True})
        path.write_text(mask(json.dumps({"executed": rows}, indent=1)), encoding="utf-8")
        if self._cache is not None:
            self._cache.save()
            for problem in self._cache.problems:
                warnings.warn(pytest.PytestWarning(problem), stacklevel=1)

    # -- pytest-xdist: a usage's tabs go to one worker -----------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Under ``--dist load`` or ``loadgroup``, schedule a file's examples as one unit: a
        usage's tabs are compared with each other, and the worker that gets a page starts all its
        examples at once on its pool, beside the unit tests other workers run. Read from the node
        ids themselves: an ``xdist_group`` mark would append ``@group`` to every node id, which
        pytest cannot resolve when passed back."""
        if config.getvalue("dist") not in ("load", "loadgroup"):
            return None
        from xdist.scheduler import LoadGroupScheduling  # type: ignore[import-untyped]

        class UsageScheduling(LoadGroupScheduling):
            def _split_scope(self, nodeid: str) -> str:
                return example_file_scope(nodeid) or super()._split_scope(nodeid)

        return UsageScheduling(config, log)

    # -- sharding ------------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.shard is None:
            return
        from ..runner.collect import assign_shards  # only when enabled

        units: dict[str, tuple[str, int]] = {}
        unit_of: dict[str, str] = {}
        for item in items:
            if isinstance(item, ExampleItem):
                # A usage's tabs stay together: each is compared with the first.
                unit, kind = f"example {item.example.usage}", "example"
            else:
                unit, kind = f"tests {item.nodeid.split('::', 1)[0]}", "tests"
            unit_of[item.nodeid] = unit
            units[unit] = (kind, units.get(unit, (kind, 0))[1] + 1)
        shards = assign_shards(units, self.shard[1])
        keep = [i for i in items if shards[unit_of[i.nodeid]] == self.shard[0]]
        dropped = [i for i in items if shards[unit_of[i.nodeid]] != self.shard[0]]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for runner in self._slots_made:
            runner.close()
            runner.mock.stop()
            if self.live:
                self.live_summary += [runner.masker.mask(line) for line in runner.mock.summary()]
        if self.outcomes and not self.live:  # the record proves examples against the mock only
            self._write_record_and_cache()

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput") and not self.live:
            runs = self.project.record_path.parent / "runs"
            if runs.is_dir():
                for old in runs.glob("*.json"):
                    old.unlink()


_EXAMPLE_ID = re.compile(r"(?P<usage>.+?(?:\.md|/config\.json)::[^\[\]]+\[(?:line\d+-)?)[^\[\]-]+\]")


def usage_scope(nodeid: str) -> str | None:
    """The usage an example's node id belongs to (``docs/a.md::key[line3-``), else None."""
    match = _EXAMPLE_ID.fullmatch(nodeid)
    return match.group("usage") if match else None


def example_file_scope(nodeid: str) -> str | None:
    """The file an example's node id belongs to (``docs/a.md``), else None (not an example)."""
    usage = usage_scope(nodeid)
    return usage.split("::", 1)[0] if usage else None


def cache_settings(sandbox: str, timeout: float | None) -> dict[str, Any]:
    """What of a test session, beyond the workspace, the result cache keys examples by."""
    from ..runner import isolation  # only when enabled

    return {
        "mock": MOCK_SETTINGS,
        "timeout": timeout,
        "sandbox": sandbox,
        "isolated": sandbox != "off" and isolation.support().available,
    }


def _shard_option(config: pytest.Config) -> tuple[int, int] | None:
    value = config.getoption("--snippetgen-shard")
    if value is None:
        return None
    from ..runner.collect import parse_shard  # only when enabled

    shard = parse_shard(value)
    if shard is None:
        raise pytest.UsageError(
            f"--snippetgen-shard {value!r}: expected I/N, the I-th of N shards, 1 <= I <= N (e.g. 2/3)"
        )
    return shard


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
            # No xdist_group mark (see pytest_xdist_make_scheduler); a worker that gets a tab
            # without its first tab all the same (another --dist) runs that one too, to compare.
            # The node id given as text: pytest 9 then parses the "[...]" into params, as it does
            # for an id read back from --lf's cache (a child id built from the name would not).
            name = example.test_name
            yield ExampleItem.from_parent(self, name=name, example=example, nodeid=f"{self.nodeid}::{name}")


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
        session.submit(session.to_submit(self))
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
        if self.example.id in session.cached:
            self.user_properties.append((CACHED_PROPERTY, True))
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
