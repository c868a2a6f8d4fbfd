"""A reader who runs an example without setting its key gets one line naming the variable.

The repository's own snippets run for real (rendered, in the sandbox, against the mock) with the
key variable unset: each language must stop before any request with exactly one line on stderr
that names the variable, never a traceback, a ``KeyError`` or a ``Bearer undefined`` request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from snippetgen.mock import MockServer, MockSettings
from snippetgen.project import Project
from snippetgen.runner import Runner, collect_examples
from snippetgen.runner.collect import Example
from snippetgen.workspace import load_workspace

ROOT = Path(__file__).resolve().parent.parent
UNSET = "SNIPPETGEN_TEST_UNSET_KEY"
"""The key variable the examples are pointed at: the sandbox's clean environment never has it."""

CASES = [
    # (snippet, language, what the message names after the variable)
    ("chat.http", "py", "AI/ML API key (https://aimlapi.com/app/keys)"),
    ("chat.http", "js", "AI/ML API key (https://aimlapi.com/app/keys)"),
    ("chat.http", "curl", "AI/ML API key (https://aimlapi.com/app/keys)"),
    ("chat.openai-sdk", "py", "AI/ML API key"),  # the SDKs would raise their own errors first
    ("chat.openai-sdk", "js", "AI/ML API key"),
    ("kling.generate-video", "py", "AI/ML API key"),  # a job: nothing starts without the key
    ("kling.generate-video", "js", "AI/ML API key"),
    ("kling.generate-video", "curl", "AI/ML API key"),
    ("ainow.ping", "js", "AI-Now API key"),  # once sent "Bearer undefined"
    ("media.list-projects", "curl", "media API key"),
]


@pytest.fixture(scope="module")
def runner() -> Iterator[tuple[Runner, dict[str, Example]]]:
    project = Project.load(ROOT)
    ws, _ = load_workspace(project)
    examples = {}
    for example in collect_examples(ws):
        if example.snippet is not None and example.usage.endswith("::" + example.snippet.key):
            examples.setdefault(f"{example.snippet.key}::{example.lang}", example)
    mock = MockServer(project.specs_dir, settings=MockSettings()).start()
    run = Runner(ws, mock, node_modules=project.node_modules)
    try:
        yield run, examples
    finally:
        run.close()
        mock.stop()


@pytest.mark.parametrize("key, lang, names", CASES, ids=[f"{k}::{lang}" for k, lang, _ in CASES])
def test_an_unset_key_stops_the_example_with_one_line(
    runner: tuple[Runner, dict[str, Example]], key: str, lang: str, names: str
) -> None:
    run, examples = runner
    example = examples[f"{key}::{lang}"]
    # The embed sets the key variable's name to one nobody sets: the real code, rendered as a page
    # would render it, runs in the sandbox with that variable missing from its environment.
    unset = dataclasses.replace(example, overrides={**example.overrides, "apiKeyEnv": UNSET})
    outcome = run.run(unset)
    assert UNSET in outcome.code
    process = outcome.process
    assert process is not None and not process.timed_out
    assert process.returncode not in (0, None), process.stdout
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, process.stderr
    assert f"Set {UNSET} to your {names}" in lines[0]
    for noise in ("Traceback", "KeyError", "undefined", "Error:"):
        assert noise not in lines[0], lines[0]
    assert outcome.requests == [], "the example called the API without a key"
    assert process.stdout.strip() == ""


def test_every_keyed_snippet_names_its_key_when_it_is_missing() -> None:
    """The run above covers one example per language; every other keyed program carries the same
    one-line check (rendered as the site shows it)."""
    from snippetgen.render import render

    ws, _ = load_workspace(Project.load(ROOT))
    missing = []
    for key, snippet in sorted(ws.catalog.snippets.items()):
        env = snippet.payload.get("apiKeyEnv")
        if not env:
            continue
        for lang in snippet.templates:
            code = render(snippet, lang).code
            if f"Set {env} to your " not in code:
                missing.append(f"{key} [{lang}]")
            if lang == "py" and "os.environ[" in code:
                missing.append(f"{key} [py]: os.environ[...] raises KeyError with a traceback")
    assert missing == []
