"""What the snippetgen MkDocs plugin costs, and how fast a template edit reaches the pages.

In one run, on a temporary copy of the project (the repository is never modified):

1. build the site with the plugin (which also runs ``snippetgen check`` beside the build);
2. build the same pages with every tag already expanded into plain Markdown, without the plugin;
3. print both times and their ratio (target: the plugin adds at most 10 %);
4. edit one template and time what ``mkdocs serve`` does about it in the plugin: reload the
   catalog and re-render the pages that use that snippet (target: under 1 s), and, for context,
   the whole rebuild MkDocs then runs.

``--synthetic N`` measures a generated project instead (the repository's mkdocs.yml, stylesheets
and specs, 12 snippets, N pages embedding 4 snippets each, a page of operation references), so
the figures mean something while the repository's own catalog is young or in flux.

    python bench/site_build.py [--root .] [--synthetic 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from snippetgen.markdown.expand import transform_page
from snippetgen.pages import iter_pages
from snippetgen.project import Project
from snippetgen.spec import load_specs
from snippetgen.workspace import load_workspace

PY = (
    'import os\nimport requests\n\nresponse = requests.post(\n    {{ baseUrl | lit }} + "/images",\n'
    '    headers={"Authorization": f"Bearer {os.environ[\'DEMO_API_KEY\']}"},\n'
    '    json={"model": {{ model | lit }}, "prompt": {{ prompt | lit }}},\n'
    "    timeout=30,\n)\nprint(response.json())\n"
)
JS = (
    'const response = await fetch({{ baseUrl | lit }} + "/images", {\n  method: "POST",\n'
    "  headers: {\n    Authorization: `Bearer ${process.env.DEMO_API_KEY}`,\n"
    '    "Content-Type": "application/json",\n  },\n'
    "  body: JSON.stringify({ model: {{ model | lit }}, prompt: {{ prompt | lit }} }),\n});\n"
    "console.log(await response.json());\n"
)
CURL = (
    'curl -sS {{ baseUrl }}/images \\\n  -H "Authorization: Bearer $DEMO_API_KEY" \\\n'
    '  --data {{ {"model": model, "prompt": prompt} | json | sh }}\n'
)


def copy_project(src: Path, dest: Path) -> Project:
    project = Project.load(src)
    for name in ("pyproject.toml", "mkdocs.yml"):
        if (src / name).is_file():
            shutil.copy2(src / name, dest / name)
    for folder in (project.snippets_dir, project.specs_dir, project.docs_dir):
        if folder.is_dir():
            shutil.copytree(
                folder,
                dest / folder.relative_to(project.root),
                ignore=shutil.ignore_patterns("node_modules", "__pycache__"),
            )
    return Project.load(dest)


def synthetic_project(src: Path, dest: Path, pages: int) -> Project:
    """A generated project: the repository's mkdocs.yml, stylesheets and specs, 12 snippets and
    ``pages`` pages embedding 4 snippets each, plus one page of operation references."""
    shutil.copy2(src / "mkdocs.yml", dest / "mkdocs.yml")
    repo = Project.load(src)
    if repo.specs_dir.is_dir():
        shutil.copytree(repo.specs_dir, dest / "shared" / "openapi")
    if (repo.docs_dir / "stylesheets").is_dir():
        shutil.copytree(repo.docs_dir / "stylesheets", dest / "docs" / "stylesheets")
    project = Project.load(dest)
    keys = []
    for i in range(12):
        folder = project.snippets_dir / "bench" / f"image-{i}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(
            f'{{"title": "Generate image {i}", "docs": "guide.md", '
            f'"payload": {{"baseUrl": "https://api.example.test/v1", '
            f'"model": "model-{i}", "prompt": "A lighthouse at dusk"}}}}\n',
            encoding="utf-8",
        )
        for lang, source in (("py", PY), ("js", JS), ("curl", CURL)):
            (folder / f"{lang}.jinja").write_text(source, encoding="utf-8")
        keys.append(f"bench.image-{i}")
    docs = project.docs_dir
    (docs / "index.md").write_text("# Bench\n\nGenerated pages.\n", encoding="utf-8")
    (docs / "guide.md").write_text("# Guide\n\nWhat the examples do.\n", encoding="utf-8")
    specs, _ = load_specs(project.specs_dir, project.root, validate=False)
    if specs is not None and specs.operations():
        refs = [op.ref for op in specs.operations()[:6]]
        (docs / "reference.md").write_text(
            "# Reference\n\n"
            + "\n\n".join(f'<operation data-ref="{ref}"></operation>' for ref in refs)
            + "\n",
            encoding="utf-8",
        )
    (docs / "bench").mkdir(parents=True, exist_ok=True)
    for p in range(pages):
        body = [f"# Bench page {p}\n", "Some prose before the examples. " * 20 + "\n"]
        for j in range(4):
            key = keys[(p * 4 + j) % len(keys)]
            body.append(f'## Example {j}\n\n<snippet data-name="{key}"></snippet>\n')
            body.append("More prose between examples, with `code` and a [link](../index.md). " * 8 + "\n")
        (docs / "bench" / f"page-{p:03d}.md").write_text("\n".join(body), encoding="utf-8")
    return project


def expanded_copy(project: Project, dest: Path) -> Path:
    """The same site with every tag already expanded, and no snippetgen plugin."""
    site, problems = load_workspace(project, validate_specs=False, read_pages=False)
    if problems:
        raise SystemExit("\n".join(p.format() for p in problems))
    docs = dest / "docs"
    shutil.copytree(project.docs_dir, docs)
    for page in iter_pages(docs):
        rel = page.relative_to(docs).as_posix()
        text = page.read_text(encoding="utf-8")
        page.write_text(transform_page(text, rel, site), encoding="utf-8")
    config = (project.root / "mkdocs.yml").read_text(encoding="utf-8")
    plain = config.replace("  - snippetgen\n", "")
    assert plain != config, "mkdocs.yml does not list the snippetgen plugin"
    (dest / "mkdocs.yml").write_text(plain, encoding="utf-8")
    return dest / "mkdocs.yml"


def timed_build(config_file: Path, site_dir: Path) -> float:
    config = load_config(config_file=str(config_file), site_dir=str(site_dir), strict=True)
    start = time.perf_counter()
    mkdocs_build(config)
    return time.perf_counter() - start


def edit_to_render(project: Project, site_dir: Path) -> tuple[float, int, float]:
    """Seconds from a template edit to its pages re-rendered by the plugin, pages re-rendered, and
    the full MkDocs rebuild that ``mkdocs serve`` runs afterwards."""
    config = load_config(config_file=str(project.root / "mkdocs.yml"), site_dir=str(site_dir), strict=True)
    plugin = config.plugins["snippetgen"]
    plugin.on_startup(command="serve", dirty=False)
    mkdocs_build(config)  # warm: catalog loaded, every page rendered and cached

    site = plugin.site
    key = max(
        site.catalog.snippets, key=lambda k: sum(f"snippet:{k}" in e[2] for e in plugin._cache.values())
    )
    template = next(iter(site.catalog.snippets[key].templates.values()))
    path = project.root / template.path
    path.write_text(
        path.read_text(encoding="utf-8") + "# edited\n"
        if template.lang != "js"
        else path.read_text(encoding="utf-8") + "// edited\n",
        encoding="utf-8",
    )

    class FakeFile:
        def __init__(self, src_uri: str):
            self.src_uri = src_uri
            self.abs_src_path = str(project.docs_dir / src_uri)
            self.content_string = Path(self.abs_src_path).read_text(encoding="utf-8")

    class FakePage:
        def __init__(self, src_uri: str):
            self.file = FakeFile(src_uri)

    start = time.perf_counter()
    plugin.on_config(config)  # notices the edit, reloads catalog and specs (check starts beside)
    rendered = 0
    for src, (markdown, *_rest) in list(plugin._cache.items()):
        if any(plugin.site.fingerprints.get(k) != v for k, v in plugin._cache[src][2].items()):
            out = plugin.on_page_markdown(markdown, page=FakePage(src), config=config, files=None)
            assert "# edited" in out or "// edited" in out
            rendered += 1
    elapsed = time.perf_counter() - start
    plugin._finish_check()  # the check it started runs in its own process; not part of the figure

    start = time.perf_counter()
    config = load_config(config_file=str(project.root / "mkdocs.yml"), site_dir=str(site_dir), strict=True)
    mkdocs_build(config)
    rebuild = time.perf_counter() - start
    return elapsed, rendered, rebuild


def runs(times: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument(
        "--synthetic", type=int, default=0, help="measure a generated project of N pages instead"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("mkdocs").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="snippetgen-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "project").mkdir()
        if args.synthetic:
            project = synthetic_project(Path(args.root).resolve(), tmp / "project", args.synthetic)
        else:
            project = copy_project(Path(args.root).resolve(), tmp / "project")
        (tmp / "plain").mkdir()
        plain_config = expanded_copy(project, tmp / "plain")
        pages = sum(1 for _ in iter_pages(project.docs_dir))
        embeds = sum(
            page.read_text(encoding="utf-8").count("<snippet") for page in iter_pages(project.docs_dir)
        )
        operations = sum(
            page.read_text(encoding="utf-8").count("<operation") for page in iter_pages(project.docs_dir)
        )

        with_plugin, plain = [], []
        timed_build(project.root / "mkdocs.yml", tmp / "warm")  # imports, theme, Pygments caches
        for _ in range(args.repeat):
            with_plugin.append(timed_build(project.root / "mkdocs.yml", tmp / "site-plugin"))
            plain.append(timed_build(plain_config, tmp / "site-plain"))
        a, b = statistics.median(with_plugin), statistics.median(plain)
        print(f"pages: {pages}, snippet embeds: {embeds}, operation references: {operations}")
        print(f"build with plugin (incl. check): {a:.3f} s  (runs: {runs(with_plugin)})")
        print(f"build pre-expanded, no plugin:   {b:.3f} s  (runs: {runs(plain)})")
        print(f"ratio: {a / b:.3f}  (plugin adds {100 * (a / b - 1):+.1f} %; target <= +10 %)")
        print(f"ratio of the fastest runs: {min(with_plugin) / min(plain):.3f}")
        if embeds:
            seconds, rendered, rebuild = edit_to_render(project, tmp / "site-serve")
            print(
                f"template edit -> {rendered} page(s) re-rendered by the plugin: {seconds * 1000:.0f} ms "
                f"(target < 1000 ms); full MkDocs rebuild afterwards: {rebuild:.3f} s"
            )
        else:
            print("template edit -> re-render: skipped (no page embeds a snippet; try --synthetic 40)")


if __name__ == "__main__":
    main()
