"""``--snippetgen-shard i/n``: the shards of a collection are disjoint, together are all of it, keep
a usage's tabs together, and are the same whatever order the tests come in."""

from __future__ import annotations

import json
import random

import pytest
from conftest import ProjectFactory
from test_cache import CURL, PY, config, spec

from snippetgen.runner.collect import assign_shards, parse_shard

pytest_plugins = ["pytester"]


@pytest.fixture
def many(pytester):
    """Seven usages of tiny.echo (py, curl) on two pages, and a small unit-test file."""
    factory = ProjectFactory(pytester.path)
    factory.spec("tiny", spec("tiny", "echo", "/echo"))
    factory.snippet("tiny.echo", config("tiny", "echo", "/echo"), py=PY, curl=CURL)
    for page, count in (("a.md", 4), ("b.md", 3)):
        embeds = "".join(
            f'<snippet data-name="tiny.echo" data-prompt="p{i}"></snippet>\n\n' for i in range(count)
        )
        factory.page(page, embeds)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_unit.py").write_text("def test_a(): pass\n\ndef test_b(): pass\n")
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = docs shared/snippets tests\n")
    return factory


def collected(pytester, *args) -> list[str]:
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:randomly", *args)
    assert result.ret == 0, result.stdout.str()
    return [line for line in result.outlines if "::" in line and " " not in line]


def test_shards_are_disjoint_complete_and_keep_usages_together(pytester, many):
    everything = collected(pytester)
    assert len(everything) == 16
    shards = [collected(pytester, "--snippetgen-shard", f"{i}/3") for i in (1, 2, 3)]
    assert sorted(sum(shards, [])) == sorted(everything)
    assert sum(len(s) for s in shards) == len(everything)  # disjoint
    assert max(map(len, shards)) - min(map(len, shards)) <= 2  # balanced
    for shard in shards:
        usages = {i.rsplit("-", 1)[0] for i in shard if i.startswith("docs/")}
        tabs = [i for i in everything if i.startswith("docs/") and i.rsplit("-", 1)[0] in usages]
        assert sorted(tabs) == sorted(i for i in shard if i.startswith("docs/"))
        assert len([i for i in shard if i.startswith("tests/")]) in (0, 2)  # a test file stays whole


def test_a_shard_runs_and_writes_its_own_record(pytester, many):
    shard = collected(pytester, "--snippetgen-shard", "2/2")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--snippetgen-shard", "2/2")
    result.assert_outcomes(passed=len(shard), deselected=16 - len(shard))
    record = pytester.path / ".snippetgen" / "runs" / "shard2of2-main.json"
    rows = json.loads(record.read_text())["executed"]
    assert len(rows) == len([i for i in shard if i.startswith("docs/")]) > 0


@pytest.mark.parametrize("value", ["0/3", "4/3", "1-3", "x", "3/0"])
def test_a_bad_shard_is_a_usage_error(pytester, many, value):
    result = pytester.runpytest_subprocess("--collect-only", "--snippetgen-shard", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--snippetgen-shard {value!r}: expected I/N*"])


def test_assignment_is_deterministic_balanced_and_order_free():
    units = {f"u{i}": ("py,curl" if i % 3 else "js", 1 + i % 4) for i in range(200)}
    shards = assign_shards(units, 3)
    shuffled = list(units.items())
    random.Random(7).shuffle(shuffled)
    assert assign_shards(dict(shuffled), 3) == shards
    loads = [sum(units[u][1] for u, s in shards.items() if s == n) for n in (1, 2, 3)]
    assert max(loads) - min(loads) <= 4
    for kind in ("js", "py,curl"):  # every kind spread over every shard
        per = [sum(1 for u, s in shards.items() if s == n and units[u][0] == kind) for n in (1, 2, 3)]
        assert min(per) > 0
    assert parse_shard("2/3") == (2, 3) and parse_shard(" 1 / 1 ") == (1, 1)
    assert parse_shard("0/1") is None and parse_shard("2/1") is None
