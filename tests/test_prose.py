"""The prose-variable rule: prose names a snippet's variable as the first tab's code spells it."""

from __future__ import annotations

from snippetgen.check import RULES, run_check

PY = (
    "import time\n\nPOLL_INTERVAL = {{ pollInterval | lit }}\nMAX_WAIT = {{ maxWait | lit }}\n"
    'payload = {"prompt": {{ prompt | lit }}}\ntime.sleep(POLL_INTERVAL)\nprint(MAX_WAIT, payload)\n'
)
JS = (
    "const pollInterval = {{ pollInterval | lit }};\nconst maxWait = {{ maxWait | lit }};\n"
    "const prompt = {{ prompt | lit }};\nconsole.log(pollInterval, maxWait, { prompt });\n"
)
CONFIG = {"title": "Poll", "payload": {"pollInterval": 5, "maxWait": 60, "prompt": "a fox"}}
BROKEN = """\
# Poll

The program checks every `pollInterval` seconds
and gives up after `maxWait` seconds.

<snippet data-name="demo.poll"></snippet>

```python
pollInterval = 1  # code blocks are not prose
```

The `prompt` field says what to draw.
"""
FIXED = """\
# Poll

The program checks every `POLL_INTERVAL` seconds (`pollInterval` in JavaScript)
and gives up after `MAX_WAIT` seconds.

<snippet data-name="demo.poll"></snippet>

```python
pollInterval = 1  # code blocks are not prose
```

The `prompt` field says what to draw.
"""


def _problems(project, page):
    project.snippet("demo.poll", CONFIG, py=PY, js=JS)
    project.page("poll.md", page)
    return [p for p in run_check(project.root) if p.code == "prose-variable"]


def test_prose_naming_the_template_variable_fails_at_its_line(project):
    problems = _problems(project, BROKEN)
    assert [(p.location.path, p.location.line) for p in problems] == [
        ("docs/poll.md", 3),
        ("docs/poll.md", 4),
    ]
    first = problems[0]
    assert "expected `POLL_INTERVAL` (as the code spells it), found `pollInterval`" in first.message
    assert first.format().startswith("docs/poll.md:3: prose names `pollInterval`")
    assert first.expected == "`POLL_INTERVAL` (as the Python code spells it)"
    assert first.found == "`pollInterval`"
    assert "`maxWait`" in problems[1].message


def test_the_fixed_page_passes(project):
    assert _problems(project, FIXED) == []


def test_another_languages_spelling_alone_is_not_enough(project):
    page = FIXED.replace("`POLL_INTERVAL` seconds (`pollInterval` in JavaScript)", "`pollInterval` seconds")
    assert [p.location.line for p in _problems(project, page)] == [3]


def test_the_rule_is_listed():
    assert any("prose-variable" in rule.codes for rule in RULES)
