"""Parsing limits against hostile specs, through the real CLI: each case runs ``python -m snippetgen``
in a child process held to 30 s of CPU and 2 GB of address space (a hang or a blow-up fails the test
instead of the machine), and asserts the exit status, the located message, and that the rest of the
check still ran (the good spec beside it is counted, a snippet's own problem is still reported)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from snippetgen.spec.read import MAX_ALIAS_NODES, MAX_DEPTH, load_yaml_with_lines, read_document

GOOD = """\
openapi: 3.1.0
info: {title: Good, version: "1"}
servers: [{url: "https://good.example.com"}]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200": {description: ok}
        "400": {description: bad}
"""
HEAD = 'openapi: 3.1.0\ninfo: {title: Bad, version: "1"}\npaths: {}\n'


def alias_bomb() -> str:
    """Nine levels of nine aliases: 432 bytes that expand to 9^9 (387 million) strings."""
    lines = ["x-bomb:", '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return HEAD + "\n".join(lines) + "\n"


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (30, 30))
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


def snippetgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI on ``root``, under the limits; the timeout is a hang guard, not a measurement."""
    return subprocess.run(
        [sys.executable, "-m", "snippetgen", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limited,
    )


@pytest.fixture
def hostile(project):
    """A project with a good spec and a snippet with a problem of its own, beside the hostile spec."""
    project.spec("good", GOOD)
    project.snippet(
        "demo.hello",
        {"title": "Hello", "operations": ["good:listThings"], "payload": {}},
        py="print({{ missing | lit }})\n",
        js="console.log(1);\n",
        curl="curl -sS https://good.example.com/things\n",
    )

    def write(name: str, text: str) -> Path:
        path = project.root / "shared" / "openapi" / name
        path.write_text(text, encoding="utf-8")
        return path

    project.write = write
    return project


def check_output(out: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr
    # the rest of the check ran: the good spec is counted, the snippet's own problem reported
    assert "1 spec (1 operation)" in out.stdout, out.stdout
    assert "shared/snippets/demo/hello/py.jinja:1: undefined variable 'missing'" in out.stdout, out.stdout
    return out.stdout


def test_yaml_alias_bomb_is_refused_at_its_line_by_check_build_and_mock(hostile):
    hostile.write("bomb.yaml", alias_bomb())
    # line 11 is the list of *f aliases at which the expansion passes the budget
    message = f"shared/openapi/bomb.yaml:11: too many YAML aliases (expands past {MAX_ALIAS_NODES:,} nodes) [spec-limit]"
    out = snippetgen(hostile.root, "check")
    assert out.returncode == 1
    assert message in check_output(out)

    build = snippetgen(hostile.root, "build", "--site-dir", str(hostile.root / "out"))
    assert build.returncode == 1 and message in build.stdout, build.stdout + build.stderr

    (hostile.root / "shared" / "openapi" / "good.yaml").unlink()  # the mock stops at the first refusal
    mock = snippetgen(hostile.root, "mock", "--port", "0")
    assert mock.returncode == 2
    assert "bomb.yaml:11: too many YAML aliases" in mock.stderr, mock.stderr


@pytest.mark.parametrize(
    "name, text, where",
    [
        ("deep.yaml", HEAD + "x-deep: " + "[" * 3000 + "]" * 3000 + "\n", "deep.yaml:4:"),
        (
            "deep-block.yaml",
            HEAD
            + "x-deep:\n"
            + "".join(f"{' ' * (i + 1)}k{i}:\n" for i in range(3000))
            + " " * 3001
            + "v: 1\n",
            "deep-block.yaml:",
        ),
        (
            "deep.json",
            '{"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {},\n"x-deep": '
            + "[" * 3000
            + "]" * 3000
            + "}\n",
            "deep.json:2:",
        ),
    ],
)
def test_nesting_past_the_limit_is_a_located_problem(hostile, name, text, where):
    hostile.write(name, text)
    out = snippetgen(hostile.root, "check")
    assert out.returncode == 1
    found = [line for line in check_output(out).splitlines() if "nested too deep" in line]
    assert len(found) == 1 and found[0].startswith(f"shared/openapi/{where}"), out.stdout
    assert f"more than {MAX_DEPTH} levels" in found[0] and found[0].endswith("[spec-limit]")


def test_a_spec_over_the_size_cap_is_refused_with_its_path(hostile):
    (hostile.root / "pyproject.toml").write_text(
        "[tool.snippetgen]\nmax_spec_bytes = 2000\n", encoding="utf-8"
    )
    hostile.write("huge.yaml", HEAD + "x-pad: " + "a" * 5000 + "\n")
    out = snippetgen(hostile.root, "check")
    assert out.returncode == 1
    assert (
        "shared/openapi/huge.yaml:1: the spec is over the size cap: more than 2,000 bytes [spec-limit]"
        in check_output(out)
    )
    assert "max_spec_bytes" in out.stdout


def test_duplicate_keys_are_each_reported_at_their_line(hostile):
    hostile.write(
        "dup.yaml",
        HEAD.replace(
            "paths: {}\n",
            "paths:\n  /a:\n    get: {operationId: first, responses: {'200': {description: ok}}}\n"
            "    get: {operationId: second, responses: {'200': {description: ok}}}\n",
        ),
    )
    hostile.write(
        "dupjson.json",
        '{"openapi": "3.1.0", "info": {"title": "x", "version": "1"},\n "paths": {},\n "paths": {}}\n',
    )
    out = snippetgen(hostile.root, "check")
    assert out.returncode == 1
    text = check_output(out)
    assert (
        "shared/openapi/dup.yaml:6:5: duplicate key 'get' (first at line 5): YAML keeps only the last one [spec-yaml]"
        in text
    )
    assert (
        "shared/openapi/dupjson.json:3:2: duplicate key 'paths' (first at line 2): JSON keeps only the last one [spec-yaml]"
        in text
    )


def test_a_self_containing_alias_is_refused(hostile):
    hostile.write("cycle.yaml", HEAD + "x-cycle: &a [1, *a]\n")
    out = snippetgen(hostile.root, "check")
    assert out.returncode == 1
    assert (
        "shared/openapi/cycle.yaml:4: a YAML alias refers to a node that contains it (a cycle) [spec-yaml]"
        in check_output(out)
    )


# --- the reader, in process ---------------------------------------------------------------------


def test_aliases_and_merges_within_the_budget_still_work():
    data, lines = load_yaml_with_lines(
        "base: &b {p: 1, q: 2}\nother: &o {q: 5, r: 6}\nuse: {<<: [*b, *o], q: 3}\nlist: [*b, *b]\n"
    )
    assert data["use"] == {"p": 1, "q": 3, "r": 6}  # own keys win, then earlier merged mappings
    assert data["list"] == [{"p": 1, "q": 2}, {"p": 1, "q": 2}]
    assert lines["/use/q"] == 3 and lines["/list/1"] == 4  # an alias's copy is located at its use


def test_nesting_at_the_limit_loads(tmp_path):
    path = tmp_path / "ok.json"
    inner = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    path.write_text(
        json.dumps({"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}})[:-1]
        + f', "x": {inner}}}'
    )
    document, problems = read_document(path)
    assert problems == [] and document is not None


def test_reading_stops_at_the_cap_without_reading_the_rest(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(HEAD.encode() + b"#" * 10_000)
    document, problems = read_document(path, tmp_path, max_bytes=100)
    assert document is None and [str(p.location) for p in problems] == ["big.yaml:1"]
