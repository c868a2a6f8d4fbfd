"""Where a project keeps its catalog, specs and pages (``[tool.snippetgen]`` in pyproject.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

DEFAULTS = {
    "snippets": "shared/snippets",
    "specs": "shared/openapi",
    "docs": "docs",
    "coverage_min": 100.0,
    "node_modules": "node_modules",
}


@dataclass(frozen=True)
class Project:
    """Resolved paths of one snippetgen project."""

    root: Path
    snippets_dir: Path
    specs_dir: Path
    docs_dir: Path
    coverage_min: float = 100.0
    node_modules: Path | None = None
    """Where JavaScript examples find their npm packages (linked into each example's folder)."""

    @property
    def record_path(self) -> Path:
        """The execution record the test run writes and ``snippetgen coverage`` reads."""
        return self.root / ".snippetgen" / "last-run.json"

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    @classmethod
    def load(cls, root: Path | str = ".") -> Project:
        root = Path(root).resolve()
        if not root.is_dir():
            raise UsageError(f"project folder {root} does not exist")
        settings = dict(DEFAULTS)
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise UsageError(f"{pyproject.name}: invalid TOML: {exc}") from None
            own = data.get("tool", {}).get("snippetgen", {})
            unknown = set(own) - set(DEFAULTS)
            if unknown:
                raise UsageError(
                    f"pyproject.toml: unknown [tool.snippetgen] key(s) {', '.join(sorted(unknown))}; "
                    f"known: {', '.join(DEFAULTS)}"
                )
            settings.update(own)
        return cls(
            root=root,
            snippets_dir=root / settings["snippets"],
            specs_dir=root / settings["specs"],
            docs_dir=root / settings["docs"],
            coverage_min=float(settings["coverage_min"]),
            node_modules=root / settings["node_modules"],
        )
