"""``import-hbs``: converted templates print exactly what Handlebars 4.7 printed.

Every Handlebars render is done by the real ``handlebars`` npm package (``tests/node``, installed
with ``npm ci --prefix tests/node``), all of them in one node process per test session.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import pytest

from snippetgen.errors import UsageError
from snippetgen.filters import HBS_FILTERS, to_handlebars_string
from snippetgen.render import environment
from snippetgen.tools.hbs_import import convert_template, import_tree

try:
    from seed_tree import dump_files, extract_snippets, seed_dump
except ImportError:  # tests/ imported as a package
    from tests.seed_tree import dump_files, extract_snippets, seed_dump

HERE = Path(__file__).parent
CORPUS = HERE / "hbs_corpus"
NODE_DIR = HERE / "node"
VARIABLES = json.loads((CORPUS / "variables.json").read_text(encoding="utf-8"))

RUNNER = r"""
const Handlebars = require('handlebars');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(([template, vars]) => {
    try { return { ok: Handlebars.compile(template, { noEscape: true })(vars) }; }
    catch (e) { return { error: String(e.message) }; }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def env() -> jinja2.Environment:
    e = environment().overlay()
    e.filters.update(HBS_FILTERS)
    return e


def jinja_render(source: str, variables: dict[str, Any]) -> str:
    return env().from_string(source).render(variables)


# ------------------------------------------------------------------ the cases, rendered by handlebars once


def corpus_cases() -> list[tuple[str, str, dict[str, Any]]]:
    cases = []
    for name, sets in VARIABLES["templates"].items():
        source = (CORPUS / f"{name}.hbs").read_text(encoding="utf-8")
        for i, spec in enumerate(sets):
            cases.append(
                (
                    f"{name}-{spec if isinstance(spec, str) else i}",
                    source,
                    VARIABLES["sets"][spec] if isinstance(spec, str) else spec,
                )
            )
    return cases


FRAGMENTS = [
    "\n",
    "\n",
    "  ",
    "\t",
    "x",
    " ",
    "{{v}}",
    "{{~v}}",
    "{{v~}}",
    "{{{v}}}",
    "{{! c }}",
    "{{~! c ~}}",
    "{{!-- c --}}",
    "{%",
    "{#",
    "\\{{v}}",
    "\\\\{{v}}",
    "{",
    "{{n}}",
]
BLOCKS = [
    ("{{#if b}}", "{{else}}", "{{/if}}"),
    ("{{~#if b~}}", "{{~else~}}", "{{~/if~}}"),
    ("{{#unless b}}", "{{^}}", "{{/unless}}"),
    ("{{#each xs}}", "{{else}}", "{{/each}}"),
    ("{{#if b~}}", "{{else~}}", "{{/if}}"),
    ("{{~#each xs}}", "{{~else}}", "{{/each~}}"),
]
IN_LOOP = ["{{this.k}}", "{{@index}}", "{{#if @first}}F{{/if}}", "{{#if @last}}L{{/if}}", "{{v}}", "{{this}}"]


def _random_template(r: random.Random, depth: int = 0, in_loop: bool = False) -> str:
    out = []
    for _ in range(r.randint(0, 6)):
        k = r.random()
        if k < 0.25 and depth < 3:
            open_, else_, close = r.choice(BLOCKS)
            out.append(open_ + _random_template(r, depth + 1, in_loop or "each" in open_))
            if r.random() < 0.5:
                out.append(else_ + _random_template(r, depth + 1, in_loop))
            out.append(close)
        else:
            out.append(r.choice(IN_LOOP if in_loop and k < 0.35 else FRAGMENTS))
    return "".join(out)


def _item(depth: int, **kw: Any) -> dict[str, Any]:
    item = {"v": "iv", "n": 7, "b": True, "k": "kk", "xs": []}
    if depth:
        item["xs"] = [_item(depth - 1, k=1, b=False), _item(depth - 1, v=None, b={})]
    return {**item, **kw}


FUZZ_SETS = [
    {"v": "s", "n": "N", "b": True, "xs": [_item(3), _item(2, b=[], v="é\n", k=1e21)]},
    {"v": "", "n": "x", "b": False, "xs": []},
    {"v": "z", "n": 2, "b": {}, "xs": {"1": _item(3, k=True), "0": _item(1, k=0.1)}},
]


def fuzz_cases(count: int = 250, seed: int = 20240611) -> list[tuple[str, str, dict[str, Any]]]:
    r = random.Random(seed)
    templates = [_random_template(r) for _ in range(count)]
    return [(f"fuzz{i}-{j}", t, v) for i, t in enumerate(templates) for j, v in enumerate(FUZZ_SETS)]


NUMBERS = [
    0,
    -0.0,
    1,
    -1,
    1.0,
    0.1,
    0.5,
    1.5,
    -2.75,
    1 / 3,
    2 / 3,
    100.0,
    123456789.125,
    1e20,
    1e21,
    1.5e21,
    123e-20,
    1e-6,
    1e-7,
    1.5e-7,
    2**53,
    2**53 + 1,
    2**64,
    9.007199254740993e15,
    5e-324,
    1.7976931348623157e308,
    0.000123,
    12345678901234567890123.0,
    4.35,
    0.1 + 0.2,
]
VALUES = [
    None,
    True,
    False,
    "",
    "x",
    [],
    [None],
    [1, [2, [3, None]], "a", True, {}],
    {},
    {"a": 1},
    [[], []],
    NUMBERS,
]


def require_handlebars() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (NODE_DIR / "node_modules" / "handlebars").is_dir():
        pytest.skip("tests/node/node_modules is missing: run `npm ci --prefix tests/node`")


@functools.cache
def handlebars_results() -> dict[str, dict[str, str]]:
    """Every case rendered by handlebars@4.7.8, in one node process."""
    require_handlebars()
    cases = [(n, t, v) for n, t, v in corpus_cases() + fuzz_cases()]
    cases += [(f"value{i}", "{{x}}", {"x": v}) for i, v in enumerate(NUMBERS + VALUES)]
    cases += [(f"adjacent{i}", t, v) for i, (t, v) in enumerate(ADJACENT)]
    proc = subprocess.run(
        ["node", "-e", RUNNER],
        input=json.dumps([[t, v] for _, t, v in cases]),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=NODE_DIR,
        timeout=120,
        check=True,
    )
    return dict(zip([n for n, _, _ in cases], json.loads(proc.stdout), strict=True))


ADJACENT = [("{{a}}{{b}}", {"a": 1, "b": 2}), ("{{#each xs}}{{this}}{{@first}}{{/each}}", {"xs": [3, 2]})]

# ------------------------------------------------------------------ parity


@pytest.mark.parametrize("typed", [False, True], ids=["untyped", "payload-typed"])
@pytest.mark.parametrize(("name", "source", "variables"), corpus_cases(), ids=[c[0] for c in corpus_cases()])
def test_corpus_matches_handlebars(name: str, source: str, variables: dict[str, Any], typed: bool) -> None:
    expected = handlebars_results()[name]
    assert "ok" in expected, expected
    jinja, problems = convert_template(source, f"{name}.hbs", payload=variables if typed else None)
    assert problems == []
    assert jinja_render(jinja, variables) == expected["ok"]


def test_random_templates_match_handlebars() -> None:
    """Random mixes of every construct, whitespace and ``~``: identical, or refused for a stated reason."""
    results, compared, mismatches = handlebars_results(), 0, []
    for name, source, variables in fuzz_cases():
        jinja, problems = convert_template(source, "fuzz.hbs")
        if jinja is None:
            assert "error" in results[name] or all("adds two numbers" in p.message for p in problems), (
                problems
            )
            continue
        assert "ok" in results[name], (source, results[name])
        compared += 1
        if jinja_render(jinja, variables) != results[name]["ok"]:
            mismatches.append((source, variables))
    assert not mismatches
    assert compared > 400


@pytest.mark.parametrize("index", range(len(NUMBERS + VALUES)))
def test_hbs_filter_prints_values_like_javascript(index: int) -> None:
    value = (NUMBERS + VALUES)[index]
    assert to_handlebars_string(value) == handlebars_results()[f"value{index}"]["ok"]


def test_adjacent_numbers_are_refused_because_handlebars_adds_them() -> None:
    assert [handlebars_results()[f"adjacent{i}"]["ok"] for i in range(len(ADJACENT))] == ["3", "42"]
    for source, _ in ADJACENT:
        jinja, problems = convert_template(source, "a.hbs")
        assert jinja is None and problems[0].code == "hbs-unsupported" and problems[0].location.line == 1
    # typed as strings (a string default, or no default: then only a data-* attribute can set it) it converts
    assert convert_template("{{a}}{{b}}", "a.hbs", payload={"a": "x"})[0] == "{{ a }}{{ b }}"


def test_undefined_variables_are_errors_not_empty_strings() -> None:
    """The one deliberate difference: Handlebars printed "" for a missing variable, Jinja (strict) refuses."""
    jinja, _ = convert_template("model: '{{model}}'\n{{#each xs}}{{this.name}}{{/each}}\n", "u.hbs")
    with pytest.raises(jinja2.UndefinedError, match="'model' is undefined"):
        jinja_render(jinja, {"xs": []})
    with pytest.raises(jinja2.UndefinedError):
        jinja_render(jinja, {"model": "m", "xs": [{}]})


def test_conversion_reads_like_the_source() -> None:
    source = (CORPUS / "code_py.hbs").read_text(encoding="utf-8")
    jinja, _ = convert_template(
        source, "code_py.hbs", payload={"baseUrl": "u", "stream": True, "messages": []}
    )
    assert '"{{ baseUrl }}/chat/completions"' in jinja
    assert "        {% if stream %}\n" in jinja and "{% for item in messages %}" in jinja
    assert '{"role": "{{ item.role | hbs }}"' in jinja
    assert source.count("\n") == jinja.count("\n")


# ------------------------------------------------------------------ what is refused, and where

UNSUPPORTED = {
    "helper call": "{{uppercase name}}",
    "partial": "{{> header}}",
    "partial block": "{{#> layout}}x{{/layout}}",
    "with": "{{#with person}}{{name}}{{/with}}",
    "custom block helper": "{{#list items}}{{this}}{{/list}}",
    "subexpression": "{{#if (eq a b)}}x{{/if}}",
    "parent path": "{{#each xs}}{{../title}}{{/each}}",
    "@key": "{{#each obj}}{{@key}}{{/each}}",
    "@root": "{{@root.title}}",
    "@index outside each": "{{@index}}",
    "block params": "{{#each xs as |x i|}}{{x}}{{/each}}",
    "raw block": "{{{{raw}}}} {{x}} {{{{/raw}}}}",
    "lookup": "{{lookup obj key}}",
    "hash": "{{#if a includeZero=true}}x{{/if}}",
    "else chain": "{{#if a}}x{{else if b}}y{{/if}}",
    "inverse section": "{{^a}}x{{/a}}",
    "literal segment": "{{obj.[weird key]}}",
    "length": "{{xs.length}}",
    "string literal": "{{'text'}}",
    "this at top level": "{{this}}",
    "helper name as variable": "{{log}}",
    "decorator": "{{* deco}}",
    "Jinja keyword as name": "{{not}}",
}


@pytest.mark.parametrize("construct", UNSUPPORTED)
def test_unsupported_construct_is_reported_at_its_line(construct: str) -> None:
    source = (
        "first line {{ok}}\n\n  second {{#if ok}}\n{{/if}}\n" + "pad " + UNSUPPORTED[construct] + "\nafter\n"
    )
    jinja, problems = convert_template(source, "shared/snippets/g/n/py.hbs")
    assert jinja is None
    assert problems and {p.code for p in problems} <= {"hbs-unsupported", "hbs-syntax"}
    assert problems[0].location.line == 5, [p.format() for p in problems]
    assert problems[0].format().startswith("shared/snippets/g/n/py.hbs:5: ")


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("a\n{{#if x}}\nb\n", 2),
        ("{{/if}}", 1),
        ("a\n\n{{#if a}}{{/each}}", 3),
        ("{{else}}", 1),
        ("{a: {{x}}}", 1),
        ("x\n{{x", 2),
        ("{{x!}}", 1),
        ("a\r\nb", 1),
    ],
)
def test_syntax_errors_are_reported_at_their_line(source: str, line: int) -> None:
    jinja, problems = convert_template(source, "t.hbs")
    assert jinja is None and problems[0].location.line == line


