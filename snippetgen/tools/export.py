"""Proven code samples for any docs host: ``x-codeSamples`` as an OpenAPI Overlay, or applied.

Redoc/Redocly, Scalar, Mintlify, ReadMe, GitBook and Stoplight all render ``x-codeSamples`` (a list
of ``{lang, label, source}`` on an operation). :func:`plan` picks, for every operation a snippet
calls, one sample per language: the snippet rendered for one usage the last test run executed and
passed (its defaults, or a page embed), exactly as the site shows it. :func:`export` writes, per
spec, an Overlay 1.0 document (``<api>.overlay.yaml``) whose actions add those samples, or the spec
with the overlay applied (``<api>.yaml``/``.json``: the original text with the samples inserted when
that provably parses to the same thing, else the document re-serialized).

Which run proved a sample is recorded beside it (``x-snippetgen``: the example's test id, the
execution record file and its time). A sample is proven when its example's row in the record
passed, called the operation, and none of the files it was rendered from changed after the record
was written.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from .. import progress
from ..errors import RenderError, UsageError
from ..languages import get_language
from ..model import Embed, Location, Snippet
from ..pointers import join
from ..project import Project
from ..record import Run, read_runs
from ..render import kebab_case, render
from ..spec import Api, Operation, load_yaml_with_lines
from ..workspace import Workspace

FORMATS = ("overlay", "spec")
OVERLAY_VERSION = "1.0.0"
SAMPLES_KEY = "x-codeSamples"
PROOF_KEY = "x-snippetgen"
DEFAULT_OUT = "build/openapi"
RUN_FIRST = "run the tests first (`pytest`, with the snippetgen plugin enabled), then export again"


# --- what to export ------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """One way a snippet is used, as the test runner ran it: a page embed or its defaults."""

    snippet: Snippet
    embed: Embed | None
    """None: the snippet's defaults (the runner runs them when no page embeds it)."""

    @property
    def id(self) -> str:
        """The runner's usage id (``runner.collect``): an example id is ``<usage id>::<lang>``."""
        if self.embed is not None:
            return f"{self.embed.location.path}:{self.embed.location.line}::{self.snippet.key}"
        return f"{self.snippet.config_path}::{self.snippet.key}"

    @property
    def location(self) -> Location:
        return self.embed.location if self.embed is not None else Location(str(self.snippet.config_path), 1)

    @property
    def overrides(self) -> dict[str, str]:
        return dict(self.embed.overrides) if self.embed is not None else {}


@dataclass(frozen=True)
class Sample:
    """One language of one snippet usage, for one operation."""

    operation: Operation
    usage: Usage
    lang: str
    code: str | None
    """The rendered source; None when it could not be rendered."""
    run: Run | None
    """The passing run that proves it; None when unproven (see :attr:`reason`)."""
    reason: str | None = None

    @property
    def proven(self) -> bool:
        return self.run is not None

    @property
    def example(self) -> str:
        return f"{self.usage.id}::{self.lang}"

    def code_sample(self) -> dict[str, Any]:
        """The ``x-codeSamples`` entry: ``lang`` from the lexer, ``label`` from the registry."""
        language = get_language(self.lang)
        proof: dict[str, Any] = {"snippet": self.usage.snippet.key, "example": self.example}
        if self.run is not None:
            proof.update({"proven": True, "record": self.run.record, "time": self.run.time})
        else:
            proof.update({"proven": False, "reason": self.reason})
        return {"lang": language.lexer, "label": language.label, "source": self.code, PROOF_KEY: proof}


@dataclass
class Plan:
    """What an export writes and what it leaves out, and why."""

    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)
    """API name -> operation ref -> the exported samples, in tab order."""
    left_out: list[Sample] = field(default_factory=list)
    """Samples of the chosen snippets that are not exported (unproven, or not rendered)."""
    without_snippet: list[Operation] = field(default_factory=list)
    unreachable: list[tuple[Operation, str]] = field(default_factory=list)
    """Operations an overlay cannot target (a ``$ref`` path item), with the reason."""
    notes: list[str] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(s) for ops in self.samples.values() for s in ops.values())

    def unproven_exported(self) -> int:
        return sum(1 for ops in self.samples.values() for s in ops.values() for x in s if not x.proven)


