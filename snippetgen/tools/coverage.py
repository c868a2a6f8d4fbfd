"""Operation x language coverage: has a snippet, is embedded in a page, was executed in the last run."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..languages import language_ids
from ..record import Run
from ..workspace import Workspace


@dataclass
class Cell:
    """One operation in one language."""

    snippets: list[str] = field(default_factory=list)
    embedded: bool = False
    executed: bool = False


@dataclass
class Coverage:
    langs: list[str]
    rows: dict[str, dict[str, Cell]]
    """operation ref (``api:operationId``) -> language -> cell."""
    record_found: bool

    def percent(self, what: str) -> float:
        cells = [c for row in self.rows.values() for c in row.values()]
        if not cells:
            return 100.0
        hit = {
            "snippet": lambda c: bool(c.snippets),
            "embedded": lambda c: c.embedded,
            "executed": lambda c: c.executed,
        }[what]
        return 100.0 * sum(1 for c in cells if hit(c)) / len(cells)

    def missing(self) -> list[tuple[str, str]]:
        return [(op, lang) for op, row in self.rows.items() for lang, c in row.items() if not c.snippets]


def compute(ws: Workspace, record: list[Run]) -> Coverage:
    langs = language_ids()
    rows: dict[str, dict[str, Cell]] = {}
    if ws.specs is not None:
        for op in ws.specs.operations():
            rows[op.ref] = {lang: Cell() for lang in langs}
    embedded = {e.name for e in ws.embeds}
    for snippet in ws.catalog.snippets.values():
        for ref in snippet.operations:
            called = ws.specs.resolve(ref) if ws.specs is not None else None
            if called is None or called.ref not in rows:
                continue
            for lang in snippet.templates:
                if lang in rows[called.ref]:
                    cell = rows[called.ref][lang]
                    cell.snippets.append(snippet.key)
                    cell.embedded |= snippet.key in embedded
    for run in record:
        ran_in = run.row.get("lang")
        if not run.passed or not isinstance(ran_in, str):
            continue
        for ref in run.operations:  # strings only (the record is read by snippetgen.record)
            if ref in rows and ran_in in rows[ref]:
                rows[ref][ran_in].executed = True
    return Coverage(langs, rows, bool(record))


def format_table(cov: Coverage) -> str:
    """A plain-text table: one row per operation, ``S E X`` flags per language."""
    width = max([len(op) for op in cov.rows] + [9])
    head = f"{'operation':<{width}}  " + "  ".join(f"{lang:<5}" for lang in cov.langs)
    lines = [head, "-" * len(head)]
    for op in sorted(cov.rows):
        flags = []
        for lang in cov.langs:
            c = cov.rows[op][lang]
            flags.append(
                ("S" if c.snippets else "-")
                + ("E" if c.embedded else "-")
                + ("X" if c.executed else "-")
                + "  "
            )
        lines.append(f"{op:<{width}}  " + "  ".join(flags))
    lines.append("")
    lines.append("S = has a snippet, E = embedded in a page, X = executed and passed in the last test run")
    lines.append(
        f"snippets {cov.percent('snippet'):.1f}%   embedded {cov.percent('embedded'):.1f}%   "
        f"executed {cov.percent('executed'):.1f}%"
        + ("" if cov.record_found else "   (no test run recorded yet: run pytest first)")
    )
    return "\n".join(lines)
