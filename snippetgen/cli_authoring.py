"""``snippetgen new`` and ``snippetgen run``: click shims over :mod:`snippetgen.authoring`.

Registered by the main CLI (``cli.add_command(new_cmd)``, ``cli.add_command(run_cmd)``). Errors
exit 2 with the message, its ``path:line`` when there is one, and a hint; ``run`` exits 0 when
every language passed and 1 otherwise.
"""

from __future__ import annotations

import click

from .errors import SnippetgenError


class AuthoringError(click.ClickException):
    """A snippetgen error shown as click shows its own: ``Error: ...`` on stderr, exit status 2."""

    exit_code = 2


def _project(root: str):
    from .project import Project

    return Project.load(root)


def _sets(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(
                f"{pair!r}: expected NAME=VALUE, e.g. --set model=flux/schnell", param_hint="--set"
            )
        values[name.strip()] = value
    return values


@click.command("new")
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
    from .authoring import new_snippet, split_key

    try:
        project = _project(root)
        written = new_snippet(project, key, ref, [lang for lang in langs.split(",") if lang.strip()], force)
        group, name = split_key(key)
    except SnippetgenError as exc:
        raise AuthoringError(str(exc)) from None
    for path in written:
        click.echo(f"wrote {project.rel(path)}")
    click.echo(f"\nnext: snippetgen run {group}.{name}   (runs it against the mock in every language)")
    click.echo(f'      embed it in a page with <snippet data-name="{group}.{name}"></snippet>')


@click.command("run")
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
    from .authoring import format_run, run_snippet

    overrides = _sets(sets)
    try:
        outcomes = run_snippet(_project(root), key, lang, overrides)
    except SnippetgenError as exc:
        raise AuthoringError(str(exc)) from None
    click.echo(format_run(outcomes))
    click.get_current_context().exit(0 if outcomes and all(o.passed for o in outcomes) else 1)
