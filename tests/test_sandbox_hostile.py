"""Hostile examples (tests/hostile_examples/) run through the real pytest plugin and the real ``snippetgen run``
in kernel isolation, with fake keys in the environment and a loopback listener standing in for the
outside world: the listener receives nothing, no key appears in any output, nothing is written
outside the example's folder, no process survives, and each example fails saying what it tried.

Each test refuses to run the corpus without kernel isolation: there the examples would really try.
"""

from __future__ import annotations

import fnmatch
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import TINY_ECHO_SPEC

from snippetgen.runner import isolation

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow

HOSTILE = Path(__file__).resolve().parent / "hostile_examples"
LANG_OF = {".py": "py", ".js": "js", ".sh": "curl"}
SNIPPETGEN = Path(sys.executable).parent / "snippetgen"
FAKE_KEYS = {
    "HOSTILE_API_KEY": "sk-hostile-4f9c2a7e1b3d5f60a8c9e7d1",
    "HOSTILE_TOKEN": "ghp_HostileFakeToken0123456789abcdefXYZ",
    "HOSTILE_DB_PASSWORD": "hunter2-but-much-longer-0451",
    "HOSTILE_AUTH": "aiml-fake-key-7d3e9b21c0a4",  # named by the snippets' payload.apiKeyEnv only
}
FLOOD_MB = 1400
SPEC = TINY_ECHO_SPEC
TIMEOUTS = {"life-hang": 2, "exhaust-processes": 8}


def corpus() -> dict[str, dict[str, tuple[str, list[str]]]]:
    """route -> language -> (template, fnmatch patterns its failure report must contain)."""
    routes: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for path in sorted(HOSTILE.glob("*.jinja")):
        stem = Path(path.stem)
        source = path.read_text(encoding="utf-8")
        expect = re.findall(r"^(?:#|//) expect: (.+)$", source, re.M)
        routes.setdefault(stem.stem.replace("_", "-"), {})[LANG_OF[stem.suffix]] = (source, expect)
    return routes


class Outside:
    """The outside world: a TCP and a UDP listener on loopback that record whatever reaches them."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.tcp_port = self.tcp.getsockname()[1]
        self.udp_port = self.udp.getsockname()[1]
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.tcp.accept()
                conn.settimeout(0.5)
                try:
                    data = conn.recv(4096)
                except OSError:
                    data = b""
                self.received.append(f"tcp from {peer}: {data[:80]!r}")
                conn.close()
            except TimeoutError:
                pass
            try:
                data, peer = self.udp.recvfrom(4096)
                self.received.append(f"udp from {peer}: {data[:80]!r}")
            except TimeoutError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.tcp.close()
        self.udp.close()


@pytest.fixture
def outside():
    world = Outside()
    yield world
    world.close()


@pytest.fixture
def isolated() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("kernel isolation is Linux-only")
    found = isolation.support()
    if not found.available:  # never run the corpus unisolated: it would really try
        pytest.fail(f"kernel isolation is not available here: {found.why}")


@pytest.fixture
def hostile(pytester, outside, isolated, tmp_path_factory, monkeypatch):
    """A project whose snippets are the corpus; the environment holds fake keys and a home folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name, value in FAKE_KEYS.items():
        monkeypatch.setenv(name, value)
    marker = f"sgx{uuid.uuid4().hex[:10]}"
    root = pytester.path
    (root / "shared" / "openapi").mkdir(parents=True)
    (root / "shared" / "openapi" / "tiny.yaml").write_text(SPEC)
    (root / "docs").mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.snippetgen]\nsandbox = "required"\nmax_memory_mb = 256\nmax_processes = 64\n'
        "max_output_bytes = 65536\n"
    )
    pytester.makeini("[pytest]\nsnippetgen = true\ntestpaths = shared/snippets\n")
    routes = corpus()
    for route, langs in routes.items():
        folder = root / "shared" / "snippets" / "hostile" / route
        folder.mkdir(parents=True)
        config = {
            "title": route,
            "payload": {
                "out_port": outside.tcp_port,
                "udp_port": outside.udp_port,
                "home": str(home),
                "repo": str(root),
                "marker": marker,
                "flood_mb": FLOOD_MB,
                "apiKeyEnv": "HOSTILE_AUTH",
            },
            "languages": list(langs),
        }
        if route in TIMEOUTS:
            config["test"] = {"timeout": TIMEOUTS[route]}
        (folder / "config.json").write_text(json.dumps(config, indent=2))
        for lang, (source, _) in langs.items():
            (folder / f"{lang}.jinja").write_text(source)
    return {"root": root, "home": home, "marker": marker, "routes": routes, "outside": outside}


class _PeakMemory:
    """The peak resident memory (VmHWM) of one process, read while it runs."""

    def __init__(self, pid: int) -> None:
        self.kib = 0
        self._path = Path(f"/proc/{pid}/status")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            try:
                status = self._path.read_text()
            except OSError:
                return
            found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if found:
                self.kib = max(self.kib, int(found.group(1)))

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)


def _files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if ".snippetgen" not in p.parts and "__pycache__" not in p.parts and p.name != "junit.xml"
    }


def _survivors(marker: str) -> str:
    return subprocess.run(["pgrep", "-af", marker], capture_output=True, text=True).stdout.strip()