def test_every_problem_in_a_template_is_reported() -> None:
    _, problems = convert_template("{{> a}}\n{{b c}}\n{{#with d}}{{/with}}\n", "t.hbs")
    assert [p.location.line for p in problems] == [1, 2, 3]


# ------------------------------------------------------------------ import_tree


def make_tree(root: Path, snippets: dict[str, dict[str, str]]) -> Path:
    for key, files in snippets.items():
        for name, text in files.items():
            (root / key / name).parent.mkdir(parents=True, exist_ok=True)
            (root / key / name).write_text(text, encoding="utf-8")
    return root


CONFIG = '{\n  "title": "T",\n  "payload": {"baseUrl": "https://x", "n": 2}\n}\n'


def test_import_tree_writes_jinja_and_copies_config_verbatim(tmp_path: Path) -> None:
    src = make_tree(
        tmp_path / "src",
        {
            "grp/one": {
                "config.json": CONFIG,
                "py.hbs": "{{baseUrl}} {{n}}\n",
                "js.hbs": "{{#if n}}{{n}}{{/if}}\n",
            }
        },
    )
    written, problems = import_tree(src, tmp_path / "dest")
    assert problems == []
    dest = tmp_path / "dest" / "grp" / "one"
    assert sorted(p.name for p in written) == ["config.json", "js.jinja", "py.jinja"]
    assert (dest / "config.json").read_text() == CONFIG
    assert (dest / "py.jinja").read_text() == "{{ baseUrl }} {{ n | hbs }}\n"
    assert (dest / "js.jinja").read_text() == "{% if n %}{{ n | hbs }}{% endif +%}\n"


