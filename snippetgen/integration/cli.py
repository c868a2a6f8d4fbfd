"""The ``snippetgen`` command: thin shims over the core. Exit 0 clean, 1 findings, 2 usage/internal.

Every command turns its options into a call of the core and prints what comes back; a
:class:`~snippetgen.errors.SnippetgenError` becomes ``path:line: message`` (and its hint) on stderr
with exit status 2, the same for every command. Commands that need a host (the mock's server, MkDocs,
file watching) import it when they run, so ``snippetgen check`` starts without them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..authoring import format_run, new_snippet, run_snippet, split_key
from ..check import run_check
from ..errors import SnippetgenError
from ..languages import get_language
from ..loader import load_catalog
from ..model import Problem
from ..project import Project
from ..render import render
from ..tools.coverage import compute, format_table, read_record
from ..tools.hbs_import import import_tree
from ..workspace import load_workspace


def _project(root: str) -> Project:
    return Project.load(root)


def report(problems: list[Problem], fmt: str, *, what: str = "problem") -> int:
    """Print problems in the chosen format; return the exit code (0 clean, 1 findings)."""
    if fmt == "json":
        click.echo(
            json.dumps({"problems": [p.as_dict() for p in problems], "count": len(problems)}, indent=2)
        )
    elif fmt == "github":
        for p in problems:
            msg = p.format().split("\n", 1)
            body = (msg[0].split(": ", 1)[-1] + ("\n" + msg[1] if len(msg) > 1 else "")).replace("%", "%25")
            body = body.replace("\r", "%0D").replace("\n", "%0A")
            loc = f"file={p.location.path}"
            if p.location.line:
                loc += f",line={p.location.line}"
            if p.location.col:
                loc += f",col={p.location.col}"
            click.echo(f"::error {loc},title=snippetgen {p.code}::{body}")
    else:
        for p in problems:
            click.echo(p.format())
    if fmt != "json":
        n = len(problems)
        click.echo(f"{n} {what}{'s' if n != 1 else ''} found" if n else "all clean", err=fmt == "github")
    return 1 if problems else 0


def _parse_sets(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(
                f"{pair!r}: expected NAME=VALUE, e.g. --set model=flux/schnell", param_hint="--set"
            )
        values[name.strip()] = value
    return values


class CommandError(click.ClickException):
    """A :class:`SnippetgenError` as every command shows it: ``path:line: message`` (or
    ``error: message``) and its hint on stderr, exit status 2."""

    def __init__(self, error: SnippetgenError):
        super().__init__(error.message)
        self.error = error
        self.exit_code = error.exit_code

    def show(self, file: Any = None) -> None:
        text = str(self.error)
        click.echo(text if self.error.location else f"error: {text}", err=True)


class SnippetgenGroup(click.Group):
    """Turns the core's errors into :class:`CommandError` for every command, under ``main`` as
    under click's test runner."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SnippetgenError as exc:
            raise CommandError(exc) from None


@click.group(cls=SnippetgenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="snippetgen")
def cli() -> None:
    """Write API examples once as templates; prove every one of them works."""


@cli.command()
@click.option(
    "--root", default=".", show_default=True, type=click.Path(file_okay=False), help="Project folder."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True
)
@click.option("--watch", is_flag=True, help="Re-check whenever a snippet, spec or page changes.")
def check(root: str, fmt: str, watch: bool) -> None:
    """Check every snippet, spec and page embed; report every problem in one run."""

    project = _project(root)
    code = report(run_check(project=project), fmt)
    if not watch:
        sys.exit(code)
    from watchfiles import watch as watch_paths  # only --watch needs it

    paths = [p for p in (project.snippets_dir, project.specs_dir, project.docs_dir) if p.exists()]
    click.echo("watching for changes (Ctrl-C to stop)", err=True)
    for _ in watch_paths(*paths):
        click.echo("\n--- re-checking ---", err=True)
        report(run_check(project=project), fmt)


@cli.command("render")
@click.argument("key")
@click.option("--lang", "-l", default="py", show_default=True, help="Language id (py, js, curl).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override a variable (repeatable).")
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False))
def render_cmd(key: str, lang: str, sets: tuple[str, ...], root: str) -> None:
    """Print one snippet rendered in one language."""
    project = _project(root)
    get_language(lang)
    catalog, _ = load_catalog(project.snippets_dir, project.root)
    snippet = catalog.get(key)
    if snippet is None:
        close = catalog.suggest(key)
        hint = f"did you mean {' or '.join(close)}?" if close else "list snippets with `ls shared/snippets/*`"
        raise SnippetgenError(f"unknown snippet {key!r}", hint=hint)
    click.echo(render(snippet, lang, _parse_sets(sets)).code, nl=False)


@cli.command("import-hbs")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite snippets that already exist in DEST.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True
)
def import_hbs(src: str, dest: str, force: bool, fmt: str) -> None:
    """Convert a Handlebars snippet tree (<group>/<name>/{config.json,<lang>.hbs}) into Jinja templates."""

    written, problems = import_tree(Path(src), Path(dest), force=force)
    click.echo(f"wrote {len(written)} file(s) to {dest}", err=True)
    sys.exit(report(problems, fmt))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", default=8080, show_default=True, type=int, help="First port; one port per API (0 = any)."
)
@click.option("--key", "keys", multiple=True, help="Accepted API key (repeatable); default: the test key.")
@click.option(
    "--log", "log_path", type=click.Path(dir_okay=False), help="Append every request as a JSON line."
)
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False))
def mock(host: str, port: int, keys: tuple[str, ...], log_path: str | None, root: str) -> None:
    """Serve every API spec as a stateful mock on loopback."""
    from ..mock import serve  # the server pulls in uvicorn and starlette

    project = _project(root)
    serve(
        project.specs_dir,
        host=host,
        port=port,
        keys=list(keys) or None,
        settings=None,
        log_path=Path(log_path) if log_path else None,
        echo=click.echo,
    )


