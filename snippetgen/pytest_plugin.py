"""pytest plugin (entry point ``pytest11``): run every documentation example against the mock.

Inert unless enabled with ``--snippetgen`` or ``snippetgen = true`` in the pytest ini. Then each
``<snippet>`` embed in the docs pages, each un-embedded snippet and each hand-written code block that
calls an API becomes one test item per language, with an id a docs author can open:
``docs/video/kling.md:42::kling.text-to-video::py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

RUNNER_KEY = "snippetgen_session"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("snippetgen", "run documentation examples against the mock")
    group.addoption("--snippetgen", action="store_true", default=None,
                    help="collect and run every rendered example of this project")
    group.addoption("--snippetgen-timeout", type=float, default=None, help="seconds per example (default 30)")
    group.addoption("--snippetgen-keep", action="store_true", help="keep each example's working folder")
    parser.addini("snippetgen", type="bool", default=False, help="enable the snippetgen example runner")
    parser.addini("snippetgen_root", default="", help="project folder (default: the rootdir)")
    parser.addini("snippetgen_node_modules", default="", help="node_modules the JavaScript examples import from")


def _enabled(config: pytest.Config) -> bool:
    opt = config.getoption("--snippetgen")
    return bool(opt) if opt is not None else bool(config.getini("snippetgen"))


def pytest_configure(config: pytest.Config) -> None:
    if _enabled(config):
        config.pluginmanager.register(ExampleSession(config), RUNNER_KEY)


class ExampleSession:
    """Per-process state: the workspace, the collected examples, and (lazily) a mock and runner."""

    def __init__(self, config: pytest.Config):
        from .project import Project

        self.config = config
        root = config.getini("snippetgen_root") or str(config.rootpath)
        self.project = Project.load(Path(config.rootpath, root))
        node_modules = config.getini("snippetgen_node_modules")
        self.node_modules = Path(self.project.root, node_modules) if node_modules else self.project.node_modules
        self._examples: dict[str, list[Any]] | None = None
        self._ws: Any = None
        self._mock: Any = None
        self._runner: Any = None
        self.outcomes: dict[str, Any] = {}

    # -- collection --------------------------------------------------------------------------
    def examples_by_file(self) -> dict[str, list[Any]]:
        if self._examples is None:
            from .check import load_workspace
            from .runner import collect_examples

            self._ws, _ = load_workspace(self.project)
            self._examples = {}
            for example in collect_examples(self._ws):
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
    def runner(self) -> Any:
        if self._runner is None:
            from .mock import MockServer, MockSettings
            from .runner import Runner

            settings = MockSettings(polls_per_phase=1, stream_interval=0.01)
            self._mock = MockServer(self.project.specs_dir, settings=settings).start()
            timeout = self.config.getoption("--snippetgen-timeout")
            self._runner = Runner(self._ws, self._mock, node_modules=self.node_modules,
                                  keep=bool(self.config.getoption("--snippetgen-keep")),
                                  **({"timeout": timeout} if timeout else {}))
        return self._runner

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._runner is not None:
            self._runner.close()
            self._mock.stop()
        if self.outcomes:
            from .runner import write_record

            # config.workerinput exists only on pytest-xdist workers (an environment variable would be
            # inherited by a nested pytest run and misname its record).
            worker = getattr(self.config, "workerinput", {}).get("workerid", "main")
            write_record(self.project.record_path.parent / "runs" / f"{worker}.json", list(self.outcomes.values()))

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput"):
            runs = self.project.record_path.parent / "runs"
            if runs.is_dir():
                for old in runs.glob("*.json"):
                    old.unlink()


class ExampleFile(pytest.File):
    """A docs page or a snippet's config.json, holding that file's examples."""

    def __init__(self, *, rel: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.rel = rel

    def collect(self):  # noqa: ANN201
        session: ExampleSession = self.config.pluginmanager.get_plugin(RUNNER_KEY)
        for example in session.examples_by_file()[self.rel]:
            item = ExampleItem.from_parent(self, name=example.id.split("::", 1)[1], example=example,
                                           nodeid=example.id)
            item.add_marker(pytest.mark.xdist_group(example.usage))
            yield item


class ExampleFailed(Exception):
    """Raised by an example item; carries the full report."""


class ExampleItem(pytest.Item):
    def __init__(self, *, example: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.example = example

    def runtest(self) -> None:
        from .languages import get_language
        from .runner import report
        from .runner.verify import drift

        session: ExampleSession = self.config.pluginmanager.get_plugin(RUNNER_KEY)
        skip = self.example.snippet.test.get("skip") if self.example.snippet else None
        if skip:
            pytest.skip(f"{self.example.snippet.config_path}: test.skip: {skip}")
        outcome = session.runner().run(self.example)
        session.outcomes[self.example.id] = outcome
        if self.example.snippet is not None and outcome.passed:
            siblings = {lang: session.outcomes.get(f"{self.example.usage}::{lang}")
                        for lang in self.example.snippet.templates}
            done = {lang: o.requests for lang, o in siblings.items() if o is not None and o.passed}
            if self.example.lang in done and len(done) > 1:
                labels = {lang: get_language(lang).label for lang in done}
                ordered = {lang: done[lang] for lang in self.example.snippet.templates if lang in done}
                first = next(iter(ordered))
                pair = {first: ordered[first], self.example.lang: ordered[self.example.lang]}
                outcome.failures += drift(pair, labels) if first != self.example.lang else []
        if not outcome.passed:
            raise ExampleFailed(report(outcome))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ExampleFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # The domain must not contain dots: pytest turns them into "::" when it prints the id.
        return self.path, (self.example.location.line or 1) - 1, self.example.lang
