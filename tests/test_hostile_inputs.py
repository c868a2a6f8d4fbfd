"""Hostile pages, configs, files and command-line arguments through the real command line.

Every case runs ``python -m snippetgen`` under a CPU and a memory limit (:mod:`hostile`) and asserts
the exit status, the located message (``path:line: ...``) and that no file changed outside the
command's own output. ``check`` cases also assert that the rest of the check still ran: the canary
page's unknown snippet is reported beside the hostile case.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import hostile
import pytest
from conftest import repo_mkdocs_yml
from hostile import expect, run_case

from snippetgen.integration.site_build import PACKAGE_DIR, SITE_MARKER, site_dir_problem
from snippetgen.project import Project

PY = "import os\nprint({{ prompt | lit }})\nkey = os.environ.get({{ apiKeyEnv | lit }})\n"
CURL = 'curl -sS https://example.test -H "Authorization: Bearer ${{ apiKeyEnv | env }}" --data {{ prompt | sh }}\n'
CANARY = r"^docs/canary\.md:1:1: unknown snippet 'canary\.missing'"


def base(project, **payload):
    """A clean snippet ``demo.hello`` and the canary page (whose unknown snippet every check reports)."""
    project.snippet(
        "demo.hello",
        {"title": "Hello", "payload": {"prompt": "hi", "apiKeyEnv": "DEMO_API_KEY", **payload}},
        py=PY,
        curl=CURL,
    )
    project.page("canary.md", '<snippet data-name="canary.missing"></snippet>\n')


def check(project, *patterns: str, code: int = 1) -> str:
    proc, changed = run_case("check", cwd=project.root)
    out = expect(proc, code, *patterns, CANARY)
    assert changed == []
    assert not (project.root / "pwned").exists()
    return out


# --- code injection through typed variables ------------------------------------------------------


def test_page_attribute_cannot_inject_shell_through_api_key_env(project):
    base(project)
    project.page(
        "index.md",
        '# Home\n\n<snippet data-name="demo.hello" data-api-key-env="X$(touch pwned)"></snippet>\n',
    )
    out = check(
        project,
        r"^docs/index\.md:3:1: data-api-key-env: 'X\$\(touch pwned\)' is not a safe environment variable"
        r" name \[unsafe-value\]",
    )
    assert "all clean" not in out and "clean in" not in out


def test_config_payload_and_test_set_values_are_typed(project):
    base(project)
    project.snippet(
        "demo.bad",
        '{\n  "title": "Bad",\n  "payload": {\n    "prompt": "hi",\n    "apiKeyEnv": "K; rm -rf /",\n'
        '    "output": "../../.bashrc"\n  },\n  "test": {"set": {"apiKeyEnv": "`id`"}}\n}\n',
        py=PY + "open({{ output | lit }}, 'w')\n",
    )
    check(
        project,
        r"^shared/snippets/demo/bad/config\.json:5: payload\.apiKeyEnv: 'K; rm -rf /' is not a safe"
        r" environment variable name \[unsafe-value\]",
        r"^shared/snippets/demo/bad/config\.json:6: payload\.output: '\.\./\.\./\.bashrc' is not a safe"
        r" file name \[unsafe-value\]",
        r"^shared/snippets/demo/bad/config\.json:8: test\.set\.apiKeyEnv: '`id`' is not a safe"
        r" environment variable name \[unsafe-value\]",
    )


def test_template_printing_a_typed_variable_raw_is_refused_at_its_line(project):
    base(project)
    project.snippet(
        "demo.raw",
        {"title": "Raw", "payload": {"apiKeyEnv": "DEMO_API_KEY"}},
        curl='echo start\ncurl -H "Authorization: Bearer ${{ apiKeyEnv }}" https://example.test\n',
        js="const key = process.env.{{ apiKeyEnv }};\n",
    )
    check(
        project,
        r"^shared/snippets/demo/raw/curl\.jinja:2: unsafe template: \{\{ apiKeyEnv \}\} prints an"
        r" environment variable name as raw code: .*\{\{ apiKeyEnv \| env \}\} \[unsafe-template\]",
        r"^shared/snippets/demo/raw/js\.jinja:1: unsafe template: .* \[unsafe-template\]",
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "apiKeyEnv=X$(touch pwned)",
            "apiKeyEnv: 'X\\$\\(touch pwned\\)' is not a safe environment variable name",
        ),
        ("output=../../etc/passwd", "output: '\\.\\./\\.\\./etc/passwd' is not a safe file name"),
    ],
)
def test_render_set_cannot_inject(project, setting, message):
    base(project, output="out.txt")
    proc, changed = run_case("render", "demo.hello", "--lang", "curl", "--set", setting, cwd=project.root)
    expect(proc, 2, f"^error: {message} \\(set by this usage\\)", "hint: +an? .* is ")
    assert changed == []


# --- HTML: quoted values hold any character ------------------------------------------------------


def test_a_quoted_attribute_value_may_hold_a_greater_than_sign(project):
    base(project)
    project.page(
        "index.md",
        '# Home\n\n<snippet data-name="demo.hello" data-prompt="a > b <img src=x onerror=alert(1)>"></snippet>\n',
    )
    check(project)  # only the canary: the value is a prompt, read whole
    proc, _ = run_case("render", "demo.hello", "--lang", "py", "--set", "prompt=a > b", cwd=project.root)
    expect(proc, 0, r'print\("a > b"\)')


def test_an_unclosed_quote_is_a_located_error_not_a_swallowed_page(project):
    base(project)
    project.page(
        "index.md", '# Home\n\n<snippet data-name="demo.hello" data-prompt="never closed>\n\nMore text.\n'
    )
    check(project, r"^docs/index\.md:3:1: <snippet> tag is never closed: .* \[bad-tag\]")


# --- never leave the snippets folder -------------------------------------------------------------


def test_config_symlinked_out_of_the_catalog_is_refused_and_not_read(project, tmp_path_factory):
    base(project)
    outside = tmp_path_factory.mktemp("outside") / "config.json"
    outside.write_text(json.dumps({"title": "stolen", "payload": {"prompt": "SECRET-FROM-OUTSIDE"}}))
    folder = project.root / "shared" / "snippets" / "demo" / "linked"
    folder.mkdir(parents=True)
    (folder / "config.json").symlink_to(outside)
    (folder / "py.jinja").write_text("print({{ prompt | lit }})\n")
    out = check(
        project,
        r"^shared/snippets/demo/linked/config\.json: config\.json is a symlink out of the snippet folder"
        r" \[outside-root\]",
    )
    assert "SECRET-FROM-OUTSIDE" not in out


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("../../../../etc/hostname", "is not a safe file name"),
        ("sub/../photo.png", "is not a safe file name"),
        ("-rf", "is not a safe file name"),
    ],
)
def test_fixture_paths_cannot_leave_the_snippet(project, entry, why):
    base(project)
    project.snippet(
        "demo.fix",
        '{\n  "title": "Fix",\n  "test": {\n    "fixtures": [\n      "photo.png",\n      '
        + json.dumps(entry)
        + "\n    ]\n  }\n}\n",
        py="print(1)\n",
    )
    check(
        project, rf"^shared/snippets/demo/fix/config\.json:6:7: test\.fixtures\[1\]: .*{why} \[unsafe-path\]"
    )
    proc, changed = run_case("run", "demo.fix", cwd=project.root)
    expect(proc, 2, r"snippet demo\.fix cannot be loaded", r"unsafe-path")  # never run, nothing copied
    assert changed == []


def test_a_fixture_symlinked_out_of_the_snippet_is_refused(project):
    base(project)
    folder = project.snippet(
        "demo.fix", {"title": "Fix", "test": {"fixtures": ["photo.png"]}}, py="print(1)\n"
    )
    (folder / "fixtures").mkdir()
    (folder / "fixtures" / "photo.png").symlink_to("/etc/hostname")
    check(
        project,
        r"^shared/snippets/demo/fix/config\.json:\d+:\d+: test\.fixtures\[0\]: fixtures/photo\.png"
        r" resolves outside the snippet folder \[unsafe-path\]",
    )


# --- never destroy: the site folder and `new --force` --------------------------------------------


def site_project(project):
    base(project)
    (project.root / "mkdocs.yml").write_text(repo_mkdocs_yml())
    project.page("index.md", '# Home\n\n<snippet data-name="demo.hello"></snippet>\n')
    project.page("canary.md", "# Canary\n")  # a site needs a clean check


@pytest.mark.parametrize(
    ("site_dir", "why"),
    [
        ("shared", "holds the snippets folder \\(shared/snippets\\)"),
        (".", "is the project folder"),
        ("docs", "is the docs folder"),
        ("shared/snippets/demo", "is inside the snippets folder \\(shared/snippets\\)"),
        ("..", "holds the project folder"),
        ("keep", "has files that no snippetgen build made"),
    ],
)
def test_build_refuses_a_site_dir_it_would_destroy(project, site_dir, why):
    site_project(project)
    (project.root / "keep").mkdir()
    (project.root / "keep" / "notes.txt").write_text("mine\n")
    proc, changed = run_case("build", "--site-dir", site_dir, cwd=project.root)
    expect(proc, 2, rf"^error: refusing to build the site there: --site-dir \S+ {why}", "hint: .*--site-dir")
    assert changed == []


def test_build_refuses_site_dir_of_mkdocs_yml_too(project):
    site_project(project)
    (project.root / "mkdocs.yml").write_text(repo_mkdocs_yml() + "\nsite_dir: shared\n")
    proc, changed = run_case("build", cwd=project.root)
    expect(
        proc,
        2,
        "^error: refusing to build the site there: site_dir in mkdocs.yml shared holds the snippets folder",
    )
    assert changed == []


def test_a_plain_mkdocs_build_with_the_plugin_refuses_the_projects_folders_too(project):
    site_project(project)
    before = hostile.tree(project.root)
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", "shared"],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=hostile.WALL_SECONDS,
        preexec_fn=hostile._limits,
    )
    assert proc.returncode != 0
    assert (
        "snippetgen: refusing to build the site there: site_dir shared holds the snippets folder"
        in proc.stderr
    )
    assert hostile.changes(before, hostile.tree(project.root)) == []


def test_build_makes_marks_and_reuses_its_own_site_dir(project):
    site_project(project)
    site = project.root / "out"
    proc, changed = run_case("build", "--site-dir", "out", cwd=project.root, outputs=(site,))
    expect(proc, 0, "site built")
    assert changed == [] and (site / SITE_MARKER).is_file() and (site / "index.html").is_file()
    proc, changed = run_case("build", "--site-dir", "out", cwd=project.root, outputs=(site,))
    expect(proc, 0, "site built")  # a folder a build made is emptied and built again
    assert changed == []


def test_the_package_and_tests_folders_are_never_a_site_dir(project):
    project_ = Project.load(project.root)
    assert "is the snippetgen package" in site_dir_problem(project_, PACKAGE_DIR, "--site-dir")
    assert "is inside the snippetgen package" in site_dir_problem(project_, PACKAGE_DIR / "x", "--site-dir")
    (project.root / "tests").mkdir()
    assert "is the tests folder" in site_dir_problem(project_, project.root / "tests", "--site-dir")
    assert "is inside the tests folder" in site_dir_problem(
        project_, project.root / "tests" / "out", "--site-dir"
    )
    assert "is inside the git folder" in site_dir_problem(project_, project.root / ".git" / "x", "--site-dir")
    assert site_dir_problem(project_, project.root / "site", "--site-dir") is None


SPEC = """\
openapi: 3.1.0
info: {title: Demo, version: "1"}
servers: [{url: "https://api.example.test"}]
paths:
  /v1/hello:
    post:
      operationId: hello
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [prompt], properties: {prompt: {type: string}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
"""


def test_new_force_replaces_only_what_it_writes_and_names_it(project):
    project.spec("demo", SPEC)
    proc, _ = run_case("new", "demo/hello", "--operation", "demo:hello", cwd=project.root)
    expect(proc, 0, "^wrote shared/snippets/demo/hello/js.jinja")
    folder = project.root / "shared" / "snippets" / "demo" / "hello"
    (folder / "js.jinja").write_text("// my edits\n")
    (folder / "README.md").write_text("notes\n")
    proc, changed = run_case(
        "new",
        "demo/hello",
        "--operation",
        "demo:hello",
        "--lang",
        "py",
        "--force",
        cwd=project.root,
        outputs=(folder / "config.json", folder / "py.jinja"),
    )
    expect(
        proc,
        0,
        "^replaced shared/snippets/demo/hello/config.json$",
        "^replaced shared/snippets/demo/hello/py.jinja$",
        "^kept README.md, curl.jinja, js.jinja",
    )
    assert changed == []
    assert (folder / "js.jinja").read_text() == "// my edits\n"


def test_new_does_not_write_through_a_symlink(project, tmp_path_factory):
    project.spec("demo", SPEC)
    outside = tmp_path_factory.mktemp("outside")
    (outside / "config.json").write_text("precious\n")
    folder = project.root / "shared" / "snippets" / "demo" / "hello"
    folder.mkdir(parents=True)
    (folder / "config.json").symlink_to(outside / "config.json")
    proc, changed = run_case(
        "new", "demo/hello", "--operation", "demo:hello", "--force", cwd=project.root, watch=(outside,)
    )
    expect(proc, 2, "shared/snippets/demo/hello/config.json is a symlink or leads out of the snippets folder")
    assert changed == []


# --- deep nesting and big inputs -----------------------------------------------------------------


def test_a_config_nested_3000_deep_is_a_located_error(project):
    base(project)
    deep = '{\n  "title": "Deep",\n  "payload": {"x": ' + "[" * 3000 + "]" * 3000 + "}\n}\n"
    project.snippet("demo.deep", deep, py="print(1)\n")
    check(
        project,
        r"^shared/snippets/demo/deep/config\.json:3:\d+: config\.json is nested more than 64 levels deep \[too-deep\]",
    )


def test_a_50_mb_config_is_refused_before_it_is_read(project):
    base(project)
    folder = project.snippet("demo.big", {"title": "Big"}, py="print(1)\n")
    with open(folder / "config.json", "w") as handle:
        handle.write('{"title": "Big", "description": "')
        for _ in range(50):
            handle.write("x" * (1 << 20))
        handle.write('"}\n')
    check(
        project,
        r"^shared/snippets/demo/big/config\.json:1: config\.json is 52,428,\d+ bytes, over the limit of"
        r" 1,048,576 \[too-large\]",
    )


def test_the_config_cap_comes_from_pyproject(project):
    base(project)
    (project.root / "pyproject.toml").write_text("[tool.snippetgen]\nmax_config_bytes = 50\n")
    check(
        project,
        r"^shared/snippets/demo/hello/config\.json:1: config\.json is \d+ bytes, over the limit of 50 \[too-large\]",
    )


def test_a_huge_template_is_refused_before_it_is_read(project):
    base(project)
    project.snippet("demo.huge", {"title": "Huge"}, py="# " + "x" * (2 << 20) + "\n")
    check(
        project,
        r"^shared/snippets/demo/huge/py\.jinja:1: py\.jinja is \d[\d,]+ bytes, over the limit of"
        r" 1,048,576 \[too-large\]",
    )


@pytest.mark.parametrize(
    ("page", "line", "what"),
    [
        (">" * 3000 + " deep\n", 3, "3000 block quotes deep"),
        ("".join("    " * i + "- item\n" for i in range(3000)), 52, "about 49 list levels"),
        ("<div>" * 3000 + "x" + "</div>" * 3000 + "\n", 3, "49 HTML elements deep"),
        ("[" * 3000 + "x" + "]" * 3000 + "(y)\n", 3, "49 brackets deep"),
    ],
)
def test_a_page_nested_3000_deep_is_a_located_error(project, page, line, what):
    base(project)
    project.page("deep.md", "# Deep\n\n" + page)
    check(
        project,
        rf"^docs/deep\.md:{line}:\d+: the page nests too deeply for the site's Markdown: {what}.* \(at"
        rf" most 48\) \[page-too-deep\]",
    )


def test_a_data_value_of_json_nested_3000_deep_is_a_located_error(project):
    base(project, options={"a": 1})
    project.snippet(
        "demo.opts",
        {"title": "Opts", "payload": {"options": {"a": 1}}},
        py="print({{ options | lit }})\n",
    )
    project.page(
        "index.md",
        '\n<snippet data-name="demo.opts" data-options="' + "[" * 3000 + "]" * 3000 + '"></snippet>\n',
    )
    check(
        project,
        r"^docs/index\.md:2:1: demo\.opts: bad value .* for 'options': nested more than 64 levels deep \[render\]",
    )


# --- command-line arguments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("mock", "--port", "80000"),
            r"^error: Invalid value for '--port': 80000 is not in the range 0<=x<=65535\.$",
        ),
        (
            ("mock", "--port", "-1"),
            r"^error: Invalid value for '--port': -1 is not in the range 0<=x<=65535\.$",
        ),
        (("check", "--root", "afile"), r"^error: Invalid value for '--root': Directory 'afile' is a file\.$"),
        (("check", "--root", "nowhere"), r"^error: project folder .*nowhere does not exist$"),
        (
            ("build", "--site-dir", "afile"),
            r"^error: Invalid value for '--site-dir': Directory 'afile' is a file\.$",
        ),
        (
            ("serve", "--dev-addr", "localhost:99999"),
            r"^error: Invalid value for '--dev-addr': 'localhost:99999': expected HOST:PORT",
        ),
        (
            ("render", "demo.hello", "--set", "nothing"),
            r"^error: Invalid value for --set: 'nothing': expected NAME=VALUE",
        ),
    ],
)
def test_bad_arguments_are_one_line_usage_errors(project, args, message):
    base(project)
    (project.root / "afile").write_text("not a folder\n")
    proc, changed = run_case(*args, cwd=project.root)
    out = expect(proc, 2, message)
    assert "Usage:" not in out and len(out.strip().splitlines()) <= 2  # the error and one hint
    assert changed == []


def test_binding_the_mock_beyond_loopback_warns(project):
    # no specs folder: the mock stops right after the warning
    proc, _ = run_case("mock", "--host", "0.0.0.0", "--port", "0", cwd=project.root)
    assert proc.stderr.startswith(
        "warning: --host 0.0.0.0 makes the mock (and the keys it accepts) reachable from other machines"
    ), proc.stderr
    assert "Traceback" not in proc.stderr
    quiet, _ = run_case("mock", "--host", "127.0.0.1", "--port", "0", cwd=project.root)
    assert "warning" not in quiet.stderr


def test_the_harness_limits_really_bound_a_case(monkeypatch):
    """The limits every case runs under are real: past them a process is stopped, not the machine."""
    monkeypatch.setattr(hostile, "CPU_SECONDS", 2)  # read by _limits in the forked child
    memory = subprocess.run(
        [sys.executable, "-c", "b = bytearray(3 * 1024**3)"],
        preexec_fn=hostile._limits,
        capture_output=True,
        text=True,
    )
    assert memory.returncode != 0 and "MemoryError" in memory.stderr
    cpu = subprocess.run([sys.executable, "-c", "while True: pass"], preexec_fn=hostile._limits, timeout=600)
    assert cpu.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
