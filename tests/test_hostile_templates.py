"""Hostile templates through the real command line: never executed past the sandbox, always bounded,
always an error at the template's line.

Each case is a ``py.jinja`` whose hostile expression sits on line 3. ``snippetgen render`` must end
with exit 2 and ``shared/snippets/evil/<case>/py.jinja:3: <message>``; ``snippetgen check`` must
report every case at its line and still run its other rules (the canary page's unknown snippet). A
case that escaped the sandbox would create the file ``pwned`` or print the environment's canary; a
case without a bound would be killed by the CPU or memory limit (see :mod:`hostile`).
"""

from __future__ import annotations

import json
import re

import pytest
from hostile import expect, run_case

HEAD = "import sys\nprint('hostile')\n"
"""Two harmless lines: the hostile expression is on line 3."""

INTERNALS = "the template reads '__\\w+__', an internal attribute"
SANDBOX = "the template touches Python internals, refused by the sandbox"
TOO_LONG = "would be longer than 1,000,000 characters"
STEPS = "(takes more than 200,000 steps|took longer than 10 s)"
"""The step count is the bound; on a very loaded machine the clock may stop a render first."""

CASES: dict[str, tuple[str, str]] = {
    # -- Python internals: refused before the template runs, or by the sandbox when built at run time
    "os-system": ("{{ lipsum.__globals__.os.system('touch pwned') }}", INTERNALS),
    "environ": ("{{ cycler.__init__.__globals__.os.environ }}", INTERNALS),
    "getitem": ("{{ joiner['__init__'] }}", INTERNALS),
    "attr-filter": ("{{ namespace | attr('__class__') }}", INTERNALS),
    "dynamic-attr": (
        "{{ (lipsum | attr('__glo' ~ 'bals__'))['os'].system('touch pwned') }}",
        SANDBOX,
    ),
    "dynamic-item": ("{{ lipsum['__glo' ~ 'bals__'].os.popen('env').read() }}", SANDBOX),
    "mro": ("{{ ''.__class__.mro()[1].__subclasses__() }}", INTERNALS),
    "frame": ("{% for x in range(1) %}{{ loop.gi_frame }}{% endfor %}", "internal attribute"),
    "format-attr": ("{{ '{0.__class__.__init__.__globals__}'.format(lipsum) }}", SANDBOX),
    "mutate": ("{% set l = [1] %}{{ l.append(2) }}", SANDBOX),
    "include": ("{% include '/etc/hostname' %}", "no loader"),
    # -- memory: every way to grow a value is checked before it allocates
    "repeat": ("{{ 'x' * 10**9 }}", TOO_LONG),
    "repeat-list": ("{{ ([0] * 10**9) | length }}", TOO_LONG),
    "power": ("{{ 10 ** (10 ** 10) }}", TOO_LONG),
    "concat-doubling": (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s | length }}",
        TOO_LONG,
    ),
    "plus-doubling": (
        "{% set ns = namespace(s=[1]) %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}{{ ns.s | length }}",
        TOO_LONG,
    ),
    "center": ("{{ 'x' | center(10**9) }}", TOO_LONG),
    "ljust": ("{{ 'x'.ljust(10**9) }}", TOO_LONG),
    "format-width": ("{{ '{:>999999999}'.format(1) }}", TOO_LONG),
    "format-nested-width": ("{{ '{:>{}}'.format(1, 10**9) }}", TOO_LONG),
    "percent-width": ("{{ '%999999999d' % 1 }}", TOO_LONG),
    "percent-star": ("{{ '%*d' % (10**9, 1) }}", TOO_LONG),
    "format-filter": ("{{ '%.999999999f' | format(1) }}", TOO_LONG),
    "replace-empty": ("{{ ('x' * 1000) | replace('', 'y' * 100000) }}", TOO_LONG),
    "join": ("{{ range(100000) | map('string') | join('y' * 100000) }}", TOO_LONG),
    "indent": ("{{ ('a\\n' * 100000) | indent(100000) }}", TOO_LONG),
    "batch-fill": ("{{ [1] | batch(10**9, 0) | list }}", TOO_LONG),
    "to-bytes": ("{{ (1).to_bytes(10**9, 'big') }}", TOO_LONG),
    "shared-refs": (
        "{% set d = dict.fromkeys(range(100000), 'y' * 100000) %}{{ d.values() | list }}",
        TOO_LONG,
    ),
    "tojson-indent": ("{{ {'a': [1]} | tojson(10**9) }}", "indent 1000000000 is larger than 16"),
    "lipsum": ("{{ lipsum(10**6) }}", "lipsum\\(\\) takes at most 20 paragraphs"),
    "output": ("{% for a in range(100000) %}{{ 'x' * 100 }}{% endfor %}", "rendered example would be longer"),
    # -- time: loop iterations and calls are counted
    "nested-loops": (
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        STEPS,
    ),
    "range": ("{{ range(10**10) | length }}", "Range too big"),
    "macro-fanout": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
        STEPS,
    ),
    "macro-recursion": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recurses too deeply"),
    # -- nesting: refused before Jinja's recursive parser and compiler see it
    "parens": ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "nests more than 32 levels"),
    "ifs": ("{% if 1 %}" * 3000 + "{% endif %}" * 3000, "nests more than 32 levels"),
    "operator-chain": ("{{ 1" + " + 1" * 3000 + " }}", "nests more than 32 levels"),
    "filter-chain": ("{{ 1" + " | string" * 3000 + " }}", "nests more than 32 levels"),
    "unary-chain": ("{{ " + "not " * 3000 + "1 }}", "nests more than 32 levels"),
    "loops": ("{% for x in [1] %}" * 20 + "{% endfor %}" * 20, "nests more than 16 loops"),
}


