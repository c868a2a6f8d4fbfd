"""Extract the original ``shared/snippets`` tree from the flattened dump of the original docs repo.

The dump (``shared/seeds/003_*.txt`` next to the repository) lists files as::

    ================================================
    File: shared/snippets/3d/triposr/config.json
    ================================================
    <content>
    <blank line>

The templates are never copied into this repository: tests extract them into a temporary folder.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_HEADER = re.compile(r"^={48}\nFile: (.+)\n={48}\n", re.M)


def seed_dump() -> Path | None:
    """``<repo>/../shared/seeds/003_*.txt``, or None when the seeds are not there."""
    found = sorted((REPO.parent / "shared" / "seeds").glob("003_*.txt"))
    return found[0] if found else None


def dump_files(dump: Path) -> dict[str, str]:
    """Every file of the dump, path -> text (the separator's trailing blank line removed)."""
    text = dump.read_text(encoding="utf-8")
    heads = list(_HEADER.finditer(text))
    files = {}
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        body = text[head.end() : nxt.start() if nxt else len(text)]
        files[head.group(1)] = body[:-2] if body.endswith("\n\n") else body.rstrip("\n")
    return files


def extract_snippets(dump: Path, into: Path) -> Path:
    """Write the dump's ``shared/snippets/**`` under ``into``; returns ``into/shared/snippets``."""
    for name, body in dump_files(dump).items():
        if name.startswith("shared/snippets/"):
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8", newline="")
    return into / "shared" / "snippets"
