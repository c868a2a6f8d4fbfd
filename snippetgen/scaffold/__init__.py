"""``snippetgen new``: scaffold a snippet (config.json + one template per language) from an operation.

Pure core: reads a :class:`~snippetgen.spec.SpecSet`, returns ``{relative path: text}`` for the
snippet folder and writes nothing. :mod:`.plan` decides once what the request is (:class:`Plan`);
each language's ``scaffold`` emitter (in its module in :mod:`snippetgen.languages`, using the
helpers of :mod:`.common`) writes its template from that plan; this module writes config.json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from ..errors import UsageError
from ..languages import all_languages, get_language
from ..spec.model import SpecSet
from .plan import Field, Plan, Poll, Request, api_key_env, create_and_poll, make_plan, resolve

__all__ = [
    "LANGS",
    "Field",
    "Plan",
    "Poll",
    "Request",
    "config",
    "config_text",
    "make_plan",
    "resolve",
    "scaffold",
    "template",
]


class _ScaffoldLanguages(Sequence[str]):
    """Ids of the registered languages that have a scaffold emitter, in tab order.

    Read from the registry each time it is used, so a language registered at run time is in it.
    """

    def _ids(self) -> tuple[str, ...]:
        return tuple(lang.id for lang in all_languages() if lang.scaffold is not None)

    def __getitem__(self, index: Any) -> Any:
        return self._ids()[index]

    def __len__(self) -> int:
        return len(self._ids())

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids())

    def __contains__(self, value: object) -> bool:
        return value in self._ids()

    def __repr__(self) -> str:
        return repr(self._ids())


LANGS: Sequence[str] = _ScaffoldLanguages()
"""Languages the scaffolder writes code for, in tab order: every registered one with an emitter."""


# --- entry point ---------------------------------------------------------------------------------


def scaffold(
    specs: SpecSet,
    ref: str,
    key: str,
    langs: list[str],
    *,
    schema_ref: str | None = None,
    pages: Collection[str] | None = None,
    base_url: str | None = None,
) -> dict[str, str]:
    """Files of a new snippet ``key`` (``group.name``) calling ``ref``, relative to its folder.

    ``pages`` (docs-relative paths of the site's pages) keeps the ``docs`` link only when its page
    ``<group>/<name>.md`` exists, since ``check`` and the site build reject a link to nowhere.
    ``base_url`` (the project's ``[tool.snippetgen.apis.<api>] base_url``) replaces the spec's server.
    """
    langs = _check_langs(langs)
    requested = resolve(specs, ref)
    create, poll_op = create_and_poll(specs, requested)
    plan = make_plan(specs, create, poll_op, base_url)
    files = {"config.json": config_text(plan, key, schema_ref, pages)}
    for lang in langs:
        files[f"{lang}.jinja"] = template(plan, lang)
    return files


def template(plan: Plan, lang: str) -> str:
    """The ``<lang>.jinja`` text the language's emitter writes for ``plan``."""
    emit = get_language(lang).scaffold
    if emit is None:
        raise UsageError(f"snippetgen new cannot write {lang!r} code yet")
    return "\n".join(emit(plan)).rstrip("\n") + "\n"


def _check_langs(langs: list[str]) -> list[str]:
    out: list[str] = []
    for lang in langs:
        lang = lang.strip()
        if not lang:
            continue
        get_language(lang)  # UsageError listing the known ones
        if lang not in LANGS:
            raise UsageError(
                f"snippetgen new cannot write {lang!r} code yet", hint=f"use some of: {', '.join(LANGS)}"
            )
        if lang not in out:
            out.append(lang)
    if not out:
        raise UsageError(
            "no language given", hint=f"--lang takes a comma-separated list of: {', '.join(LANGS)}"
        )
    return out


# --- config.json ---------------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text)[:300]


def config(plan: Plan, key: str, schema_ref: str | None = None) -> dict[str, Any]:
    """The new snippet's config.json: title, description, payload defaults, operations, test."""
    group, _, name = key.replace("/", ".").partition(".")
    op = plan.request.op
    config: dict[str, Any] = {}
    if schema_ref:
        config["$schema"] = schema_ref
    summary = op.summary.strip().splitlines()[0].strip() if op.summary.strip() else ""
    config["title"] = summary.rstrip(".") or f"{op.method} {op.path}"
    description = _first_sentence(op.description) if op.description.strip() else ""
    if plan.poll is not None:
        poll = plan.poll.op
        description += (" " if description else "") + (
            f"The example starts the job, then polls {poll.method} {poll.path} until it is done."
        )
    if description:
        config["description"] = description
    config["docs"] = f"{group}/{name}.md"
    payload: dict[str, Any] = {"baseUrl": plan.base_url}
    if plan.auth is not None and plan.auth[0] == "basic":
        payload["usernameEnv"] = api_key_env(plan.api, "USERNAME")
        payload["passwordEnv"] = api_key_env(plan.api, "PASSWORD")
    elif plan.auth is not None:
        payload["apiKeyEnv"] = api_key_env(plan.api)
    for f in plan.request.fields:
        if f.var:
            payload[f.var] = f.value
    if plan.poll is not None:
        for f in plan.poll.extra:
            payload[f.var] = f.value
        payload["pollInterval"] = 5
        payload["pollTimeout"] = 600
    config["payload"] = payload
    config["operations"] = [op.ref] + ([plan.poll.op.ref] if plan.poll is not None else [])
    test: dict[str, Any] = {}
    if plan.poll is not None:
        test["set"] = {"pollInterval": 0.05}
    if plan.fixtures:
        test["fixtures"] = list(plan.fixtures)
    if plan.request.output_file:
        test["expect_files"] = [plan.request.output_file]
    if test:
        config["test"] = test
    return config


def config_text(
    plan: Plan, key: str, schema_ref: str | None = None, pages: Collection[str] | None = None
) -> str:
    """config.json as written; the ``docs`` link only when ``pages`` (if given) has its page."""
    data = config(plan, key, schema_ref)
    if pages is not None and data.get("docs") not in pages:
        del data["docs"]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