def parse_embed_ref(text: str) -> tuple[str, int]:
    """``docs/page.md:LINE`` -> (path, line); ``UsageError`` otherwise."""
    path, sep, line = text.rpartition(":")
    if not sep or not path or not line.isdigit() or int(line) < 1:
        raise UsageError(
            f"--embed {text!r}: expected PAGE:LINE, the line of a <snippet> tag",
            hint="e.g. docs/images.md:12",
        )
    return Path(path).as_posix().removeprefix("./"), int(line)


def chosen_embeds(ws: Workspace, refs: Sequence[str]) -> dict[str, Embed]:
    """``--embed PAGE:LINE`` values -> snippet key -> that embed (one per snippet)."""
    chosen: dict[str, Embed] = {}
    for text in refs:
        path, line = parse_embed_ref(text)
        if Path(path).is_absolute():
            path = ws.project.rel(Path(path))
        on_page = [e for e in ws.embeds if e.location.path == path]
        found = next((e for e in on_page if e.location.line == line), None)
        if found is None:
            listed = ", ".join(f"{e.location.line} ({e.name})" for e in on_page)
            raise UsageError(
                "no <snippet> tag starts on this line",
                Location(path, line),
                hint=f"its embeds start on lines {listed}"
                if listed
                else "this page has no <snippet> embeds"
                if path in ws.page_texts
                else f"no such page: {path} (pages are named from the project folder, e.g. docs/index.md)",
            )
        if ws.catalog.get(found.name) is None:
            raise UsageError(f"unknown snippet {found.name!r}", found.location)
        other = chosen.get(found.name)
        if other is not None and other is not found:
            raise UsageError(
                f"--embed names two embeds of {found.name} ({other.location} and {found.location})",
                hint="one usage per snippet: each operation gets one sample per language",
            )
        chosen[found.name] = found
    return chosen


def usage_of(ws: Workspace, snippet: Snippet, chosen: dict[str, Embed]) -> Usage:
    """The usage exported for a snippet: the chosen embed, else its defaults when no page embeds
    it, else its first embed without overrides (renders as the defaults), else its first embed."""
    if snippet.key in chosen:
        return Usage(snippet, chosen[snippet.key])
    embeds = ws.embeds_of(snippet.key)
    if not embeds:
        return Usage(snippet, None)
    plain = [e for e in embeds if not e.overrides]
    return Usage(snippet, (plain or embeds)[0])


def _changed_since(project: Project, usage: Usage, lang: str, mtime: float) -> str | None:
    """A file the sample is rendered from that changed after the run (its proof is stale)."""
    files = [usage.snippet.config_path, usage.snippet.templates[lang].path]
    if usage.embed is not None:
        files.append(Path(usage.embed.location.path))
    for rel in files:
        path = rel if rel.is_absolute() else project.root / rel
        try:
            if path.stat().st_mtime > mtime:
                return project.rel(path)
        except OSError:
            continue
    return None


def _sample(ws: Workspace, op: Operation, usage: Usage, lang: str, runs: dict[str, Run]) -> Sample:
    try:
        code: str | None = render(usage.snippet, lang, usage.overrides).code
    except RenderError as exc:
        return Sample(op, usage, lang, None, None, f"could not render: {exc.message}")
    example = f"{usage.id}::{lang}"
    run = runs.get(example)
    if run is None:
        skip = usage.snippet.test.get("skip")
        why = f"its config skips its test (test.skip: {skip})" if skip else "not run in the last test run"
        return Sample(op, usage, lang, code, None, why)
    if not run.passed:
        return Sample(op, usage, lang, code, None, "failed in the last test run")
    if op.ref not in run.operations:
        called = ", ".join(run.operations) or "nothing"
        return Sample(op, usage, lang, code, None, f"its last run called {called}, not {op.ref}")
    changed = _changed_since(ws.project, usage, lang, run.mtime)
    if changed is not None:
        return Sample(op, usage, lang, code, None, f"{changed} changed after the test run of {run.time}")
    return Sample(op, usage, lang, code, run)


