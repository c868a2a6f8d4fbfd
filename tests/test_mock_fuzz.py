"""Schemathesis against the running mock, one real spec at a time: no 5xx, responses conform to the
spec (status, content type, headers, schema), invalid data and missing auth are rejected.

Bounded: examples, coverage and fuzzing phases, 8 fuzzed examples per operation, deterministic
generation (about 30 s for the four specs on one core)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snippetgen.mock import DEFAULT_KEY, MockServer, MockSettings

SPECS = Path(__file__).parents[1] / "shared" / "openapi"
APIS = sorted(p.stem for p in SPECS.glob("*.yaml"))
ST = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")

pytestmark = pytest.mark.skipif(not APIS or ST is None, reason="no specs or no schemathesis CLI")


@pytest.fixture(scope="module")
def mock():
    # the overrides lift the specs' hourly limits and token balances so hundreds of fuzz requests
    # are not answered 429 or 418 (both are tested in test_mock.py and test_mock_specs.py)
    settings = MockSettings(stream_interval=0, rate_limit=10**9, rate_window=3600, balance=10**12)
    with MockServer(SPECS, settings=settings) as server:
        yield server


@pytest.mark.parametrize("api", APIS)
def test_schemathesis_finds_nothing(mock, api):
    mock.reset()
    command = [
        ST,
        "run",
        str(SPECS / f"{api}.yaml"),
        "--url",
        mock.base_urls[api],
        "--header",
        f"Authorization: Bearer {DEFAULT_KEY}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "8",
        "--generation-deterministic",
        "--request-timeout",
        "10",
        "--no-color",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert not [e for e in mock.requests(api) if e["status"] >= 500]
