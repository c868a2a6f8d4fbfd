"""Shared fixtures: build small real projects in temporary folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


class ProjectFactory:
    """Writes snippets, pages and specs of a throwaway project under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        (root / "shared" / "snippets").mkdir(parents=True, exist_ok=True)
        (root / "docs").mkdir(exist_ok=True)

    def snippet(self, key: str, config: dict | str | None = None, **templates: str) -> Path:
        group, name = key.split(".", 1) if "." in key else key.split("/", 1)
        folder = self.root / "shared" / "snippets" / group / name
        folder.mkdir(parents=True, exist_ok=True)
        if config is None:
            config = {"title": f"Example {key}"}
        text = config if isinstance(config, str) else json.dumps(config, indent=2) + "\n"
        (folder / "config.json").write_text(text, encoding="utf-8")
        for lang, source in templates.items():
            (folder / f"{lang}.jinja").write_text(source, encoding="utf-8")
        return folder

    def page(self, rel: str, text: str) -> Path:
        path = self.root / "docs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def spec(self, name: str, text: str) -> Path:
        path = self.root / "shared" / "openapi" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


TINY_ECHO_SPEC = """\
openapi: 3.1.0
info: {title: Tiny, version: "1.0"}
servers: [{url: "https://api.tiny.test/v1"}]
paths:
  /echo:
    post:
      operationId: echo
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, properties: {prompt: {type: string}}, required: [prompt]}
      responses:
        "200":
          description: Echoed
          content:
            application/json:
              schema: {type: object}
              example: {ok: true}
"""
"""One API with one JSON operation (POST /echo): the sandbox and runtime tests run examples against it."""


@pytest.fixture
def project(tmp_path: Path) -> ProjectFactory:
    return ProjectFactory(tmp_path)


def repo_mkdocs_yml() -> str:
    """The repository's mkdocs.yml without its ``nav`` (whose pages a small test site lacks)."""
    import re

    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    return re.sub(r"\nnav:\n(?:[ \t]+.*\n|\n)*", "\n", text)
