"""A language is one module: a throw-away language registered from this test module is scaffolded,
rendered, syntax-checked and run against the mock like the built-in ones, and leaves no trace.

The language is ``urllib``: Python examples written with the standard library's ``urllib.request``
instead of ``requests``, so its runtime (the interpreter running these tests) is always there. It
differs from ``py`` wherever a language can: its own literal (``repr``: single-quoted strings), an
extra filter name, a fence name, a sandbox variable and a warm runner that records what it ran.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jinja2
import pytest

from snippetgen.authoring import format_run, new_snippet, run_snippet
from snippetgen.check import run_check
from snippetgen.errors import UsageError
from snippetgen.languages import (
    Language,
    SyntaxIssue,
    all_languages,
    fence_language,
    get_language,
    language_named,
    register,
    unregister,
)
from snippetgen.project import Project
from snippetgen.render import environment, render
from snippetgen.runner import collect_examples, isolation
from snippetgen.runner.sandbox import Process, run_process
from snippetgen.scaffold import LANGS
from snippetgen.scaffold.common import HTTP_TIMEOUT, lit, path_lit, path_local, segments, static
from snippetgen.scaffold.plan import Plan, snake
from snippetgen.workspace import load_workspace

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "shared" / "openapi"
MARK = "SNIPPETGEN_URLLIB_SANDBOX"
"""The variable the language's ``environment`` adds to every example's sandbox."""


# --- the language: everything a language module declares ----------------------------------------


def _check_many(sources: Sequence[str]) -> list[SyntaxIssue | None]:
    issues: list[SyntaxIssue | None] = []
    for source in sources:
        try:
            compile(source, "<urllib example>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            issues.append(SyntaxIssue(exc.lineno or 1, exc.msg))
        else:
            issues.append(None)
    return issues


RAN: list[str] = []
"""Scripts the warm runner ran, so a test can see the runner used it."""


class _WarmRunner:
    """Runs each example in a fresh interpreter, noting it: warm in name only, which is enough to
    see a language's warm runner used without any ``if lang == ...`` in the runner."""

    def run(self, script: str, cwd: Path, env: dict[str, str], timeout: float) -> Process:
        RAN.append(script)
        return run_process([sys.executable, script], cwd, env, timeout)

    def close(self) -> None:
        pass


def _scaffold(plan: Plan) -> list[str]:
    """A flat ``urllib.request`` script for a call with a JSON body (or none) and no polling."""
    r = plan.request
    if r.body == "multipart" or plan.poll is not None or r.response not in ("json", "text", "none"):
        raise NotImplementedError("the test language writes single JSON calls only")
    out = ["import json", "import os", "import sys", "import urllib.error", "import urllib.request", ""]
    out.append("BASE_URL = {{ baseUrl | lit }}")
    if plan.auth is not None:
        out.append("API_KEY = os.environ[{{ apiKeyEnv | lit }}]")
    for f in r.of("path"):
        out.append(f"{snake(f.name)} = {path_lit(f)}")
    path = "".join(
        static(t).replace("{", "{{").replace("}", "}}") if kind == "text" else "{" + path_local(None, t) + "}"
        for kind, t in segments(r.op.path)
    )
    query = [f"({json.dumps(static(f.name))}, {lit(f, text=True)})" for f in r.of("query")]
    url = f'f"{{BASE_URL}}{path}"' + (
        f' + "?" + urllib.parse.urlencode([{", ".join(query)}])' if query else ""
    )
    if query:
        out.insert(4, "import urllib.parse")
    headers = ['"Content-Type": "application/json"'] if r.body == "json" else []
    if plan.auth is not None:
        kind, header = plan.auth
        headers.append(f'"{header}": f"Bearer {{API_KEY}}"' if kind == "bearer" else f'"{header}": API_KEY')
    out += ["", "request = urllib.request.Request(", f"    {url},", f'    method="{r.op.method}",']
    out.append("    headers={" + ", ".join(headers) + "},")
    if r.body == "json":
        out.append("    data=json.dumps({")
        out += [f"        {json.dumps(static(f.name))}: {lit(f)}," for f in r.of("body")]
        out.append("    }).encode(),")
    out += [
        ")",
        "try:",
        f"    with urllib.request.urlopen(request, timeout={HTTP_TIMEOUT}) as response:",
        "        answer = response.read().decode()",
        "except urllib.error.HTTPError as error:",
        '    sys.exit(f"Request failed ({error.code}): {error.read().decode()}")',
        "print(answer)",
    ]
    return out


