"""The result cache on this repository's examples, against the naive run, all in one run.

1. naive: one fresh process per example, serially, no isolation (``run_examples.naive``);
2. full: the plugin on a copy of the repository with an empty cache (every example runs, in kernel
   isolation where available, and the passing ones are stored);
3. unchanged: the same command again (every example from the cache);
   and once more without pytest's third-party plugins, to show what their start-up costs;
4. one template: one line added to the Python template of the most embedded snippet; only its
   usages' Python examples run again (their other tabs are compared with them from the cache).

The copy lives in a temporary folder, so this repository's own cache and records are untouched.

    python bench/cache_rerun.py [--mode ARGS]   # ARGS: extra pytest arguments, e.g. "-n auto"
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run_examples import naive  # noqa: E402

from snippetgen.project import Project  # noqa: E402
from snippetgen.runner import collect_examples  # noqa: E402
from snippetgen.workspace import load_workspace  # noqa: E402


def copy_project(dest: Path) -> None:
    project = Project.load(ROOT)
    for folder in (project.snippets_dir, project.specs_dir, project.docs_dir):
        shutil.copytree(folder, dest / folder.relative_to(ROOT))
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    node_modules = ROOT / "tests" / "node" / "node_modules"
    (dest / "tests" / "node").mkdir(parents=True)
    (dest / "tests" / "node" / "node_modules").symlink_to(node_modules, target_is_directory=True)
    for lock in ("package.json", "package-lock.json"):
        if (ROOT / "tests" / "node" / lock).is_file():
            shutil.copy2(ROOT / "tests" / "node" / lock, dest / "tests" / "node" / lock)


LEAN = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
"""pytest without the third-party plugins the test extra installs (hypothesis, schemathesis...)."""


def plugin(root: Path, mode: list[str], lean: bool = False) -> tuple[float, str, dict[str, dict]]:
    """Seconds, pytest's last line, and the record's rows by id."""
    plugins = ["-p", "snippetgen.integration.pytest", "-p", "xdist.plugin"] if lean else []
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *plugins,
        *mode,
        "docs",
        "shared/snippets",
    ]
    env = {**os.environ, **LEAN} if lean else None
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    rows: dict[str, dict] = {}
    for path in sorted((root / ".snippetgen" / "runs").glob("*.json")):
        rows.update({row["id"]: row for row in json.loads(path.read_text())["executed"]})
    lines = proc.stdout.strip().splitlines()
    summary = lines[-1] if lines else f"(no output; stderr: {proc.stderr.strip()[-300:]})"
    return seconds, summary.strip("= "), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", default="", help='extra pytest arguments, e.g. "-n auto" (default: none)')
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive baseline")
    args = parser.parse_args()
    mode = shlex.split(args.mode)

    naive_total = None
    if not args.skip_naive:
        naive_total, _, counts, failed = naive()
        print(
            f"naive (fresh process per example, serial, no isolation): {naive_total:6.2f} s  "
            f"({sum(counts.values())} examples{f', {failed} failed' if failed else ''})"
        )

    def ratio(seconds: float) -> str:
        return f"   {naive_total / seconds:5.1f}x faster than naive" if naive_total else ""

    with tempfile.TemporaryDirectory(prefix="snippetgen-bench-") as tmp:
        root = Path(tmp)
        copy_project(root)
        label = f"pytest {args.mode}".strip()
        full, summary, rows = plugin(root, mode)
        print(f"full run, empty cache ({label}):         {full:6.2f} s{ratio(full)}   ({summary})")
        again, summary, rows = plugin(root, mode)
        cached = sum(1 for row in rows.values() if row.get("cached"))
        print(f"unchanged re-run:                        {again:6.2f} s{ratio(again)}   ({summary})")
        print(f"  {cached} of {len(rows)} examples from the cache")
        lean, summary, _ = plugin(root, mode, lean=True)
        print(f"  the same without pytest's other plugins: {lean:6.2f} s{ratio(lean)}   ({summary})")
        print(
            "  (PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 -p snippetgen.integration.pytest: what their start-up costs)"
        )

        ws, _ = load_workspace(Project.load(root))
        examples = collect_examples(ws)
        usages = Counter(e.snippet.key for e in examples if e.snippet is not None and e.lang == "py")
        key, count = usages.most_common(1)[0]
        template = Path(ws.catalog.snippets[key].directory) / "py.jinja"
        template.write_text(template.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        changed, summary, rows = plugin(root, mode)
        ran = sorted(i for i, row in rows.items() if not row.get("cached"))
        expected = sorted(
            e.id for e in examples if e.snippet is not None and e.snippet.key == key and e.lang == "py"
        )
        print(f"one template changed ({key} py.jinja):   {changed:6.2f} s{ratio(changed)}   ({summary})")
        exact = "exactly those" if ran == expected else f"expected {len(expected)}, NOT only those"
        print(
            f"  ran {len(ran)} examples (its {count} Python usages: {exact}), {len(rows) - len(ran)} from the cache"
        )
    if naive_total:
        ok = naive_total / again >= 20 and again < 3
        print(f"\ntarget unchanged re-run >= 20x naive and < 3 s: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