def _write(project, name: str, expression: str) -> None:
    project.snippet(f"evil.{name}", {"title": name}, py=HEAD + expression + "\n")


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_stops_a_hostile_template_at_its_line(project, name):
    expression, message = CASES[name]
    _write(project, name, expression)
    proc, changed = run_case("render", f"evil.{name}", "--lang", "py", cwd=project.root)
    expect(proc, 2, rf"^shared/snippets/evil/{name}/py\.jinja:3: .*{message}")
    assert changed == []  # no "pwned", nothing written


def test_check_reports_every_hostile_template_at_its_line_and_runs_every_other_rule(project):
    for name, (expression, _) in CASES.items():
        _write(project, name, expression)
    project.page("canary.md", '<snippet data-name="canary.missing"></snippet>\n')
    proc, changed = run_case("check", "--format", "json", cwd=project.root)
    expect(proc, 1)
    problems = json.loads(proc.stdout)["problems"]
    for name, (_, message) in CASES.items():
        found = [p for p in problems if p["path"] == f"shared/snippets/evil/{name}/py.jinja"]
        assert found and {(p["line"], p["code"]) for p in found} in (
            {(3, "unsafe-template")},  # one problem per internal attribute the line reads
            {(3, "template-syntax")},
            {(3, "render")},  # built at run time: stopped by the sandbox or a limit
        ), (name, found)
        assert re.search(message, found[0]["message"]), (name, found)
    assert any(p["path"] == "docs/canary.md" and p["code"] == "unknown-snippet" for p in problems)
    assert changed == []


def test_a_safe_template_still_renders_with_loops_macros_and_filters(project):
    """The sandbox's limits leave ordinary templates alone."""
    source = (
        "{% macro item(k, v) %}{{ k | lit }}: {{ v | lit }}{% endmacro %}\n"
        "{% set ns = namespace(total=0) %}\n"
        "{% for i in range(1000) %}{% set ns.total = ns.total + i %}{% endfor %}\n"
        "data = {{ '{' }}{% for k, v in options | dictsort %}{{ item(k, v) }}, {% endfor %}{{ '}' }}\n"
        "print({{ ns.total }}, {{ ('%05d' % 42) | lit }}, {{ '{:>6}'.format('x') | lit }}, "
        "{{ (prompt ~ '!') | upper | lit }}, {{ (prompt * 3) | lit }}, {{ options | json | lit }})\n"
    )
    project.snippet(
        "fine.loops", {"title": "t", "payload": {"prompt": "hi", "options": {"b": 2, "a": [1]}}}, py=source
    )
    proc, changed = run_case("render", "fine.loops", "--lang", "py", cwd=project.root)
    out = expect(proc, 0)
    assert 'data = {"a": [1], "b": 2, }' in out
    assert 'print(499500, "00042", "     x", "HI!", "hihihi", ' in out
    assert changed == []