def plan(
    ws: Workspace, runs: dict[str, Run], *, embeds: Sequence[str] = (), allow_unproven: bool = False
) -> Plan:
    """Pick the samples of every operation of every spec (see the module docstring)."""
    if ws.specs is None:
        raise UsageError(
            f"no specs folder at {ws.project.rel(ws.project.specs_dir)}",
            hint="the samples are exported into the OpenAPI specs the snippets call",
        )
    chosen = chosen_embeds(ws, embeds)
    result = Plan()
    callers: dict[str, dict[str, int]] = {}
    """Operation ref -> the snippets calling it -> where the operation is in their list."""
    for snippet in ws.catalog.snippets.values():
        for index, ref in enumerate(snippet.operations):
            op = ws.specs.resolve(ref)
            if op is not None:
                callers.setdefault(op.ref, {}).setdefault(snippet.key, index)
    for api in ws.specs.apis.values():
        for op in progress.step(f"exporting {api.name}", api.operations):
            # a snippet named by --embed first, then those naming the operation first, then by key
            ranked = [
                key
                for _, _, key in sorted((k not in chosen, i, k) for k, i in callers.get(op.ref, {}).items())
            ]
            if not ranked:
                result.without_snippet.append(op)
                continue
            unreachable = _unreachable(api, op)
            if unreachable:
                result.unreachable.append((op, unreachable))
                continue
            _pick(ws, op, ranked, chosen, runs, allow_unproven, result)
    return result


def _pick(
    ws: Workspace,
    op: Operation,
    ranked: list[str],
    chosen: dict[str, Embed],
    runs: dict[str, Run],
    allow_unproven: bool,
    result: Plan,
) -> None:
    """One snippet's samples for ``op``: those of the first snippet in ``ranked`` with something to
    export."""
    candidates = []
    for key in ranked:
        usage = usage_of(ws, ws.catalog.snippets[key], chosen)
        samples = [_sample(ws, op, usage, lang, runs) for lang in usage.snippet.templates]
        exported = [s for s in samples if s.code is not None and (s.proven or allow_unproven)]
        candidates.append((usage, samples, exported))
    pick = next((c for c in candidates if c[2]), candidates[0])
    usage, samples, exported = pick
    result.left_out += [s for s in samples if s not in exported]
    if not exported:
        return
    result.samples.setdefault(op.api, {})[op.ref] = exported
    others = [c[0].snippet.key for c in candidates if c is not pick]
    if others:
        result.notes.append(
            f"{op.location}: {op.ref} is called by {len(candidates)} snippets; exported one sample per "
            f"language from {usage.snippet.key} (not {', '.join(others)})"
        )
    if usage.embed is not None and usage.overrides:
        sets = " ".join(f"data-{kebab_case(k)}={_short(v)}" for k, v in usage.overrides.items())
        note = f"{usage.location}: {usage.snippet.key} is exported as embedded here ({sets})"
        if usage.snippet.key not in chosen:
            note += ": every page embeds it with overrides, so its defaults never ran"
        if note not in result.notes:
            result.notes.append(note)


def _short(value: str, width: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 4] + '..."'


def _unreachable(api: Api, op: Operation) -> str | None:
    item = (api.document.get("paths") or {}).get(op.path)
    if not isinstance(item, dict) or not isinstance(item.get(op.method.lower()), dict):
        return "its path item is a $ref: an overlay target cannot reach the operation"
    return None


# --- JSONPath (RFC 9535) -----------------------------------------------------------------------

_SHORTHAND = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def name_selector(name: str) -> str:
    """``.name`` when RFC 9535 allows the shorthand, else ``['name']`` with its quotes escaped."""
    if _SHORTHAND.fullmatch(name):
        return f".{name}"
    quoted = "".join(_ESCAPES.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 else c) for c in name)
    return f"['{quoted}']"