def test_folder_names_that_are_not_kebab_case_are_reported_not_renamed(tmp_path: Path) -> None:
    src = make_tree(
        tmp_path / "src",
        {
            "open_ai/chat_completion": {"config.json": CONFIG, "py.hbs": "x\n"},
            "Voice/tts": {"config.json": CONFIG, "py.hbs": "x\n"},
        },
    )
    written, problems = import_tree(src, tmp_path / "dest")
    names = [p for p in problems if p.code == "hbs-folder-name"]
    assert len(names) == 3
    assert any("'open-ai'" in p.hint and "open_ai" in p.message for p in names)
    assert (tmp_path / "dest" / "open_ai" / "chat_completion" / "py.jinja").exists()
    assert not (tmp_path / "dest" / "open-ai").exists()


def test_existing_destination_is_not_overwritten_without_force(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", {"g/n": {"config.json": CONFIG, "py.hbs": "new\n"}})
    old = tmp_path / "dest" / "g" / "n" / "py.jinja"
    old.parent.mkdir(parents=True)
    old.write_text("old\n")
    written, problems = import_tree(src, tmp_path / "dest")
    assert written == [] and [p.code for p in problems] == ["hbs-exists"]
    assert old.read_text() == "old\n"
    written, problems = import_tree(src, tmp_path / "dest", force=True)
    assert problems == [] and old.read_text() == "new\n"


def test_a_snippet_with_an_unsupported_template_is_not_written(tmp_path: Path) -> None:
    src = make_tree(
        tmp_path / "src",
        {
            "g/bad": {"config.json": CONFIG, "py.hbs": "ok\n", "js.hbs": "a\n{{> p}}\n"},
            "g/good": {"config.json": CONFIG, "py.hbs": "ok\n"},
        },
    )
    written, problems = import_tree(src, tmp_path / "dest")
    assert [(Path(p.location.path).name, p.location.line, p.code) for p in problems] == [
        ("js.hbs", 2, "hbs-unsupported")
    ]
    assert not (tmp_path / "dest" / "g" / "bad").exists()
    assert (tmp_path / "dest" / "g" / "good" / "py.jinja").exists()


def test_layout_and_config_problems(tmp_path: Path) -> None:
    src = make_tree(
        tmp_path / "src",
        {
            "g/noconf": {"py.hbs": "x"},
            "g/badconf": {"config.json": "{\n oops", "py.hbs": "x"},
            "g/deep/er": {"py.hbs": "x"},
        },
    )
    written, problems = import_tree(src, tmp_path / "dest")
    assert written == []
    assert sorted(p.code for p in problems) == ["hbs-config", "hbs-config", "hbs-layout"]
    assert any(p.location.line == 2 for p in problems if "badconf" in p.location.path)


# ------------------------------------------------------------------ the original repository's snippets


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    dump = seed_dump()
    if dump is None:
        pytest.skip("the original repository's dump (../shared/seeds/003_*.txt) is not available")
    base = tmp_path_factory.mktemp("original")
    src = extract_snippets(dump, base / "hbs")
    site = base / "site"
    written, problems = import_tree(src, site / "shared" / "snippets")
    assert problems == []
    return src, site


def test_original_snippets_import_without_problems(original: tuple[Path, Path]) -> None:
    src, site = original
    dest = site / "shared" / "snippets"
    assert len(list(src.glob("*/*/config.json"))) == 34
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.jinja")) == sorted(
        p.relative_to(src).with_suffix(".jinja").as_posix() for p in src.rglob("*.hbs")
    )
    assert len(list(dest.rglob("*.jinja"))) == 68
    for config in src.glob("*/*/config.json"):
        assert (dest / config.relative_to(src)).read_bytes() == config.read_bytes()


