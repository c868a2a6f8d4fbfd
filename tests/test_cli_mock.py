"""`snippetgen mock` and `python -m snippetgen.mock` as a person runs them: one line per API, keys from
--key, a clean stop."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def test_mock_command_prints_base_urls_and_accepts_only_given_keys(tmp_path):
    log = tmp_path / "requests.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snippetgen",
            "mock",
            "--port",
            "0",
            "--key",
            "team-key-1",
            "--log",
            str(log),
            "--root",
            str(ROOT),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = time.monotonic()
        lines = [proc.stdout.readline().split() for _ in range(4)]
        assert time.monotonic() - started < 10
        urls = dict(lines)
        assert sorted(urls) == ["aiart", "aimlapi", "ainow", "media"]
        assert urls["media"].endswith("/api/v1")
        ping = urls["ainow"] + "/api/ping"
        assert (
            requests.get(ping, headers={"Authorization": "Bearer team-key-1"}, timeout=5).text.strip()
            == "pong"
        )
        denied = requests.get(ping, headers={"Authorization": "Bearer mock-test-key"}, timeout=5)
        assert denied.status_code == 401 and denied.json()["status"] == "Error"
        assert len(log.read_text().splitlines()) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "Traceback" not in proc.stderr.read()


def test_python_dash_m_mock_serves_a_spec_dir_with_its_settings():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snippetgen.mock",
            str(ROOT / "tests" / "mock_specs" / "core"),
            "--port",
            "0",
            "--polls-per-phase",
            "2",
            "--key",
            "k",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        urls = dict(proc.stdout.readline().split() for _ in range(2))
        assert sorted(urls) == ["alpha", "beta"] and urls["alpha"].endswith("/v2")
        auth = {"Authorization": "Bearer k"}
        job = urls["alpha"] + "/generate"
        gid = requests.post(job, json={"model": "fast", "prompt": "p"}, headers=auth, timeout=5).json()
        polls = [
            requests.get(job, params={"generation_id": gid["generation_id"]}, headers=auth, timeout=5).json()
            for _ in range(3)
        ]
        assert [p["status"] for p in polls] == ["queued", "queued", "generating"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "Traceback" not in proc.stderr.read()
