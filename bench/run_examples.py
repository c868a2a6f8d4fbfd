"""Run every example of this repository two ways in one run and compare.

1. naive: one fresh `python` / `node` / `bash` process per example, one after another (no pytest);
2. plugin: `pytest -n auto` with the snippetgen plugin (warm fork server for Python, one mock and
   sandbox per worker, requests verified, tabs compared).

Prints both wall times, the ratio, and the mean seconds per example per language in each mode.

    python bench/run_examples.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snippetgen.mock import MockServer, MockSettings  # noqa: E402
from snippetgen.project import Project  # noqa: E402
from snippetgen.runner import Runner, collect_examples  # noqa: E402
from snippetgen.workspace import load_workspace  # noqa: E402


def naive() -> tuple[float, dict[str, list[float]], int]:
    project = Project.load(ROOT)
    ws, _ = load_workspace(project)
    examples = [e for e in collect_examples(ws) if not (e.snippet and e.snippet.test.get("skip"))]
    per_lang: dict[str, list[float]] = defaultdict(list)
    failed = 0
    with MockServer(
        project.specs_dir, settings=MockSettings(polls_per_phase=1, stream_interval=0.01)
    ) as mock:
        runner = Runner(ws, mock, node_modules=ROOT / "tests" / "node" / "node_modules", warm=False)
        start = time.perf_counter()
        for example in examples:
            t0 = time.perf_counter()
            outcome = runner.run(example)  # fresh interpreter per example: warm=False
            per_lang[example.lang].append(time.perf_counter() - t0)
            failed += not outcome.passed
        total = time.perf_counter() - start
        runner.close()
    return total, per_lang, failed


def plugin(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *args,
            "docs",
            "shared/snippets",
            "--durations=0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, proc.stdout


def main() -> None:
    naive_total, naive_langs, failed = naive()
    pool_total, _ = plugin("-o", "addopts=", "-p", "no:xdist")
    plugin_total, out = plugin("-n", "auto")
    plugin_langs: dict[str, list[float]] = defaultdict(list)
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "call" and parts[0].endswith("s") and "::" in parts[2]:
            plugin_langs[parts[2].rsplit("::", 1)[-1]].append(float(parts[0][:-1]))
    count = sum(len(v) for v in naive_langs.values())
    print(
        f"examples: {count} ({', '.join(f'{k}: {len(v)}' for k, v in sorted(naive_langs.items()))})"
        + (f", {failed} failed in the naive run" if failed else "")
    )
    print(f"naive (fresh process per example, serial): {naive_total:7.2f} s")
    print(
        f"plugin, one process (pool of sandboxes):   {pool_total:7.2f} s  ratio {naive_total / pool_total:.1f}x"
    )
    print(
        f"plugin, pytest -n auto (xdist workers):    {plugin_total:7.2f} s  ratio {naive_total / plugin_total:.1f}x"
    )
    print("(plugin times include pytest start-up, collection and the mocks' start)")
    print("\nmean seconds per example (naive / plugin, per worker):")
    for lang in sorted(naive_langs):
        plug = statistics.mean(plugin_langs[lang]) if plugin_langs.get(lang) else float("nan")
        print(f"  {lang:5} {statistics.mean(naive_langs[lang]):.3f} / {plug:.3f}")
    print(f"\n{out.strip().splitlines()[-1] if out.strip() else '(no pytest output)'}")


if __name__ == "__main__":
    main()