def jsonpath(tokens: Iterable[str]) -> str:
    """The JSONPath query selecting exactly the member at these keys: ``$.paths['/v1/x'].post``."""
    return "$" + "".join(name_selector(t) for t in tokens)


_UNESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "/": "/", "\\": "\\", "'": "'", '"': '"'}


def parse_jsonpath(path: str) -> list[str]:
    """The keys of a singular query of name selectors (what :func:`jsonpath` writes); ``ValueError``
    for anything else (wildcards, filters, indexes)."""
    if not path.startswith("$"):
        raise ValueError(f"{path!r}: a JSONPath query starts with $")
    keys: list[str] = []
    i = 1
    while i < len(path):
        if path[i] == "." and (m := _SHORTHAND.match(path, i + 1)):
            keys.append(m.group())
            i = m.end()
        elif path.startswith("['", i) or path.startswith('["', i):
            quote, i, name = path[i + 1], i + 2, []
            while i < len(path) and path[i] != quote:
                if path[i] == "\\":
                    nxt = path[i + 1 : i + 2]
                    if nxt == "u":
                        name.append(chr(int(path[i + 2 : i + 6], 16)))
                        i += 6
                        continue
                    if nxt not in _UNESCAPES:
                        raise ValueError(f"{path!r}: bad escape at {i}")
                    name.append(_UNESCAPES[nxt])
                    i += 2
                    continue
                name.append(path[i])
                i += 1
            if not path.startswith(quote + "]", i):
                raise ValueError(f"{path!r}: unterminated name selector")
            keys.append("".join(name))
            i += 2
        else:
            raise ValueError(f"{path!r}: only name selectors are supported (at {i})")
    return keys


# --- the overlay -----------------------------------------------------------------------------


def overlay(api: Api, samples: dict[str, list[Sample]], out_dir: Path, project: Project) -> dict[str, Any]:
    """The Overlay 1.0 document adding ``samples`` (operation ref -> samples) to ``api``."""
    actions = []
    runs: dict[tuple[str, str], None] = {}
    for op in api.operations:
        chosen = samples.get(op.ref)
        if not chosen:
            continue
        tokens = ["paths", op.path, op.method.lower()]
        entries = [s.code_sample() for s in chosen]
        labels = ", ".join(e["label"] for e in entries)
        action: dict[str, Any] = {
            "description": f"{op.ref}: {labels} from snippet {chosen[0].usage.snippet.key}",
        }
        existing = api.document["paths"][op.path][op.method.lower()].get(SAMPLES_KEY)
        if isinstance(existing, list):
            # An update merged into an object replaces a list it holds; one on the list appends.
            for entry in entries:
                actions.append({"target": jsonpath([*tokens, SAMPLES_KEY]), **action, "update": entry})
        else:
            actions.append({"target": jsonpath(tokens), **action, "update": {SAMPLES_KEY: entries}})
        for s in chosen:
            if s.run is not None:
                runs[(s.run.record, s.run.time)] = None
    info = api.document.get("info")
    info = info if isinstance(info, dict) else {}
    proven = sum(1 for s in (x for v in samples.values() for x in v) if s.proven)
    return {
        "overlay": OVERLAY_VERSION,
        "info": {
            "title": f"Proven code samples for {info.get('title') or api.name}",
            "version": str(info.get("version") or "0"),
            PROOF_KEY: {
                "generator": f"snippetgen {_version()}",
                "spec": project.rel(api.path),
                "proven": proven,
                "unproven": sum(len(v) for v in samples.values()) - proven,
                "runs": [{"record": record, "time": time} for record, time in runs],
            },
        },
        "extends": Path(os.path.relpath(api.path.resolve(), out_dir.resolve())).as_posix(),
        "actions": actions,
    }


def _version() -> str:
    try:
        return metadata.version("snippetgen")
    except metadata.PackageNotFoundError:
        return "unknown"