def test_original_snippets_render_as_before(original: tuple[Path, Path]) -> None:
    """With the original's own variables (a missing ``model`` was ""), every template prints the same bytes."""
    src, site = original
    cases = []
    for hbs in sorted(src.rglob("*.hbs")):
        payload = json.loads((hbs.parent / "config.json").read_text(encoding="utf-8")).get("payload", {})
        cases.append((hbs, {**payload, "model": payload.get("model", "")}))
    require_handlebars()
    proc = subprocess.run(
        ["node", "-e", RUNNER],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=NODE_DIR,
        input=json.dumps([[h.read_text(encoding="utf-8"), v] for h, v in cases]),
        check=True,
    )
    for (hbs, variables), expected in zip(cases, json.loads(proc.stdout), strict=True):
        jinja = (
            (site / "shared" / "snippets" / hbs.relative_to(src))
            .with_suffix(".jinja")
            .read_text(encoding="utf-8")
        )
        assert jinja_render(jinja, variables) == expected["ok"], hbs


def test_seed_dump_round_trips_files_exactly() -> None:
    dump = seed_dump()
    if dump is None:
        pytest.skip("the original repository's dump is not available")
    files = dump_files(dump)
    assert files["shared/snippets/3d/triposr/js.hbs"].endswith("main();")
    assert files["shared/snippets/3d/triposr/config.json"].endswith("}\n")


