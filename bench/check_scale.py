"""How `snippetgen check` scales: synthetic catalogs of 100, 1,000 and 10,000 snippets.

Each snippet has py, js and curl templates with a few variables; one page per 10 snippets embeds
each of them once with an override. Prints seconds per size, the growth ratio per 10x, and the
batched JavaScript syntax check against the naive way (one `node --check` process per file),
both measured in this run on the same rendered sources.

    python bench/check_scale.py [--sizes 100,1000,10000]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snippetgen.check import run_check
from snippetgen.integration.pytest import cache_settings
from snippetgen.languages import get_language
from snippetgen.loader import load_catalog
from snippetgen.project import Project
from snippetgen.render import render
from snippetgen.runner import collect_examples
from snippetgen.runner.cache import Keyer, ResultCache
from snippetgen.workspace import load_workspace

PY = """import os
import requests

API_KEY = os.environ[{{ apiKeyEnv | lit }}]
response = requests.post(
    {{ baseUrl | lit }} + "/images/generations",
    headers={"Authorization": f"Bearer {API_KEY}"},
    json={"model": {{ model | lit }}, "prompt": {{ prompt | lit }}, "n": {{ n }}},
    timeout=30,
)
response.raise_for_status()
print(response.json())
"""
JS = """const apiKey = process.env[{{ apiKeyEnv | lit }}];
const response = await fetch({{ baseUrl | lit }} + "/images/generations", {
  method: "POST",
  headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
  body: JSON.stringify({ model: {{ model | lit }}, prompt: {{ prompt | lit }}, n: {{ n }} }),
});
if (!response.ok) throw new Error(`HTTP ${response.status}`);
console.log(await response.json());
"""
CURL = """curl -sS --fail-with-body {{ (baseUrl ~ "/images/generations") | lit }} \\
  -H "Authorization: Bearer ${{ apiKeyEnv | env }}" \\
  -H "Content-Type: application/json" \\
  --data {{ {"model": model, "prompt": prompt, "n": n} | json | lit }}
"""


def make_catalog(root: Path, size: int) -> None:
    snippets = root / "shared" / "snippets"
    for i in range(size):
        folder = snippets / f"group-{i // 50}" / f"snippet-{i}"
        folder.mkdir(parents=True)
        config = {
            "title": f"Snippet {i}",
            "payload": {
                "baseUrl": "https://api.example.test/v1",
                "apiKeyEnv": "EXAMPLE_API_KEY",
                "model": f"model-{i % 7}",
                "prompt": f"A prompt's #{i}",
                "n": 1,
            },
        }
        (folder / "config.json").write_text(json.dumps(config, indent=2))
        # Distinct sources per snippet, so no cache can make the catalog look smaller than it is.
        (folder / "py.jinja").write_text(f"# example {i}\n{PY}")
        (folder / "js.jinja").write_text(f"// example {i}\n{JS}")
        (folder / "curl.jinja").write_text(f"# example {i}\n{CURL}")
    docs = root / "docs"
    docs.mkdir()
    for page in range(0, size, 10):
        body = [f"# Page {page}\n"]
        for i in range(page, min(page + 10, size)):
            body.append(
                f'\nText.\n\n<snippet data-name="group-{i // 50}.snippet-{i}" data-model="m-{i}"></snippet>\n'
            )
        (docs / f"page-{page}.md").write_text("".join(body))


def time_check(size: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_catalog(root, size)
        start = time.perf_counter()
        problems = run_check(root)
        elapsed = time.perf_counter() - start
    if problems:
        raise SystemExit(f"synthetic catalog should be clean, got: {problems[0].format()}")
    return elapsed


def js_batched_vs_naive(count: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_catalog(root, count)
        catalog, _ = load_catalog(root / "shared" / "snippets")
        sources = [render(s, "js").code for s in catalog.snippets.values()]
        start = time.perf_counter()
        assert all(issue is None for issue in get_language("js").check_many(sources))
        batched = time.perf_counter() - start
        files = []
        for i, source in enumerate(sources):
            path = root / f"ex{i}.mjs"
            path.write_text(source)
            files.append(path)
        start = time.perf_counter()
        for path in files:
            subprocess.run(["node", "--check", str(path)], check=True, capture_output=True)
        naive = time.perf_counter() - start
    return batched, naive


def time_examples(count: int) -> tuple[int, float, float, float, str]:
    """Examples, seconds to collect them, to key them, and for a cached re-run (pytest); its summary."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_catalog(root, -(-count // 3))
        (root / "pytest.ini").write_text("[pytest]\nsnippetgen = true\ntestpaths = docs shared/snippets\n")
        start = time.perf_counter()
        project = Project.load(root)
        ws, _ = load_workspace(project)
        examples = collect_examples(ws)
        collect = time.perf_counter() - start
        start = time.perf_counter()
        keyer = Keyer(ws, cache_settings(project.sandbox, None), node_modules=project.node_modules)
        keys = [keyer.key(example) for example in examples]
        keying = time.perf_counter() - start
        cache = ResultCache(project.record_path.parent / "cache", "main")
        for example, key in zip(examples, keys, strict=True):
            assert key is not None, f"{example.id} does not render"
            row = {
                "id": example.id,
                "usage": example.usage,
                "lang": example.lang,
                "operations": [],
                "passed": True,
            }
            cache.put(key, row, "", [])
        cache.save()
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        rerun = time.perf_counter() - start
        found = re.search(r"(\d+) examples? from cache", proc.stdout)
        if not found or int(found.group(1)) != len(examples):
            print(f"  warning: not every example came from the cache: {proc.stdout.strip()[-400:]}")
    return len(examples), collect, keying, rerun, proc.stdout.strip().splitlines()[-1].strip("= ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--naive-count", type=int, default=200, help="JS files for the naive comparison")
    parser.add_argument("--examples", default="1000,10000", help="synthetic example counts ('' to skip)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'snippets':>9} {'templates':>10} {'seconds':>9} {'ms/snippet':>11} {'growth (x per 10x)':>19}")
    previous = None
    for size in sizes:
        seconds = time_check(size)
        growth = f"{seconds / previous[1]:.1f}x for {size // previous[0]}x" if previous else "-"
        print(f"{size:>9} {size * 3:>10} {seconds:>9.2f} {seconds / size * 1000:>11.2f} {growth:>19}")
        previous = (size, seconds)
    batched, naive = js_batched_vs_naive(args.naive_count)
    print(f"\nJavaScript syntax check of {args.naive_count} rendered files:")
    print(f"  batched (one node process): {batched:.2f} s")
    print(f"  naive (node --check per file): {naive:.2f} s")
    print(f"  ratio naive/batched: {naive / batched:.1f}x")
    if not args.examples:
        return
    print("\nExamples: collect, result cache keys, cached re-run through pytest (all from the cache):")
    print(
        f"{'examples':>9} {'collect s':>10} {'keys s':>8} {'re-run s':>9} {'ms/example':>11} {'growth':>14}"
    )
    previous_run = None
    for count in (int(c) for c in args.examples.split(",")):
        n, collect, keying, rerun, summary = time_examples(count)
        growth = f"{rerun / previous_run[1]:.1f}x for {n / previous_run[0]:.0f}x" if previous_run else "-"
        print(f"{n:>9} {collect:>10.2f} {keying:>8.2f} {rerun:>9.2f} {rerun / n * 1000:>11.2f} {growth:>14}")
        previous_run = (n, rerun)
    print(f"cached re-run of {previous_run[0]} examples: {previous_run[1]:.2f} s ({summary})")


if __name__ == "__main__":
    main()
