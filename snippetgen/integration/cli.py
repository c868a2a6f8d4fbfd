"""The ``snippetgen`` command: thin shims over the core. Exit 0 clean, 1 findings, 2 usage/internal.

Every command turns its options into a call of the core and prints what comes back; a
:class:`~snippetgen.errors.SnippetgenError` becomes ``path:line: message`` (and its hint) on stderr
with exit status 2, the same for every command. Commands that need a host (the mock's server, MkDocs,
file watching) import it when they run, so ``snippetgen check`` starts without them.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import click

from .. import progress
from ..authoring import compare_tabs, format_run, new_all, new_snippet, run_snippet, split_key
from ..check import RULES, check_project
from ..errors import SnippetgenError, UsageError
from ..languages import get_language
from ..loader import load_catalog
from ..model import CheckReport, Problem, sort_problems
from ..project import Project
from ..record import read_runs
from ..render import render
from ..runner.live import live_examples, parse_upstreams, run_live, upstreams_for
from ..runner.run import key_variables
from ..secrets import Masker
from ..tools.coverage import compute, format_table
from ..tools.export import DEFAULT_OUT, FORMATS, export
from ..tools.hbs_import import import_tree
from ..tools.status import compute as compute_status
from ..tools.status import write as write_status
from ..workspace import load_workspace


def root_option(command: Any) -> Any:
    """``--root``, the project folder, as every command takes it: loaded into the ``project`` argument."""
    return click.option(
        "--root",
        "project",
        default=".",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Project folder.",
        callback=lambda ctx, param, root: Project.load(root),
    )(command)


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warn_if_exposed(host: str, what: str, option: str) -> None:
    """Say on stderr when a server is about to listen beyond this machine."""
    if not _is_loopback(host):
        click.echo(
            f"warning: {option} {host} makes {what} reachable from other machines, not only this one; "
            f"use {option} 127.0.0.1 to keep it local",
            err=True,
        )


def _host_port(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``HOST:PORT`` with a port 0-65535 (``--dev-addr``)."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise click.BadParameter(f"{value!r}: expected HOST:PORT with a port 0-65535, e.g. 127.0.0.1:8000")
    return value


def format_option(*formats: str) -> Any:
    """``--format``: how problems are printed (``text`` by default)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(formats),
        default="text",
        show_default=True,
        help="Output format.",
    )


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


def set_option(help: str) -> Any:
    """``--set NAME=VALUE`` (repeatable), parsed into ``{name: value}``."""
    return click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="NAME=VALUE",
        help=help,
        callback=lambda ctx, param, pairs: _parse_sets(pairs),
    )


def _upstream_option(command: Any) -> Any:
    return click.option(
        "--upstream",
        "upstreams",
        multiple=True,
        metavar="API=ORIGIN",
        help="Forward API to this origin instead of its spec server or base_url (repeatable).",
    )(command)


def _delay_option(command: Any) -> Any:
    return click.option(
        "--live-delay",
        type=click.FloatRange(0, 3600),
        default=None,
        help="Seconds at least between two calls to a real API (default: [tool.snippetgen] live_delay, else 1).",
    )(command)


def report(found: CheckReport | list[Problem], fmt: str) -> int:
    """Print problems (and a check's warnings, marked so) in the chosen format, then one last line: a
    check's summary (what it covered, warnings counted, in how long), or how many problems there
    are. Return the exit code: 0 clean or only warnings, 1 findings."""
    problems = found.problems if isinstance(found, CheckReport) else found
    shown = sort_problems([*problems, *found.warnings]) if isinstance(found, CheckReport) else problems
    if fmt == "json":
        data = (
            found.as_dict()
            if isinstance(found, CheckReport)
            else {"problems": [p.as_dict() for p in problems], "count": len(problems)}
        )
        click.echo(json.dumps(data, indent=2))
    elif fmt == "github":
        for p in shown:
            msg = p.format().split("\n", 1)
            body = (msg[0].split(": ", 1)[-1] + ("\n" + msg[1] if len(msg) > 1 else "")).replace("%", "%25")
            body = body.replace("\r", "%0D").replace("\n", "%0A")
            loc = f"file={p.location.path}"
            if p.location.line:
                loc += f",line={p.location.line}"
            if p.location.col:
                loc += f",col={p.location.col}"
            click.echo(f"::{p.severity} {loc},title=snippetgen {p.code}::{body}")
    else:
        for p in shown:
            click.echo(p.format())
    if fmt != "json":
        n = len(problems)
        if isinstance(found, CheckReport):
            last = found.summary()
        else:
            last = f"{n} problem{'s' if n != 1 else ''} found" if n else "all clean"
        click.echo(last, err=fmt == "github")
    return 1 if problems else 0