@cli.command()
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--min",
    "minimum",
    type=click.FloatRange(0, 100),
    default=None,
    help="Lowest acceptable % of operation x language cells with a snippet (default: "
    "[tool.snippetgen] coverage_min, else 100).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def coverage(root: str, minimum: float | None, fmt: str) -> None:
    """Operation x language table: has a snippet, embedded in a page, executed in the last test run."""

    project = _project(root)
    ws, _ = load_workspace(project)
    if ws.specs is None:
        raise SnippetgenError(
            f"no specs folder at {project.rel(project.specs_dir)}",
            hint="coverage is measured against the operations of the OpenAPI specs",
        )
    cov = compute(ws, read_record(project.record_path.parent / "runs"))
    floor = project.coverage_min if minimum is None else minimum
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    op: {
                        lang: {"snippets": c.snippets, "embedded": c.embedded, "executed": c.executed}
                        for lang, c in row.items()
                    }
                    for op, row in cov.rows.items()
                },
                indent=1,
            )
        )
    else:
        click.echo(format_table(cov))
    if cov.percent("snippet") < floor:
        missing = cov.missing()
        for op, lang in missing[:20]:
            click.echo(f"missing: {op} has no {lang} snippet", err=True)
        if len(missing) > 20:
            click.echo(f"... and {len(missing) - 20} more", err=True)
        click.echo(
            f"snippet coverage {cov.percent('snippet'):.1f}% is below the minimum {floor:g}%", err=True
        )
        sys.exit(1)


@cli.command()
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--site-dir", type=click.Path(file_okay=False), default=None, help="Output folder (default: site/)."
)
def build(root: str, site_dir: str | None) -> None:
    """Check everything, then build the site strictly into site/."""
    from .site_build import build as build_site  # MkDocs and its plugins load only to build

    problems = build_site(_project(root), strict=True, site_dir=Path(site_dir) if site_dir else None)
    if problems:
        sys.exit(report(problems, "text"))
    click.echo("site built", err=True)


@cli.command()
@click.option("--root", default=".", show_default=True, type=click.Path(file_okay=False))
@click.option("--dev-addr", default="127.0.0.1:8000", show_default=True)
def serve(root: str, dev_addr: str) -> None:
    """Serve the site with live reload; editing a template, config or spec re-renders its pages."""
    from .site_build import serve as serve_site  # MkDocs and its plugins load only to serve

    serve_site(_project(root), dev_addr=dev_addr)


@cli.command("new")
@click.argument("key", metavar="GROUP/NAME")
@click.option(
    "--operation",
    "-o",
    "ref",
    required=True,
    metavar="API:OPERATION",
    help='Operation to call: api:operationId or "api:METHOD /path" (e.g. aiart:generateImage).',
)
@click.option(
    "--lang",
    "langs",
    default="py,js,curl",
    show_default=True,
    help="Comma-separated languages to write templates for.",
)
@click.option(
    "--force", is_flag=True, help="Replace the snippet's config.json and templates if it already exists."
)
@click.option(
    "--root", default=".", show_default=True, type=click.Path(file_okay=False), help="Project folder."
)
def new_cmd(key: str, ref: str, langs: str, force: bool, root: str) -> None:
    """Scaffold a snippet (config.json and one template per language) from an OpenAPI operation."""
    project = _project(root)
    written = new_snippet(project, key, ref, [lang for lang in langs.split(",") if lang.strip()], force)
    group, name = split_key(key)
    for path in written:
        click.echo(f"wrote {project.rel(path)}")
    click.echo(f"\nnext: snippetgen run {group}.{name}   (runs it against the mock in every language)")
    click.echo(f'      embed it in a page with <snippet data-name="{group}.{name}"></snippet>')


@cli.command("run")
@click.argument("key", metavar="GROUP.NAME")
@click.option(
    "--lang", "-l", default=None, help="Run only this language (py, js, curl); default: all of them."
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a variable like a page embed's data-* attribute (repeatable); "
    "config.json test.set still wins.",
)
@click.option(
    "--root", default=".", show_default=True, type=click.Path(file_okay=False), help="Project folder."
)
def run_cmd(key: str, lang: str | None, sets: tuple[str, ...], root: str) -> None:
    """Run one snippet against the mock and show its output, verdict and request log."""
    overrides = _parse_sets(sets)
    outcomes = run_snippet(_project(root), key, lang, overrides)
    click.echo(format_run(outcomes))
    sys.exit(0 if outcomes and all(o.passed for o in outcomes) else 1)


def main() -> None:
    """Console entry point: exit 0 clean, 1 findings, 2 usage or internal error; never a traceback."""
    try:
        result = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if isinstance(exc, CommandError) else 2)
    except SnippetgenError as exc:
        click.echo(str(exc) if exc.location else f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug of ours: one line, the traceback only on request
        if os.environ.get("SNIPPETGEN_DEBUG"):
            raise
        click.echo(f"snippetgen: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo(
            "    hint:     run again with SNIPPETGEN_DEBUG=1 to see the traceback, and report it", err=True
        )
        sys.exit(2)
    # Without standalone mode click returns a command's exit status instead of leaving with it.
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
