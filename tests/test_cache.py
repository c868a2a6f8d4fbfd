"""The exact result cache: an example re-runs exactly when one of its inputs changed, never hides a
broken template, and can be bypassed. The real plugin runs in a pytest subprocess on a small project
with two APIs; which examples ran is read from the execution record (``"cached": true`` rows)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, ProjectFactory

from snippetgen.project import Project
from snippetgen.runner import collect_examples
from snippetgen.runner.cache import Keyer, ResultCache
from snippetgen.workspace import load_workspace

pytest_plugins = ["pytester"]


def spec(api: str, op: str, path: str, description: str = "OK") -> str:
    return textwrap.dedent(f"""\
        openapi: 3.1.0
        info: {{title: {api}, version: "1.0"}}
        servers: [{{url: "https://api.{api}.test/v1"}}]
        paths:
          {path}:
            post:
              operationId: {op}
              summary: Call {op}
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [prompt]
                      properties: {{prompt: {{type: string}}}}
              responses:
                "200":
                  description: {description}
                  content:
                    application/json:
                      schema: {{type: object, properties: {{ok: {{type: boolean}}}}}}
                      example: {{ok: true}}
                "400":
                  description: Bad request
                  content:
                    application/json:
                      schema: {{type: object, properties: {{error: {{type: string}}}}}}
                      example: {{error: bad}}
        """)


PY = textwrap.dedent("""\
    import requests

    r = requests.post({{ baseUrl | lit }} + {{ path | lit }}, json={"prompt": {{ prompt | lit }}}, timeout=10)
    r.raise_for_status()
    print(r.json())
    """)
CURL = textwrap.dedent("""\
    curl -sS --fail-with-body {{ (baseUrl ~ path) | lit }} -H 'Content-Type: application/json' \\
      --data {{ {"prompt": prompt} | json | sh }}
    """)


def config(api: str, op: str, path: str, **extra):
    payload = {"baseUrl": f"https://api.{api}.test/v1", "path": path, "prompt": "hello"}
    return {"title": op, "operations": [f"{api}:{op}"], "payload": payload, **extra}


@pytest.fixture
def two_apis(pytester):
    """tiny.echo (embedded on docs/index.md) and other.ping (unembedded), each in py and curl."""
    factory = ProjectFactory(pytester.path)
    factory.spec("tiny", spec("tiny", "echo", "/echo"))
    factory.spec("other", spec("other", "ping", "/ping"))
    factory.snippet("tiny.echo", config("tiny", "echo", "/echo"), py=PY, curl=CURL)
    factory.snippet("other.ping", config("other", "ping", "/ping"), py=PY, curl=CURL)
    factory.page("index.md", '# Echo\n\n<snippet data-name="tiny.echo"></snippet>\n')
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = docs shared/snippets\n")
    return factory


ECHO = ("docs/index.md:3::tiny.echo::py", "docs/index.md:3::tiny.echo::curl")
PING = (
    "shared/snippets/other/ping/config.json::other.ping::py",
    "shared/snippets/other/ping/config.json::other.ping::curl",
)
ALL = {*ECHO, *PING}


def run(pytester, *args, env=None):
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def rows(pytester) -> dict[str, dict]:
    runs = pytester.path / ".snippetgen" / "runs"
    found: dict[str, dict] = {}
    for path in runs.glob("*.json"):
        found.update({row["id"]: row for row in json.loads(path.read_text())["executed"]})
    return found


def ran(pytester, result) -> set[str]:
    """Ids of the examples that ran in this session (not from the cache); every one passed."""
    record = rows(pytester)
    assert all(row["passed"] for row in record.values()), result.stdout.str()
    return {i for i, row in record.items() if not row.get("cached")}


def test_each_input_reruns_exactly_the_examples_it_affects(pytester, two_apis):
    result = run(pytester)
    result.assert_outcomes(passed=4)
    assert ran(pytester, result) == ALL
    assert "from cache" not in result.stdout.str()

    result = run(pytester, "-v")  # nothing changed
    result.assert_outcomes(passed=4)
    assert ran(pytester, result) == set()
    result.stdout.fnmatch_lines(
        ["*docs/index.md::tiny.echo[[]line3-py[]] PASSED*", "snippetgen: 4 examples from cache*"]
    )
    record = rows(pytester)
    assert all(row["cached"] and row["operations"] for row in record.values())  # the stored rows, re-emitted

    # One template: its usages in that language only (the other tab is still compared with it).
    folder = pytester.path / "shared" / "snippets" / "tiny" / "echo"
    (folder / "py.jinja").write_text(PY.replace("print(r.json())", "print('done', r.json())"))
    result = run(pytester)
    result.assert_outcomes(passed=4)
    assert ran(pytester, result) == {ECHO[0]}
    result.stdout.fnmatch_lines(["snippetgen: 3 examples from cache*"])

    # The snippet's test settings: both of its tabs.
    cfg = config("tiny", "echo", "/echo", test={"timeout": 25})
    (folder / "config.json").write_text(json.dumps(cfg))
    assert ran(pytester, run(pytester)) == set(ECHO)

    # An override on the page (the rendered code changes); moving the embed alone changes nothing.
    two_apis.page("index.md", '# Echo\n\nMoved.\n\n<snippet data-name="tiny.echo"></snippet>\n')
    result = run(pytester)
    assert ran(pytester, result) == set()
    assert set(rows(pytester)) == {
        "docs/index.md:5::tiny.echo::py",
        "docs/index.md:5::tiny.echo::curl",
        *PING,
    }
    two_apis.page(
        "index.md", '# Echo\n\nMoved.\n\n<snippet data-name="tiny.echo" data-prompt="hi"></snippet>\n'
    )
    assert ran(pytester, run(pytester)) == {
        "docs/index.md:5::tiny.echo::py",
        "docs/index.md:5::tiny.echo::curl",
    }

    # One spec: the examples calling that API only.
    two_apis.spec("other", spec("other", "ping", "/ping", description="Pinged"))
    assert ran(pytester, run(pytester)) == set(PING)

    # The sandbox mode and the session's timeout: everything.
    assert len(ran(pytester, run(pytester, "--snippetgen-sandbox", "off"))) == 4
    assert ran(pytester, run(pytester, "--snippetgen-sandbox", "off")) == set()
    assert len(ran(pytester, run(pytester, "--snippetgen-timeout", "29"))) == 4


def test_bypassed_by_option_environment_and_setting(pytester, two_apis):
    run(pytester).assert_outcomes(passed=4)
    for args, env in (
        (["--snippetgen-no-cache"], None),
        ([], {"SNIPPETGEN_NO_CACHE": "1"}),
    ):
        result = run(pytester, *args, env=env)
        result.assert_outcomes(passed=4)
        assert ran(pytester, result) == ALL
        assert "from cache" not in result.stdout.str()
    (pytester.path / "pyproject.toml").write_text("[tool.snippetgen]\ncache = false\n")
    assert ran(pytester, run(pytester)) == ALL
    (pytester.path / "pyproject.toml").write_text("[tool.snippetgen]\ncache = true\n")
    assert ran(pytester, run(pytester)) == set()


def test_a_broken_template_is_never_hidden_and_failures_are_not_stored(pytester, two_apis):
    run(pytester).assert_outcomes(passed=4)
    folder = pytester.path / "shared" / "snippets" / "tiny" / "echo"
    good = (folder / "py.jinja").read_text()
    (folder / "py.jinja").write_text(good.replace("{{ prompt | lit }}", "{{ promt | lit }}"))  # undefined
    result = run(pytester)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*could not render*promt*"])
    # Renders, but fails when run: it fails again on the next run (a failure is never stored).
    (folder / "py.jinja").write_text(good.replace("/echo", "/nowhere").replace("{{ path | lit }}", "'/x'"))
    for _ in range(2):
        result = run(pytester)
        result.assert_outcomes(passed=3, failed=1)
        result.stdout.fnmatch_lines(["*matched no operation*", "snippetgen: 3 examples from cache*"])
    (folder / "py.jinja").write_text(good)
    result = run(pytester)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["snippetgen: 4 examples from cache*"])  # the good version passed before


def test_a_cached_tab_is_still_compared_with_its_first_tab(pytester, two_apis):
    run(pytester).assert_outcomes(passed=4)
    folder = pytester.path / "shared" / "snippets" / "tiny" / "echo"
    (folder / "py.jinja").write_text(PY.replace('{"prompt": {{ prompt | lit }}}', '{"prompt": "other"}'))
    result = run(pytester)
    result.assert_outcomes(passed=3, failed=1)  # the curl tab (from the cache) now differs from py
    result.stdout.fnmatch_lines(["*cURL tab sends a different tiny:echo request than the Python tab*"])
    assert rows(pytester)[ECHO[1]] == {**rows(pytester)[ECHO[1]], "cached": True, "passed": False}


def test_a_corrupt_cache_file_is_ignored_with_a_warning(pytester, two_apis):
    run(pytester).assert_outcomes(passed=4)
    cache = pytester.path / ".snippetgen" / "cache" / "main.json"
    cache.write_text('{"format": 1, "entries": {"x": ')
    (cache.parent / "gw9.json").write_text("[1, 2]")
    result = run(pytester)
    result.assert_outcomes(passed=4, warnings=2)
    result.stdout.fnmatch_lines(["*main.json:1: ignored the snippetgen result cache file: not valid JSON*"])
    result.stdout.fnmatch_lines(["*gw9.json:1: ignored the snippetgen result cache file*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert ran(pytester, result) == ALL
    assert json.loads(cache.read_text())["format"] == 1  # rewritten whole


def test_works_under_xdist_with_one_file_per_worker(pytester, two_apis):
    run(pytester, "-n", "2").assert_outcomes(passed=4)
    result = run(pytester, "-n", "2")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["snippetgen: 4 examples from cache*"])
    assert {p.name for p in (pytester.path / ".snippetgen" / "cache").glob("*.json")} <= {
        "gw0.json",
        "gw1.json",
    }


# -- the key function, on a real workspace -------------------------------------------------------


def _keys(root: Path, **settings) -> dict[str, str]:
    ws, _ = load_workspace(Project.load(root))
    runtimes = settings.pop("runtimes", {})
    keyer = Keyer(ws, {"mock": {"polls_per_phase": 1}, "sandbox": "auto", **settings}, runtimes=runtimes)
    return {e.id: keyer.key(e) for e in collect_examples(ws)}


def test_key_changes_with_mock_settings_and_each_languages_runtime(tmp_path):
    factory = ProjectFactory(tmp_path)
    factory.spec("tiny", spec("tiny", "echo", "/echo"))
    factory.snippet("tiny.echo", config("tiny", "echo", "/echo"), py=PY, curl=CURL)
    base = _keys(tmp_path)
    assert all(base.values()) and len(set(base.values())) == 2
    assert base == _keys(tmp_path)  # deterministic
    mock = _keys(tmp_path, mock={"polls_per_phase": 2})
    assert not set(mock.values()) & set(base.values())
    newer_curl = _keys(tmp_path, runtimes={"curl": "curl 9.0"})
    changed = {i for i in base if base[i] != newer_curl[i]}
    assert changed == {"shared/snippets/tiny/echo/config.json::tiny.echo::curl"}


def test_key_changes_with_snippetgens_own_source(tmp_path):
    """A development edit of the package (here: a comment in a copy of it) invalidates every key."""
    factory = ProjectFactory(tmp_path / "project")
    factory.spec("tiny", spec("tiny", "echo", "/echo"))
    factory.snippet("tiny.echo", config("tiny", "echo", "/echo"), py=PY)
    copy = tmp_path / "src"
    shutil.copytree(REPO / "snippetgen", copy / "snippetgen", ignore=shutil.ignore_patterns("__pycache__"))
    # -S: no site hooks, so the copy is imported, not this checkout's editable install.
    paths = [str(copy), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    code = (
        f"import sys; sys.path[:0] = {paths!r}; "
        "from snippetgen.project import Project; from snippetgen.runner import collect_examples; "
        "from snippetgen.runner.cache import Keyer; from snippetgen.workspace import load_workspace; "
        f"ws, _ = load_workspace(Project.load({str(tmp_path / 'project')!r})); "
        "k = Keyer(ws, {}, runtimes={'py': 'x'}); print([k.key(e) for e in collect_examples(ws)][0]); "
        "import snippetgen; print(snippetgen.__file__)"
    )

    def key() -> str:
        env = {**os.environ, "PYTHONPATH": str(copy)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        key, module = out.stdout.split()
        assert module.startswith(str(copy))
        return key

    first = key()
    assert first == key()
    loader = copy / "snippetgen" / "loader.py"
    loader.write_text(loader.read_text() + "\n# a development edit\n")
    assert key() != first


def test_cache_store_is_bounded_and_atomic(tmp_path):
    clock = iter(range(100))
    cache = ResultCache(tmp_path, "gw0", clock=lambda: next(clock), max_entries=3)
    for i in range(5):
        assert cache.put(f"k{i}", {"id": str(i)}, "code", [])
    cache.save()
    again = ResultCache(tmp_path, "gw0", max_entries=3)
    assert [k for k in ("k0", "k1", "k2", "k3", "k4") if again.get(k)] == ["k2", "k3", "k4"]
    assert not again.problems and not list(tmp_path.glob(".*.tmp"))


def test_key_changes_with_a_fixture_files_content_for_that_snippet_only(tmp_path):
    factory = ProjectFactory(tmp_path)
    factory.spec("tiny", spec("tiny", "echo", "/echo"))
    folder = factory.snippet(
        "tiny.echo", config("tiny", "echo", "/echo", test={"fixtures": ["in.txt"]}), py=PY
    )
    factory.snippet("tiny.other", config("tiny", "echo", "/echo"), py=PY)
    (folder / "fixtures").mkdir()
    (folder / "fixtures" / "in.txt").write_text("one")
    before = _keys(tmp_path)
    (folder / "fixtures" / "in.txt").write_text("two")
    after = _keys(tmp_path)
    assert {i for i in before if before[i] != after[i]} == {
        "shared/snippets/tiny/echo/config.json::tiny.echo::py"
    }


def test_the_cache_setting_must_be_a_boolean(tmp_path):
    from snippetgen.errors import UsageError

    (tmp_path / "pyproject.toml").write_text('[tool.snippetgen]\ncache = "no"\n')
    with pytest.raises(UsageError, match="cache must be true or false") as raised:
        Project.load(tmp_path)
    assert str(raised.value).startswith("pyproject.toml:2:")
    (tmp_path / "pyproject.toml").write_text("[tool.snippetgen]\ncache = false\n")
    assert Project.load(tmp_path).cache is False