class CommandError(click.ClickException):
    """A :class:`SnippetgenError` as every command shows it: ``path:line: message`` (or
    ``error: message``) and its hint on stderr, exit status 2."""

    exit_code = 2
    """:attr:`SnippetgenError.exit_code` is 2 for every error the core raises on purpose."""

    def __init__(self, error: SnippetgenError):
        super().__init__(error.message)
        self.error = error

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


class CheckCommand(click.Command):
    """``check --help`` ends with the rules of :data:`~snippetgen.check.RULES` and their problem codes."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Rules, by the problem codes they report"):
            for rule in RULES:
                indent = " " * formatter.current_indent
                for text, more in ((", ".join(rule.codes), ""), (rule.description, "    ")):
                    # Not click's wrapping: it would split a code like unknown-snippet at its hyphen.
                    lines = textwrap.wrap(
                        text,
                        formatter.width,
                        initial_indent=indent + more,
                        subsequent_indent=indent + more,
                        break_on_hyphens=False,
                    )
                    formatter.write("".join(line + "\n" for line in lines))
        super().format_epilog(ctx, formatter)


@cli.command(cls=CheckCommand)
@root_option
@format_option("text", "json", "github")
@click.option("--watch", is_flag=True, help="Re-check whenever a snippet, spec or page changes.")
@click.option(
    "--assumed", is_flag=True, help="First list every fact a spec marks x-assumed, with its reason."
)
def check(project: Project, fmt: str, watch: bool, assumed: bool) -> None:
    """Check every snippet, spec and page embed; report every problem in one run, then one line of
    what was checked and how long it took."""
    if assumed:
        _list_assumed(project)

    code = report(check_project(project=project), fmt)
    if not watch:
        sys.exit(code)
    from watchfiles import watch as watch_paths  # only --watch needs it

    paths = [p for p in (project.snippets_dir, project.specs_dir, project.docs_dir) if p.exists()]
    click.echo("watching for changes (Ctrl-C to stop)", err=True)
    for _ in watch_paths(*paths):
        click.echo("\n--- re-checking ---", err=True)
        report(check_project(project=project), fmt)


def _list_assumed(project: Project) -> None:
    from ..spec import load_specs  # only `check --assumed` reads the specs here
    from ..spec.assumed import assumed_facts  # (the CLI loads nothing a command does not use)

    specs, _ = load_specs(project.specs_dir, project.root, validate=False)
    counts = []
    for name, api in sorted(specs.apis.items()):
        facts = assumed_facts(api)
        counts.append(f"{name} {len(facts)}")
        for fact in facts:
            click.echo(f"{api.display}:{fact.line}: {fact.pointer or '/'}: {fact.reason}")
    click.echo(f"assumed facts: {', '.join(counts) or 'no specs'}")


@cli.command("render")
@click.argument("key")
@click.option("--lang", "-l", default="py", show_default=True, help="Language id (py, js, curl).")
@set_option("Override a variable (repeatable).")
@root_option
def render_cmd(key: str, lang: str, sets: dict[str, str], project: Project) -> None:
    """Print one snippet rendered in one language."""
    get_language(lang)
    catalog, _ = load_catalog(project.snippets_dir, project.root, max_config_bytes=project.max_config_bytes)
    snippet = catalog.get(key)
    if snippet is None:
        close = catalog.suggest(key)
        hint = f"did you mean {' or '.join(close)}?" if close else "list snippets with `ls shared/snippets/*`"
        raise SnippetgenError(f"unknown snippet {key!r}", hint=hint)
    click.echo(render(snippet, lang, sets).code, nl=False)


@cli.command("import-hbs")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite snippets that already exist in DEST.")
@format_option("text", "json", "github")
def import_hbs(src: str, dest: str, force: bool, fmt: str) -> None:
    """Convert a Handlebars snippet tree (<group>/<name>/{config.json,<lang>.hbs}) into Jinja templates."""

    written, problems = import_tree(Path(src), Path(dest), force=force)
    click.echo(f"wrote {len(written)} file(s) to {dest}", err=True)
    sys.exit(report(problems, fmt))


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback: this machine only).",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="First port, 0-65535; one port per API (0 = any).",
)
@click.option("--key", "keys", multiple=True, help="Accepted API key (repeatable); default: the test key.")
@click.option(
    "--log", "log_path", type=click.Path(dir_okay=False), help="Append every request as a JSON line."
)
@click.option(
    "--proxy",
    is_flag=True,
    help="Be a validating proxy in front of the real APIs instead: every request and answer is "
    "checked against the spec, and what does not match is printed.",
)
@_upstream_option
@_delay_option
@root_option
def mock(
    host: str,
    port: int,
    keys: tuple[str, ...],
    log_path: str | None,
    proxy: bool,
    upstreams: tuple[str, ...],
    live_delay: float | None,
    project: Project,
) -> None:
    """Serve every API spec as a stateful mock on loopback (or, with --proxy, a validating proxy)."""
    if proxy:
        _serve_proxy(host, port, keys, log_path, upstreams, live_delay, project)
        return
    if upstreams or live_delay is not None:
        raise click.UsageError("--upstream and --live-delay apply to --proxy only")
    from ..mock import serve  # the server pulls in uvicorn

    warn_if_exposed(host, "the mock (and the keys it accepts)", "--host")

    serve(
        project.specs_dir,
        host=host,
        port=port,
        keys=list(keys) or None,
        settings=None,
        log_path=Path(log_path) if log_path else None,
        echo=click.echo,
    )


def _serve_proxy(
    host: str,
    port: int,
    keys: tuple[str, ...],
    log_path: str | None,
    upstreams: tuple[str, ...],
    delay: float | None,
    project: Project,
) -> None:
    from ..mock import serve_proxy  # the server pulls in uvicorn

    if keys:
        raise click.UsageError("--key is the mock's; the proxy passes the caller's credentials on")
    warn_if_exposed(host, "the proxy (and the real APIs behind it)", "--host")
    ws, _ = load_workspace(project)
    targets = upstreams_for(ws, parse_upstreams(upstreams))
    masker = Masker.from_env(key_variables(ws))
    serve_proxy(
        project.specs_dir,
        targets,
        host=host,
        port=port,
        delay=project.live_delay if delay is None else delay,
        log_path=Path(log_path) if log_path else None,
        echo=click.echo,
        mask=masker.mask,
        mask_data=masker.mask_data,
    )


@cli.command()
@root_option
@click.option(
    "--min",
    "minimum",
    type=click.FloatRange(0, 100),
    default=None,
    help="Lowest acceptable % of operation x language cells with a snippet (default: "
    "[tool.snippetgen] coverage_min, else 100).",
)
@format_option("text", "json", "markdown", "html")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the table to this file (e.g. $GITHUB_STEP_SUMMARY with --format markdown) instead of stdout.",
)
def coverage(project: Project, minimum: float | None, fmt: str, out: Path | None) -> None:
    """Operation x language: has a snippet, embedded in a page, how its examples fared in the last run.

    text: the S/E/X table; json, markdown, html: the examples status (passed, cached, failed,
    changed since the run, not run), per operation and language, with each example's page and line
    and the spec versions; markdown suits a CI job summary, html is a standalone page.
    """

    ws, _ = load_workspace(project)
    if ws.specs is None:
        raise SnippetgenError(
            f"no specs folder at {project.rel(project.specs_dir)}",
            hint="coverage is measured against the operations of the OpenAPI specs",
        )
    runs = read_runs(project)
    cov = compute(ws, list(runs.values()))
    floor = project.coverage_min if minimum is None else minimum
    if fmt == "text":
        text = format_table(cov) + "\n"
    else:
        text = write_status(compute_status(ws, runs), fmt)
    if out is not None:
        if out.resolve().is_relative_to(project.root.resolve()) and any(
            out.resolve().is_relative_to(d.resolve()) for d in (project.snippets_dir, project.specs_dir)
        ):
            raise UsageError(f"--out {out}: refusing to write into the catalog or the specs folder")
        try:
            with out.open("a" if fmt == "markdown" and out.exists() else "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)
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


@cli.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="overlay",
    show_default=True,
    help="overlay: <api>.overlay.yaml (OpenAPI Overlay 1.0); spec: each spec with the samples applied.",
)
@click.option(
    "--out", type=click.Path(file_okay=False), default=DEFAULT_OUT, show_default=True, help="Output folder."
)
@click.option(
    "--embed",
    "embeds",
    multiple=True,
    metavar="PAGE:LINE",
    help="Export a snippet as embedded at this <snippet> tag (repeatable; default: its defaults).",
)
@click.option("--allow-unproven", is_flag=True, help="Also export samples the last test run did not prove.")
@root_option
def export_cmd(fmt: str, out: str, embeds: tuple[str, ...], allow_unproven: bool, project: Project) -> None:
    """Write x-codeSamples for any docs host (Redoc, Scalar, Mintlify, ...): one sample per language
    for every operation a snippet calls, only those the last test run proved."""
    ws, _ = load_workspace(project, validate_specs=False)
    result = export(project, ws, fmt=fmt, out_dir=Path(out), embeds=embeds, allow_unproven=allow_unproven)
    for message in result.messages:
        click.echo(message, err=True)
    for w in result.written:
        click.echo(f"wrote {project.rel(w.path)}: {w.describe()}")
    if result.summary:
        click.echo(result.summary)
    sys.exit(result.exit_code)


@cli.command()
@root_option
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: site/); a new or empty folder, or one a build made: every build "
    "empties it.",
)
def build(project: Project, site_dir: str | None) -> None:
    """Check everything, then build the site strictly into site/; end with one line of what was
    checked and how long it took."""
    from .site_build import build_report  # MkDocs and its plugins load only to build

    result = build_report(
        project, strict=True, site_dir=Path(site_dir) if site_dir else None, setting="--site-dir"
    )
    sys.exit(report(result, "text"))


@cli.command()
@root_option
@click.option("--dev-addr", default="127.0.0.1:8000", show_default=True, callback=_host_port)
def serve(project: Project, dev_addr: str) -> None:
    """Serve the site with live reload; editing a template, config or spec re-renders its pages."""
    from .site_build import serve as serve_site  # MkDocs and its plugins load only to serve

    warn_if_exposed(dev_addr.rpartition(":")[0], "the preview", "--dev-addr")

    serve_site(project, dev_addr=dev_addr)


@cli.command("new")
@click.argument("key", metavar="GROUP/NAME", required=False)
@click.option(
    "--operation",
    "-o",
    "ref",
    default=None,
    metavar="API:OPERATION",
    help='Operation to call: api:operationId or "api:METHOD /path" (e.g. aiart:generateImage).',
)
@click.option(
    "--all",
    "all_api",
    default=None,
    metavar="API",
    help="Scaffold every operation of API instead, as <api>/<operationId in kebab-case>.",
)
@click.option(
    "--lang",
    "langs",
    default="py,js,curl",
    show_default=True,
    help="Comma-separated languages to write templates for.",
)
@click.option(
    "--force",
    is_flag=True,
    help="If the snippet exists, replace its config.json and the templates of --lang; other files stay.",
)
@root_option
def new_cmd(
    key: str | None, ref: str | None, all_api: str | None, langs: str, force: bool, project: Project
) -> None:
    """Scaffold a snippet (config.json and one template per language) from an OpenAPI operation,
    or one per operation of an API with --all (exit 1 when some could not be written)."""
    lang_list = [lang for lang in langs.split(",") if lang.strip()]
    if all_api is not None:
        if key is not None or ref is not None:
            raise UsageError("--all takes no GROUP/NAME and no --operation", hint="snippetgen new --all API")
        _new_all(project, all_api, lang_list, force)
        return
    if key is None or ref is None:
        raise UsageError(
            "snippetgen new needs GROUP/NAME and --operation API:OPERATION, or --all API",
            hint="e.g. snippetgen new pets/list-pets --operation petstore:listPets",
        )
    group, name = split_key(key)
    folder = project.snippets_dir / group / name
    before = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    written = new_snippet(project, key, ref, lang_list, force)
    for path in written:
        verb = "replaced" if path.parent == folder and path.name in before else "wrote"
        click.echo(f"{verb} {project.rel(path)}")
    kept = sorted(before - {p.name for p in written if p.parent == folder})
    if kept:
        click.echo(f"kept {', '.join(kept)} (not written by this command)")
    click.echo(f"\nnext: snippetgen run {group}.{name}   (runs it against the mock in every language)")
    click.echo(f'      embed it in a page with <snippet data-name="{group}.{name}"></snippet>')


def _new_all(project: Project, api: str, langs: list[str], force: bool) -> None:
    start = time.perf_counter()
    results = new_all(project, api, langs, force)
    made = [r for r in results if r.written]
    failed = [r for r in results if not r.written and not r.exists]
    for r in results:
        if r.written:
            click.echo(
                f"wrote {project.rel(project.snippets_dir)}/{r.key}  ({r.ref}, {len(r.written)} files)"
            )
        else:
            click.echo(f"skipped {r.key}  ({r.ref}): {r.skipped}")
    click.echo(
        f"\n{api}: {len(made)} of {len(results)} operations scaffolded"
        + (
            f", {len(results) - len(made) - len(failed)} already there"
            if len(made) + len(failed) < len(results)
            else ""
        )
        + (f", {len(failed)} could not be" if failed else "")
        + f" in {time.perf_counter() - start:.1f} s"
    )
    if failed:
        sys.exit(1)


@cli.command("run")
@click.argument("keys", metavar="GROUP.NAME...", nargs=-1)
@click.option(
    "--lang", "-l", default=None, help="Run only this language (py, js, curl); default: all of them."
)
@set_option(
    "Override a variable like a page embed's data-* attribute (repeatable); config.json test.set still wins."
)
@click.option(
    "--live",
    is_flag=True,
    help="Run against the real APIs through the validating proxy, with the real keys of the environment: "
    'the snippets named, else every snippet whose config says "test": {"live": true}.',
)
@_upstream_option
@_delay_option
@click.option(
    "--timeout",
    type=click.FloatRange(0, 600, min_open=True),
    default=None,
    help="Seconds per example of a live run (default 600).",
)
@root_option
def run_cmd(
    keys: tuple[str, ...],
    lang: str | None,
    sets: dict[str, str],
    live: bool,
    upstreams: tuple[str, ...],
    live_delay: float | None,
    timeout: float | None,
    project: Project,
) -> None:
    """Run one snippet against the mock (or, with --live, snippets against the real APIs) and show
    its output, verdict and request log."""
    if not live and len(keys) != 1:
        raise click.UsageError("run takes one GROUP.NAME (several only with --live)")
    if not live and (upstreams or live_delay is not None or timeout is not None):
        raise click.UsageError("--upstream, --live-delay and --timeout apply to --live runs only")
    # SIGTERM unwinds like Ctrl-C: the sandbox and the mock are stopped on the way out.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    summary: list[str] = []
    try:
        if live:
            outcomes, summary = _run_live(project, keys, lang, sets, upstreams, live_delay, timeout)
        else:
            outcomes = run_snippet(
                project, keys[0], lang, sets, notice=lambda line: click.echo(line, err=True)
            )
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    click.echo(format_run(outcomes))
    for line in summary or (["no call was made to any API"] if live else []):
        click.echo(line)
    sys.exit(0 if outcomes and all(o.passed for o in outcomes) else 1)


def _run_live(
    project: Project,
    keys: tuple[str, ...],
    lang: str | None,
    sets: dict[str, str],
    upstreams: tuple[str, ...],
    delay: float | None,
    timeout: float | None,
) -> tuple[list[Any], list[str]]:
    targets = parse_upstreams(upstreams)
    if lang is not None:
        get_language(lang)
    ws, _ = load_workspace(project)
    examples = live_examples(ws, keys, lang, sets)
    if not examples:
        raise UsageError(
            'nothing to run live: no snippet is named and none says "test": {"live": true}',
            hint="name the snippets to run (snippetgen run --live GROUP.NAME) or opt them in in config.json",
        )
    names = sorted({e.snippet.key for e in examples if e.snippet is not None})
    count = f"{len(examples)} example{'' if len(examples) == 1 else 's'}"
    click.echo(f"live run of {', '.join(names)} ({count}), one call at a time", err=True)
    outcomes, summary = run_live(
        ws,
        examples,
        upstreams=targets,
        delay=delay,
        timeout=timeout,
        notice=lambda line: click.echo(line, err=True),
    )
    for usage in dict.fromkeys(o.example.usage for o in outcomes):
        compare_tabs([o for o in outcomes if o.example.usage == usage])
    return outcomes, summary


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    """Console entry point: exit 0 clean, 1 findings, 2 usage or internal error; never a traceback."""
    terminal = progress.TerminalProgress(sys.stderr) if progress.wanted(sys.stderr) else None
    try:
        with progress.reporting(terminal):
            try:
                result = cli.main(standalone_mode=False)
            finally:
                if terminal is not None:
                    terminal.close()
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # one line, not click's usage block
        command = exc.ctx.command_path if exc.ctx is not None else "snippetgen"
        click.echo(f"error: {exc.format_message()}", err=True)
        click.echo(f"    hint:     see `{command} --help`", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if isinstance(exc, CommandError) else 2)
    except SnippetgenError as exc:  # raised outside a command (SnippetgenGroup converts the rest)
        CommandError(exc).show()
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
