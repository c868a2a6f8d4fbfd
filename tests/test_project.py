"""``[tool.snippetgen]`` settings: defaults, per-API settings, lint severities, located errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from snippetgen.errors import UsageError
from snippetgen.project import ApiSettings, Project


def write(root: Path, body: str) -> Path:
    (root / "pyproject.toml").write_text(f'[project]\nname = "docs"\n\n{body}', encoding="utf-8")
    return root


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    project = Project.load(tmp_path)
    assert project.snippets_dir == tmp_path / "shared" / "snippets"
    assert project.specs_dir == tmp_path / "shared" / "openapi"
    assert project.sandbox == "auto" and project.lint == {} and project.apis == {}
    assert project.api("anything") == ApiSettings()
    assert project.severity("spec-lint", "anything") == "error"


def test_settings_are_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        '[tool.snippetgen]\nspecs = "openapi"\nsandbox = "required"\nmax_spec_bytes = 1000\n\n'
        '[tool.snippetgen.lint]\nsyntax-error = "warning"\n\n'
        '[tool.snippetgen.apis.openai]\nbase_url = "https://api.openai.com/v1/"\nvendor = true\n',
    )
    project = Project.load(tmp_path)
    assert project.specs_dir == tmp_path / "openapi"
    assert project.sandbox == "required" and project.max_spec_bytes == 1000
    assert project.api("openai") == ApiSettings("https://api.openai.com/v1", True)
    assert project.severity("syntax-error") == "warning"
    assert project.severity("spec-lint", "openai") == "warning"  # a vendor spec's house lint
    assert project.severity("spec-invalid", "openai") == "error"  # validity is never relaxed
    assert project.severity("spec-lint", "other") == "error"


@pytest.mark.parametrize(
    "body, line, words",
    [
        ('[tool.snippetgen]\ndocs = "docs"\nsnipets = "x"\n', 6, "unknown [tool.snippetgen] key(s) snipets"),
        ('[tool.snippetgen]\nsandbox = "maybe"\n', 5, "sandbox = 'maybe'"),
        ("[tool.snippetgen]\ncoverage_min = 120\n", 5, "coverage_min must be a percentage"),
        ("[tool.snippetgen]\nmax_config_bytes = -1\n", 5, "must be a positive whole number"),
        ('[tool.snippetgen.lint]\nspec-lint = "loud"\n', 5, "spec-lint = 'loud'"),
        ('[tool.snippetgen.apis.x]\nbase_url = "/v1"\n', 5, "base_url must be an absolute http(s) URL"),
        ('[tool.snippetgen.apis.x]\nvendor = "yes"\n', 5, "vendor must be true or false"),
        ('[tool.snippetgen.apis.x]\nbase = "https://a.test"\n', 5, "unknown key 'base'"),
        ("[tool.snippetgen]\ndocs = [\n", 5, "invalid TOML"),
    ],
)
def test_bad_settings_are_located(tmp_path: Path, body: str, line: int, words: str) -> None:
    write(tmp_path, body)
    with pytest.raises(UsageError) as info:
        Project.load(tmp_path)
    assert words in info.value.message
    assert info.value.location is not None
    assert (info.value.location.path, info.value.location.line) == ("pyproject.toml", line)


def test_cli_reports_a_bad_setting_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, '[tool.snippetgen]\nsandbox = "maybe"\n')
    out = subprocess.run(
        [sys.executable, "-m", "snippetgen", "check", "--root", str(tmp_path)], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert out.stderr.startswith("pyproject.toml:5: [tool.snippetgen] sandbox = 'maybe'")
    assert "Traceback" not in out.stderr
