"""pytest conventions on examples: every id pytest prints selects that example when passed back, and
``-k``, ``--deselect``, ``--lf`` and ``--ff`` work on them, with the result cache and without."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import ProjectFactory
from test_cache import CURL, PY, config, spec

pytest_plugins = ["pytester"]

PAGE = textwrap.dedent("""\
    # Echo

    <snippet data-name="tiny.echo"></snippet>

    <snippet data-name="tiny.echo" data-prompt="again"></snippet>

    ```bash
    curl -sS --fail-with-body https://api.tiny.test/v1/echo -H 'Content-Type: application/json' --data '{"prompt": "x"}'
    ```
    """)
IDS = [
    "docs/index.md::tiny.echo[line3-py]",
    "docs/index.md::tiny.echo[line3-curl]",
    "docs/index.md::tiny.echo[line5-py]",
    "docs/index.md::tiny.echo[line5-curl]",
    "docs/index.md::block[line7-curl]",
    "shared/snippets/other/ping/config.json::other.ping[py]",
    "shared/snippets/other/ping/config.json::other.ping[curl]",
]


@pytest.fixture
def site(pytester):
    factory = ProjectFactory(pytester.path)
    factory.spec("tiny", spec("tiny", "echo", "/echo"))
    factory.spec("other", spec("other", "ping", "/ping"))
    factory.snippet("tiny.echo", config("tiny", "echo", "/echo"), py=PY, curl=CURL)
    factory.snippet("other.ping", config("other", "ping", "/ping"), py=PY, curl=CURL)
    factory.page("index.md", PAGE)
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = docs shared/snippets\n")
    return factory


def collected(pytester, *args) -> list[str]:
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:randomly", *args)
    return [line for line in result.outlines if "::" in line and " " not in line]


def test_every_printed_id_selects_exactly_that_example(pytester, site):
    assert collected(pytester) == IDS
    for node_id in IDS:
        assert collected(pytester, node_id) == [node_id], node_id
    # The name without its parameters: every usage of the snippet on the page, every language.
    assert collected(pytester, "docs/index.md::tiny.echo") == IDS[:4]
    assert collected(pytester, "shared/snippets/other/ping/config.json::other.ping") == IDS[5:]


def test_an_id_printed_by_a_run_reruns_just_that_example(pytester, site):
    result = pytester.runpytest_subprocess("-v", "-p", "no:randomly", "-n", "2")
    result.assert_outcomes(passed=7)
    printed = sorted(line.split()[-1] for line in result.outlines if " PASSED " in line and "::" in line)
    assert printed == sorted(IDS)  # under xdist too: no "@group" suffix pytest could not resolve
    # Yet a usage's tabs (compared with each other) went to one worker: one record file holds them.
    files = {}
    for path in (pytester.path / ".snippetgen" / "runs").glob("gw*.json"):
        for row in json.loads(path.read_text())["executed"]:
            files.setdefault(row["usage"], set()).add(path.name)
    assert len(files) == 4 and all(len(names) == 1 for names in files.values()), files
    again = pytester.runpytest_subprocess("-v", "-p", "no:randomly", printed[0])
    again.assert_outcomes(passed=1)


def test_keyword_and_deselect(pytester, site):
    assert collected(pytester, "-k", "echo and curl and not line5") == [IDS[1]]
    assert collected(pytester, "-k", "ping") == IDS[5:]
    assert collected(pytester, "--deselect", IDS[0], "--deselect", IDS[6]) == IDS[1:6]


@pytest.mark.parametrize("cache", ["with the cache", "without the cache"])
def test_last_failed_and_failed_first(pytester, site, cache):
    extra = ["--snippetgen-no-cache"] if cache == "without the cache" else []

    def run(*args):
        return pytester.runpytest_subprocess("-v", "-p", "no:randomly", *extra, *args)

    run().assert_outcomes(passed=7)
    folder = pytester.path / "shared" / "snippets" / "other" / "ping"
    cfg = config("other", "ping", "/ping")
    cfg["payload"]["path"] = "/pong"  # matches no operation: both tabs fail
    (folder / "config.json").write_text(json.dumps(cfg))
    result = run()
    result.assert_outcomes(passed=5, failed=2)
    if cache == "with the cache":
        result.stdout.fnmatch_lines(["snippetgen: 5 examples from cache*"])

    result = run("--lf")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*run-last-failure: rerun previous 2 failures*"])

    result = run("--ff")
    result.assert_outcomes(passed=5, failed=2)
    order = [line.split()[0] for line in result.outlines if " PASSED " in line or " FAILED " in line]
    assert order[:2] == IDS[5:] and sorted(order[2:]) == sorted(IDS[:5])

    (folder / "config.json").write_text(json.dumps(config("other", "ping", "/ping")))  # fixed
    result = run("--lf")
    result.assert_outcomes(passed=2)
    if cache == "with the cache":  # it passed with these very inputs in the first run
        result.stdout.fnmatch_lines(["snippetgen: 2 examples from cache*"])
