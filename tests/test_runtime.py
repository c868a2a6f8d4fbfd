"""The warm runtimes of a sandbox cell keep each example apart (issue 16): JavaScript examples run one
after another in the cell's warm node (runtime/warm_node.cjs), each in a fresh ``vm`` context, and
nothing of one (globals, environment, timers, listeners, a process.exit, an error, a hang) reaches
the next; examples of other languages cannot touch the warm node. Real cell, real mock, real node."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TINY_ECHO_SPEC

from snippetgen.mock import MockServer, MockSettings
from snippetgen.model import Location
from snippetgen.project import Project
from snippetgen.runner import Runner, isolation
from snippetgen.runner.collect import Example
from snippetgen.workspace import load_workspace

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"
SPEC = TINY_ECHO_SPEC

pytestmark = pytest.mark.skipif(
    not isolation.support().available, reason=f"no kernel isolation here: {isolation.support().why}"
)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    root = tmp_path_factory.mktemp("tiny")
    (root / "shared" / "openapi").mkdir(parents=True)
    (root / "shared" / "openapi" / "tiny.yaml").write_text(SPEC)
    (root / "shared" / "snippets").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "pyproject.toml").write_text('[tool.snippetgen]\nsandbox = "required"\n')
    project = Project.load(root)
    ws, _ = load_workspace(project)
    with MockServer(project.specs_dir, settings=MockSettings(polls_per_phase=1)) as mock:
        run = Runner(ws, mock, node_modules=NODE_MODULES, sandbox="required", timeout=10)
        try:
            yield run
        finally:
            run.close()


_count = iter(range(10_000))


def run(runner: Runner, lang: str, code: str, *, timeout: float | None = None) -> tuple[int | None, str, str]:
    """Run hand-written ``code``; its exit status, stdout and stderr."""
    n = next(_count)
    example = Example(f"docs/t.md:{n}", lang, Location("docs/t.md", n), code=textwrap.dedent(code))
    if timeout is not None:
        runner.timeout = timeout
    try:
        outcome = runner.run(example)
    finally:
        runner.timeout = 10
    assert outcome.process is not None, outcome.failures
    return outcome.process.returncode, outcome.process.stdout, outcome.process.stderr


def node_pid(runner: Runner) -> int:
    code, out, err = run(runner, "js", "console.log(JSON.stringify({pid: process.pid}));\n")
    assert code == 0, err
    return int(json.loads(out)["pid"])


def test_javascript_examples_share_a_warm_node_but_never_their_globals(runner: Runner) -> None:
    pid = node_pid(runner)
    first = """\
        globalThis.leaked = "from the first example";
        var declared = 1;
        process.env.LEAKED_VARIABLE = "yes";
        process.on("exit", () => console.log("the first example's exit listener"));
        setInterval(() => console.log("a timer of the first example"), 5).unref();
        console.log(JSON.stringify({pid: process.pid}));
        """
    code, out, err = run(runner, "js", first)
    assert code == 0, err
    lines = out.splitlines()
    assert json.loads(lines[0])["pid"] == pid  # the same warm node ran it: the fast path is the one tested
    assert lines[-1] == "the first example's exit listener"  # called at its end, as node would
    second = """\
        await new Promise((resolve) => setTimeout(resolve, 50));
        console.log(JSON.stringify({
          pid: process.pid,
          leaked: typeof leaked,
          declared: typeof declared,
          env: process.env.LEAKED_VARIABLE ?? null,
          exitListeners: process.listenerCount("exit"),
        }));
        """
    code, out, err = run(runner, "js", second)
    assert code == 0, err
    assert "a timer of the first example" not in out
    seen = json.loads(out)
    assert seen == {
        "pid": pid,
        "leaked": "undefined",
        "declared": "undefined",
        "env": None,
        "exitListeners": 0,
    }


def test_process_exit_an_uncaught_error_and_a_hang_end_the_example_and_a_fresh_node_takes_over(
    runner: Runner,
) -> None:
    pid = node_pid(runner)
    code, out, _ = run(runner, "js", 'console.log("before"); process.exit(3); console.log("after");\n')
    assert (code, out.strip()) == (3, "before")
    after_exit = node_pid(runner)
    assert after_exit != pid

    code, _, err = run(runner, "js", 'setTimeout(() => { throw new TypeError("boom in a timer"); }, 1);\n')
    assert code == 1 and "TypeError: boom in a timer" in err
    after_error = node_pid(runner)
    assert after_error != after_exit

    code, _, err = run(runner, "js", "await Promise.reject(new RangeError('rejected at the top'));\n")
    assert code == 1 and "RangeError: rejected at the top" in err

    code, _, _ = run(runner, "js", "while (true) {}\n", timeout=1)
    assert code is None  # timed out: the warm node was killed with it
    code, out, err = run(runner, "js", "console.log(1 + 1);\n")
    assert (code, out.strip()) == (0, "2"), err


def test_an_exit_code_and_a_module_that_never_settles_are_reported_as_node_would(runner: Runner) -> None:
    code, _, _ = run(runner, "js", "process.exitCode = 4;\n")
    assert code == 4
    code, out, _ = run(runner, "js", "console.log('next');\n")
    assert (code, out.strip()) == (0, "next")  # exitCode does not stick to the next example
    code, _, err = run(runner, "js", "await new Promise(() => {});\n")
    assert code == 13 and "unsettled top-level await" in err


def test_commonjs_modules_packages_and_the_working_folder(runner: Runner) -> None:
    code, out, err = run(
        runner,
        "js",
        """\
        const fs = require("node:fs");
        const path = require("node:path");
        fs.writeFileSync("made.txt", "x");
        const made = fs.existsSync(path.join(__dirname, "made.txt"));
        console.log(JSON.stringify({cwd: process.cwd(), here: __dirname, made}));
        """,
    )
    assert code == 0, err
    seen = json.loads(out)
    assert seen["cwd"] == seen["here"] and seen["made"] is True
    code, out, err = run(
        runner,
        "js",
        'import OpenAI from "openai";\nimport { readFileSync } from "node:fs";\n'
        "console.log(typeof OpenAI, typeof readFileSync, import.meta.url.startsWith('file:///sandbox/'));\n",
    )
    assert (code, out.strip()) == (0, "function function true"), err


def test_the_egress_guard_reads_each_examples_environment(runner: Runner) -> None:
    code, _, err = run(
        runner,
        "js",
        "try { await fetch('http://127.0.0.1:8/'); } catch (e) { console.error(String(e.cause ?? e)); process.exit(2); }\n",
    )
    assert code == 2
    assert "egress guard: blocked connection to 127.0.0.1:8" in err


def test_examples_of_other_languages_cannot_touch_the_warm_node(runner: Runner) -> None:
    if not isolation.support().privileged:
        pytest.skip("the warm node has a user of its own only in a privileged cell (run as root)")
    pid = node_pid(runner)
    code, out, err = run(
        runner,
        "py",
        f"""\
        import os, signal
        try:
            os.kill({pid}, signal.SIGKILL)
            print("killed")
        except PermissionError:
            print("refused")
        try:
            open("/proc/{pid}/mem", "rb").read(1)
            print("read")
        except OSError:
            print("refused")
        """,
    )
    assert code == 0, err
    assert out.split() == ["refused", "refused"]
    assert node_pid(runner) == pid


def test_a_python_example_importing_an_sdk_runs_warm_and_alone(runner: Runner) -> None:
    code, out, err = run(
        runner, "py", "import sys\nprint('openai' in sys.modules)\nimport openai\nprint('ok')\n"
    )
    assert code == 0, err
    # The cell loaded the SDK before forking this example (it was named in its file).
    assert re.fullmatch(r"True\s+ok", out.strip()), out