def apply(document: Any, overlay_doc: dict[str, Any]) -> Any:
    """``document`` (a deep copy) with the overlay's actions applied (Overlay 1.0: an update merges
    into each selected object, or is appended to each selected array; ``remove`` deletes)."""
    result = copy.deepcopy(document)
    for action in overlay_doc.get("actions") or []:
        keys = parse_jsonpath(action["target"])
        parent, node = None, result
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                raise ValueError(f"target {action['target']!r} selects nothing")
            parent, node = node, node[key]
        if action.get("remove"):
            if parent is None:
                raise ValueError("cannot remove the document itself")
            del parent[keys[-1]]
        elif isinstance(node, list):
            node.append(copy.deepcopy(action["update"]))
        elif isinstance(node, dict) and isinstance(action.get("update"), dict):
            _merge(node, copy.deepcopy(action["update"]))
        else:
            raise ValueError(f"target {action['target']!r}: cannot update a {type(node).__name__}")
    return result


def _merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(target.get(key), dict) and isinstance(value, dict):
            _merge(target[key], value)
        else:
            target[key] = value


# --- writing YAML --------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, code as literal blocks (``|``), no anchors, keys in their order."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)


_KEY_LINE = r"^(?P<indent>[ ]*)(?:{key}|'{key}'|\"{key}\")[ \t]*:[ \t]*(?:#.*)?$"


def insert_samples(
    text: str, api: Api, document: Any, applied: Any, samples: dict[str, list[Sample]]
) -> str | None:
    """``text`` with an ``x-codeSamples`` block added at the end of each operation's block mapping,
    nothing else touched; None when the layout is not plain block YAML or the result would not
    parse to exactly ``applied``."""
    lines = text.splitlines(keepends=True)
    inserts: list[tuple[int, list[str]]] = []
    for op in api.operations:
        chosen = samples.get(op.ref)
        if not chosen:
            continue
        method = op.method.lower()
        if SAMPLES_KEY in document["paths"][op.path][method]:
            return None
        pointer = join(["paths", op.path, method])
        at = api.lines.get(pointer, 0) - 1
        if at < 0 or at >= len(lines):
            return None
        head = re.match(_KEY_LINE.format(key=method), lines[at].rstrip("\r\n"))
        if head is None:
            return None
        indent = len(head.group("indent"))
        end, child = at, None
        for i in range(at + 1, len(lines)):
            body = lines[i].strip()
            if not body:
                continue
            own = len(lines[i]) - len(lines[i].lstrip(" "))
            if own <= indent:
                break
            if child is None and not body.startswith("#"):
                child = own
            end = i
        if child is None:
            return None
        newline = "\r\n" if lines[at].endswith("\r\n") else "\n"
        block = dump_yaml({SAMPLES_KEY: [s.code_sample() for s in chosen]})
        pad = " " * child
        if not lines[end].endswith(("\n", "\r")):
            lines[end] += newline
        inserts.append((end + 1, [(pad + line if line else line) + newline for line in block.splitlines()]))
    for index, block_lines in sorted(inserts, reverse=True):
        lines[index:index] = block_lines
    result = "".join(lines)
    try:
        parsed, _ = load_yaml_with_lines(result)
    except yaml.YAMLError:
        return None
    return result if parsed == applied else None


# --- writing the files ---------------------------------------------------------------------------


@dataclass
class Written:
    path: Path
    api: str
    operations: int
    samples: int
    how: str = ""

    def describe(self) -> str:
        """``3 samples for 1 operation (overlay)``."""
        return f"{_many(self.samples, 'sample')} for {_many(self.operations, 'operation')} ({self.how})"