URLLIB = Language(
    id="urllib",
    label="Python (urllib)",
    lexer="python",
    extension=".py",
    literal=repr,
    check_many=_check_many,
    command=lambda path: [sys.executable, path],
    filters=("pyrepr",),
    fences=("urllib",),
    environment=lambda: {MARK: "urllib sandbox"},
    warm_runner=_WarmRunner,
    scaffold=_scaffold,
)


@pytest.fixture
def urllib_language() -> Iterator[Language]:
    RAN.clear()
    register(URLLIB)
    try:
        yield URLLIB
    finally:
        unregister("urllib")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(SPECS, tmp_path / "shared" / "openapi")
    (tmp_path / "docs").mkdir()
    return tmp_path


def _template(root: Path, key: str, file: str) -> Path:
    group, name = key.split(".")
    return root / "shared" / "snippets" / group / name / file


# --- one language module + register(): scaffolded, rendered, checked, run ------------------------


def test_a_registered_language_is_scaffolded_rendered_checked_and_run(
    root: Path, urllib_language: Language
) -> None:
    assert [lang.id for lang in all_languages()] == ["py", "js", "curl", "urllib"]
    assert "urllib" in LANGS  # snippetgen new can write it

    # scaffolded: new_snippet writes urllib.jinja beside py.jinja
    project = Project.load(root)
    written = new_snippet(project, "media/video", "media:generateVideo", ["py", "urllib"])
    assert sorted(p.name for p in written) == ["config.json", "py.jinja", "urllib.jinja"]
    template = _template(root, "media.video", "urllib.jinja").read_text(encoding="utf-8")
    assert "urllib.request.Request(" in template and '"prompt": {{ prompt | lit }},' in template
    payload = json.loads(_template(root, "media.video", "config.json").read_text())["payload"]

    # rendered: `lit` is the language's own literal, and it provides the filters urllib and pyrepr
    ws, problems = load_workspace(project)
    assert not problems
    snippet = ws.catalog.get("media.video")
    assert list(snippet.templates) == ["py", "urllib"]
    code = render(snippet, "urllib").code
    assert f'"prompt": {payload["prompt"]!r},' in code and "{{" not in code
    named = environment().from_string("{{ x | urllib }} {{ x | pyrepr }} {{ x | py }}").render(x="a b")
    assert named == """'a b' 'a b' "a b\""""

    # syntax-checked: clean, then a broken line is reported at its line of urllib.jinja
    problems = run_check(project=project)
    assert not problems, "\n".join(p.format() for p in problems)
    path = _template(root, "media.video", "urllib.jinja")
    lines = template.splitlines()
    broken = lines.index("print(answer)")
    lines[broken] = "print(answer"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (problem,) = run_check(project=project)
    assert problem.code == "syntax-error"
    assert (problem.location.path, problem.location.line) == (
        "shared/snippets/media/video/urllib.jinja",
        broken + 1,
    )
    assert "rendered Python (urllib) does not parse" in problem.message
    path.write_text(template, encoding="utf-8")

    # run against the mock: the request reached it, the same one the py tab sent
    outcomes = run_snippet(project, "media.video")
    assert [o.example.lang for o in outcomes] == ["py", "urllib"]
    assert all(o.passed for o in outcomes), format_run(outcomes)
    py, urllib = outcomes
    assert [r["operation"] for r in urllib.requests] == ["media:generateVideo"]
    assert urllib.requests[0]["status"] == 200
    assert urllib.requests[0]["body"] == py.requests[0]["body"]
    assert urllib.requests[0]["body"]["prompt"] == payload["prompt"]
    assert json.loads(urllib.process.stdout)  # it printed the mock's JSON answer
    # Through the language's warm runner, not a special case. In kernel isolation the cell runs any
    # `python FILE` language warm itself (the language's runner lives outside the sandbox).
    assert RAN == ([] if isolation.support().available else ["example.py"])