def _nothing_got_out(env: dict, outputs: list[str]) -> None:
    """The checks every hostile run ends with (after the daemons' time to act has passed)."""
    marker, outside = env["marker"], env["outside"]
    time.sleep(3)  # the daemons would act 2 s after their example started
    assert outside.received == [], "the outside world was reached"
    assert _survivors(marker) == "", "a process of an example survived it"
    for text in outputs:
        for name, value in FAKE_KEYS.items():
            assert value not in text, f"the value of ${name} appears in the output"
    leaked = [str(p) for folder in (env["home"], env["root"]) for p in folder.rglob(f"*{marker}*")]
    leaked += [str(p) for p in Path("/tmp").glob(f"*{marker}*")]
    leaked += [str(p) for base in ("/usr", "/etc", "/") for p in Path(base).glob(f"{marker}*")]
    assert leaked == [], "an example wrote outside its folder"


def test_hostile_examples_get_nothing_out_through_the_pytest_plugin(hostile) -> None:
    root, routes = hostile["root"], hostile["routes"]
    before, home_before = _files(root), _files(hostile["home"])
    # The real plugin in a process of its own, so its peak memory under the output floods is its own.
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "--junitxml=junit.xml"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    peak = _PeakMemory(proc.pid)
    output = proc.communicate(timeout=900)[0].decode("utf-8", "replace")
    peak.stop()
    junit = (root / "junit.xml").read_text(encoding="utf-8")
    records = [p.read_text() for p in (root / ".snippetgen" / "runs").glob("*.json")]
    _nothing_got_out(hostile, [output, junit, *records])
    assert _files(root) == before
    assert _files(hostile["home"]) == home_before

    assert proc.returncode == 1, output
    assert "snippetgen: examples run in kernel isolation (bubblewrap)" in output
    cases = {}  # "<route>::<lang>" from the node id's name, e.g. "hostile.net-udp-dns[py]"
    for case in ET.fromstring(junit).iter("testcase"):
        named = re.fullmatch(r"hostile\.(.+)\[(?:line\d+-)?(\w+)\]", case.get("name", ""))
        assert named, case.get("name")
        cases[f"{named[1]}::{named[2]}"] = case
    assert set(cases) == {f"{route}::{lang}" for route, langs in routes.items() for lang in langs}
    for name, case in cases.items():
        failure = case.find("failure")
        assert failure is not None, f"{name} passed"
        text = failure.text or ""
        route, lang = name.split("::")
        for pattern in routes[route][lang][1]:
            pattern = pattern.replace("{{ out_port }}", str(hostile["outside"].tcp_port))
            assert fnmatch.fnmatchcase(text, f"*{pattern.strip('*')}*"), f"{name}: no {pattern!r} in\n{text}"
    # 3 x 1.4 GB of output went through it: each stream was kept to 64 KiB, and the runner stayed small.
    assert 0 < peak.kib < 400 * 1024, f"the runner grew to {peak.kib // 1024} MiB"


def _hang_longer(root: Path) -> None:
    """Give the hanging example time to be signalled while it runs."""
    config = root / "shared" / "snippets" / "hostile" / "life-hang" / "config.json"
    config.write_text(config.read_text().replace('"timeout": 2', '"timeout": 120'))


def _run_cli(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SNIPPETGEN), "run", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "route", ["keys-proc-environ", "net-guard-named", "write-everywhere", "life-daemon", "net-tcp-wrap"]
)
def test_hostile_examples_get_nothing_out_through_snippetgen_run(hostile, route) -> None:
    root = hostile["root"]
    before = _files(root)
    run = _run_cli(root, f"hostile.{route}")
    assert run.returncode == 1, run.stdout + run.stderr
    _nothing_got_out(hostile, [run.stdout, run.stderr])
    assert "examples run without kernel isolation" not in run.stderr
    for lang, (_, expect) in hostile["routes"][route].items():
        assert f"[{lang}]" in run.stdout and "FAIL" in run.stdout
        for pattern in expect:
            pattern = pattern.replace("{{ out_port }}", str(hostile["outside"].tcp_port))
            assert fnmatch.fnmatchcase(run.stdout, f"*{pattern.strip('*')}*"), run.stdout
    assert _files(root) == before


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_snippetgen_run_ends_the_example_and_everything_it_started(hostile, sig) -> None:
    root, marker = hostile["root"], hostile["marker"]
    _hang_longer(root)
    proc = subprocess.Popen(
        [str(SNIPPETGEN), "run", "hostile.life-hang", "--root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not _survivors(f"{marker}-hang-py") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _survivors(f"{marker}-hang-py"), "the example never started"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    # SIGTERM unwinds with 128 + 15; Ctrl-C is click's "aborted" (exit 2), as for every command
    assert proc.returncode == (143 if sig == signal.SIGTERM else 2), (proc.returncode, out, err)
    deadline = time.monotonic() + 10
    while _survivors(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _survivors(marker) == ""
    assert "Traceback" not in err


def test_killing_the_runner_outright_takes_its_sandbox_along(hostile) -> None:
    """SIGKILL leaves no time to clean up: the cell still dies with the runner (--die-with-parent)."""
    root, marker = hostile["root"], hostile["marker"]
    _hang_longer(root)
    proc = subprocess.Popen(
        [str(SNIPPETGEN), "run", "hostile.life-hang", "--root", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not _survivors(f"{marker}-hang-py") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _survivors(f"{marker}-hang-py"), "the example never started"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while _survivors(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _survivors(marker) == ""


def test_an_infinite_timeout_is_refused_not_run(hostile) -> None:
    root = hostile["root"]
    config = root / "shared" / "snippets" / "hostile" / "life-hang" / "config.json"
    config.write_text(config.read_text().replace('"timeout": 2', '"timeout": 1e999'))
    run = _run_cli(root, "hostile.life-hang")
    assert run.returncode == 1
    assert (
        "test.timeout must be a finite number of seconds (at most 600), not infinity (not run)" in run.stdout
    )
    assert _survivors(hostile["marker"]) == ""