def _many(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def write(ws: Workspace, result: Plan, fmt: str, out_dir: Path) -> list[Written]:
    """Write one file per spec with samples into ``out_dir``: ``<api>.overlay.yaml`` (``overlay``), or
    the applied spec under the source's file name (``spec``)."""
    project = ws.project
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; known formats: {', '.join(FORMATS)}")
    out_dir = out_dir if out_dir.is_absolute() else project.root / out_dir
    if out_dir.resolve() == project.specs_dir.resolve():
        raise UsageError(
            f"--out {project.rel(out_dir)} is the specs folder: the export would overwrite the specs",
            hint=f"export into a folder of its own, e.g. --out {DEFAULT_OUT}",
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {project.rel(out_dir)} exists and is not a folder")
    assert ws.specs is not None
    written = []
    for name, samples in result.samples.items():
        api = ws.specs.apis[name]
        doc = overlay(api, samples, out_dir, project)
        n_samples = sum(len(v) for v in samples.values())
        if fmt == "overlay":
            path, text, how = out_dir / f"{name}.overlay.yaml", dump_yaml(doc), "overlay"
        else:
            applied = apply(api.document, doc)
            path = out_dir / api.path.name
            if api.path.suffix == ".json":
                text, how = json.dumps(applied, indent=2, ensure_ascii=False) + "\n", "re-serialized JSON"
            else:
                try:
                    source = api.path.read_bytes().decode("utf-8")  # keeps its line endings
                except (OSError, UnicodeDecodeError):
                    source = ""
                inserted = insert_samples(source, api, api.document, applied, samples) if source else None
                if inserted is not None:
                    text, how = inserted, "the original text with the samples inserted"
                else:
                    text, how = dump_yaml(applied), "re-serialized: comments and layout not kept"
        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            path.write_bytes(text.encode("utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot write {project.rel(path)}: {exc.strerror or exc}") from None
        written.append(Written(path, name, len(samples), n_samples, how))
    return written


# --- the command ---------------------------------------------------------------------------------


@dataclass
class Report:
    """What ``snippetgen export`` prints and how it exits (0 written, 1 nothing proven)."""

    written: list[Written]
    messages: list[str]
    """For stderr: operations without a snippet, samples left out and why, notes, the error."""
    summary: str
    exit_code: int


def export(
    project: Project,
    ws: Workspace,
    *,
    fmt: str = "overlay",
    out_dir: Path | None = None,
    embeds: Sequence[str] = (),
    allow_unproven: bool = False,
) -> Report:
    """Plan the samples from the last test run's record and write them (see the module docstring)."""
    runs = read_runs(project)
    result = plan(ws, runs, embeds=embeds, allow_unproven=allow_unproven)
    messages = [
        f"{op.location}: {op.ref} ({op.method} {op.path}) has no snippet" for op in result.without_snippet
    ]
    messages += [f"{op.location}: {op.ref}: not exported: {why}" for op, why in result.unreachable]
    if runs or allow_unproven:
        messages += [
            f"{s.usage.location}: {s.usage.snippet.key} [{s.lang}] for {s.operation.ref}: not exported: {s.reason}"
            for s in result.left_out
        ]
    messages += [
        f"{s.usage.location}: {s.usage.snippet.key} [{s.lang}] for {s.operation.ref}: exported unproven "
        f"(--allow-unproven): {s.reason}"
        for ops in result.samples.values()
        for samples in ops.values()
        for s in samples
        if not s.proven
    ]
    messages += result.notes
    record = project.rel(project.record_path.parent / "runs")
    if not result.samples:
        if not runs and not allow_unproven:
            why = f"no test run is recorded in {record}/"
        elif not result.left_out:
            why = "no operation of the specs has a snippet"
        elif allow_unproven:
            why = "no sample could be rendered"
        else:
            why = f"no sample is proven by the last test run ({record}/)"
        messages.append(
            f"error: nothing to export: {why}; only samples whose last test run passed are exported"
            + (f"\n    hint:     {RUN_FIRST} (or pass --allow-unproven)" if not allow_unproven else "")
        )
        return Report([], messages, "", 1)
    written = write(ws, result, fmt, out_dir or Path(DEFAULT_OUT))
    operations = sum(w.operations for w in written)
    total = len(ws.specs.operations()) if ws.specs is not None else 0
    summary = (
        f"exported {_many(result.count(), 'sample')} for {operations} of {_many(total, 'operation')} "
        f"({len(result.without_snippet)} without a snippet"
        + (f", {_many(len(result.left_out), 'sample')} left out" if result.left_out else "")
        + (f", {result.unproven_exported()} unproven" if result.unproven_exported() else "")
        + ")"
    )
    return Report(written, messages, summary, 0)