def test_a_hand_written_block_in_its_fence_runs_in_its_sandbox(root: Path, urllib_language: Language) -> None:
    """A page's ```urllib block is collected as this language and gets the language's environment."""
    from snippetgen.mock import MockServer, MockSettings
    from snippetgen.runner import Runner

    (root / "docs" / "models.md").write_text(
        "# Models\n\n"
        "```urllib\n"
        "import os\n"
        "import urllib.request\n\n"
        f'print(os.environ["{MARK}"])\n'
        "request = urllib.request.Request(\n"
        '    "https://api.aimlapi.com/v1/models", headers={"Authorization": "Bearer <YOUR_API_KEY>"}\n'
        ")\n"
        "with urllib.request.urlopen(request, timeout=30) as response:\n"
        "    print(response.status)\n"
        "```\n",
        encoding="utf-8",
    )
    project = Project.load(root)
    ws, _ = load_workspace(project)
    (example,) = collect_examples(ws)
    assert (example.lang, example.usage) == ("urllib", "docs/models.md:3::block")
    mock = MockServer(project.specs_dir, settings=MockSettings()).start()
    runner = Runner(ws, mock)
    try:
        outcome = runner.run(example)
    finally:
        runner.close()
        mock.stop()
    assert outcome.passed, "\n".join(outcome.failures)
    assert outcome.process.stdout.split() == ["urllib", "sandbox", "200"]
    assert [r["operation"] for r in outcome.requests] == ["aimlapi:listModels"]


# --- register / unregister -------------------------------------------------------------------------


def test_unregister_leaves_no_trace(urllib_language: Language) -> None:
    assert environment().from_string("{{ 1 | pyrepr }}").render() == "1"
    assert fence_language("urllib") is urllib_language
    unregister("urllib")
    try:
        with pytest.raises(UsageError, match="unknown language 'urllib'"):
            get_language("urllib")
        assert "urllib" not in LANGS and fence_language("urllib") is None
        with pytest.raises(jinja2.TemplateError, match="pyrepr"):
            environment().from_string("{{ 1 | pyrepr }}").render()
        assert [lang.id for lang in all_languages()] == ["py", "js", "curl"]
    finally:
        register(URLLIB)  # for the fixture to remove


@pytest.mark.parametrize(
    "changes, message",
    [
        ({}, "already registered"),
        ({"id": "Url-Lib"}, "bad language id"),
        ({"id": "wget", "filters": ("sh",)}, "cannot provide filter 'sh' (a filter of curl)"),
        ({"id": "wget", "filters": ("lit",)}, "cannot provide filter 'lit'"),
        ({"id": "string"}, "cannot provide filter 'string'"),  # Jinja's own filter
        ({"id": "wget", "filters": (), "fences": ("bash",)}, "cannot claim fence 'bash' (it is curl's)"),
        ({"id": "wget", "filters": (), "fences": ("Wget",)}, "one lower-case word"),
    ],
)
def test_register_refuses_a_clash(urllib_language: Language, changes: dict[str, Any], message: str) -> None:
    import dataclasses

    with pytest.raises(UsageError) as info:
        register(dataclasses.replace(urllib_language, **changes))
    assert message in str(info.value)
    assert [lang.id for lang in all_languages()] == ["py", "js", "curl", "urllib"]


def test_built_in_languages_declare_what_the_rest_of_snippetgen_used_to_hard_code() -> None:
    by_fence = {word: fence_language(word).id for word in ("python", "node", "mjs", "sh", "console")}
    assert by_fence == {"python": "py", "node": "js", "mjs": "js", "sh": "curl", "console": "curl"}
    assert fence_language("text") is None and fence_language("") is None
    assert get_language("curl").filter_names == ("curl", "sh")
    assert [lang.id for lang in all_languages() if lang.warm_runner] == ["py"]
    assert list(LANGS) == ["py", "js", "curl"]
    assert language_named("python").id == "py" and language_named("bash").id == "curl"
    env = {k: v for lang in all_languages() if lang.environment for k, v in lang.environment().items()}
    assert env["PYTHONPATH"].endswith("pyguard") and "guard.cjs" in env["NODE_OPTIONS"]