SYNTAX_JS = {
    "audio/create-generation-minimax",
    "open-ai/chat-completion-code",
    "together-ai/chat-completion-vision",
    "minimax/create-audio-generation",
}
SYNTAX_PY = {"minimax/create-audio-generation", "luma-ai/create-generation"}


def test_check_reports_the_original_defects(original: tuple[Path, Path], tmp_path: Path) -> None:
    """seeds-catalog 1.3: 22 snippets use ``model`` without a default; with ``model`` set to "" (what the
    original printed) 4 JavaScript and 2 Python templates render to code that does not parse."""
    check = pytest.importorskip("snippetgen.check", reason="snippetgen check is not written yet")
    _, site = original

    def snippet(p: Any) -> str:
        parts = Path(p.location.path).parts
        return "/".join(parts[parts.index("snippets") + 1 :][:2]) if "snippets" in parts else p.location.path

    problems = check.run_check(site)
    undefined = {snippet(p) for p in problems if p.code == "undefined-variable" and "'model'" in p.message}
    assert len(undefined) == 22

    fixed = tmp_path / "site"
    shutil.copytree(site, fixed)
    for config in (fixed / "shared" / "snippets").glob("*/*/config.json"):
        data = json.loads(config.read_text(encoding="utf-8"))
        data["payload"].setdefault("model", "")
        config.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = check.run_check(fixed)
    assert not [p for p in problems if p.code == "undefined-variable"]
    syntax = [p for p in problems if "syntax" in p.code]
    assert {snippet(p) for p in syntax if Path(p.location.path).stem == "js"} == SYNTAX_JS
    assert {snippet(p) for p in syntax if Path(p.location.path).stem == "py"} == SYNTAX_PY


@pytest.mark.parametrize("dest", [".", "shared", "inner/deeper"])
def test_import_refuses_overlapping_trees_and_writes_nothing(tmp_path: Path, dest: str) -> None:
    src = tmp_path / "tree"
    (src / "demo" / "hello").mkdir(parents=True)
    (src / "demo" / "hello" / "config.json").write_text('{"payload": {"x": "1"}}', encoding="utf-8")
    (src / "demo" / "hello" / "py.hbs").write_text("print({{x}})\n", encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    target = src / dest if dest != "shared" else src
    if dest == "shared":
        src, target = src / "demo", src  # DEST holds SRC
    with pytest.raises(UsageError) as info:
        import_tree(src, target, force=True)
    assert "overlap" in info.value.message
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_import_does_not_follow_a_symlink_out_of_src(tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text('{"payload": {}}', encoding="utf-8")
    src = tmp_path / "tree"
    (src / "demo" / "hello").mkdir(parents=True)
    (src / "demo" / "hello" / "config.json").symlink_to(outside)
    written, problems = import_tree(src, tmp_path / "out")
    assert written == []
    assert any("resolves outside SRC" in p.message for p in problems)
