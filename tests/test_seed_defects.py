"""`import-hbs` then `check` on the original repository's snippets finds its real defects in one run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from seed_tree import extract_snippets, seed_dump


def test_original_snippets_report_their_real_defects(tmp_path: Path):
    dump = seed_dump()
    if dump is None:
        pytest.skip("the seed dump (../shared/seeds/003_*.txt) is not beside this checkout")
    src = extract_snippets(dump, tmp_path / "hbs")
    dest = tmp_path / "proj" / "shared" / "snippets"
    cli = [sys.executable, "-m", "snippetgen"]
    imported = subprocess.run([*cli, "import-hbs", str(src), str(dest)], capture_output=True, text=True)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    checked = subprocess.run(
        [*cli, "check", "--root", str(tmp_path / "proj"), "--format", "json"], capture_output=True, text=True
    )
    assert checked.returncode == 1
    problems = json.loads(checked.stdout)["problems"]
    undefined = {
        p["path"].split("/")[2] + "." + p["path"].split("/")[3]
        for p in problems
        if p["code"] == "undefined-variable" and "'model'" in p["message"]
    }
    assert len(undefined) == 22
    syntax = sorted(
        (p["path"].removeprefix("shared/snippets/"), p["line"])
        for p in problems
        if p["code"] == "syntax-error"
    )
    assert syntax == [
        ("audio/create-generation-minimax/js.jinja", 10),
        ("luma-ai/create-generation/py.jinja", 4),
        ("minimax/create-audio-generation/js.jinja", 16),
        ("minimax/create-audio-generation/py.jinja", 18),
        ("open-ai/chat-completion-code/js.jinja", 4),
        ("together-ai/chat-completion-vision/js.jinja", 33),
    ]
    assert {p["code"] for p in problems} == {"undefined-variable", "syntax-error"}
