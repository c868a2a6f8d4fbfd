"""Run every example of this repository several ways in one run and compare.

1. naive: one fresh `python` / `node` / `bash` process per example, one after another, no isolation
   (no pytest), as a person would run them by hand;
2. the sandbox's cost: every example through one warm runner, one after another, with kernel
   isolation (a bubblewrap cell) and without it (the in-process guards only), alternating for
   ``--rounds`` rounds; the median total of each and their ratio;
3. plugin: `pytest -n auto` with the snippetgen plugin (warm Python, one mock and cell per slot,
   requests verified, tabs compared), with isolation and without.

Prints the wall times, the ratios, and the mean seconds per example per language.

    python bench/run_examples.py [--rounds 2]
"""

from __future__ import annotations

import argparse
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
from snippetgen.runner.isolation import support  # noqa: E402
from snippetgen.workspace import load_workspace  # noqa: E402

NODE_MODULES = ROOT / "tests" / "node" / "node_modules"


def serial(sandbox: str, warm: bool) -> tuple[float, dict[str, list[float]], int]:
    """Every example through one runner, one after another: total seconds, per-language seconds,
    failures. The runner's start (and the cell's) counts: it is part of what isolation costs."""
    project = Project.load(ROOT)
    ws, _ = load_workspace(project)
    examples = [e for e in collect_examples(ws) if not (e.snippet and e.snippet.test.get("skip"))]
    per_lang: dict[str, list[float]] = defaultdict(list)
    failed = 0
    with MockServer(
        project.specs_dir, settings=MockSettings(polls_per_phase=1, stream_interval=0.01)
    ) as mock:
        start = time.perf_counter()
        runner = Runner(ws, mock, node_modules=NODE_MODULES, warm=warm, sandbox=sandbox)
        try:
            for example in examples:
                t0 = time.perf_counter()
                outcome = runner.run(example)
                per_lang[example.lang].append(time.perf_counter() - t0)
                failed += not outcome.passed
        finally:
            runner.close()
        total = time.perf_counter() - start
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
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, proc.stdout


def _means(per_lang: dict[str, list[float]]) -> str:
    return ", ".join(f"{lang} {statistics.mean(v):.3f}" for lang, v in sorted(per_lang.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of isolated vs not (default 2)")
    args = parser.parse_args()
    found = support()
    if not found.available:
        sys.exit(f"kernel isolation is not available here, nothing to compare: {found.why}")

    naive_total, naive_langs, naive_failed = serial("off", warm=False)
    count = sum(len(v) for v in naive_langs.values())
    print(
        f"examples: {count} ({', '.join(f'{k}: {len(v)}' for k, v in sorted(naive_langs.items()))})"
        + (f", {naive_failed} failed in the naive run" if naive_failed else "")
    )
    print(f"naive (fresh process per example, serial, no isolation): {naive_total:7.2f} s")

    totals: dict[str, list[float]] = {"required": [], "off": []}
    langs: dict[str, dict[str, list[float]]] = {"required": defaultdict(list), "off": defaultdict(list)}
    for round_ in range(args.rounds):
        for mode in ("required", "off") if round_ % 2 == 0 else ("off", "required"):
            total, per_lang, failed = serial(mode, warm=True)
            if failed:
                print(f"  ({failed} examples failed in a {mode} round)")
            totals[mode].append(total)
            for lang, seconds in per_lang.items():
                langs[mode][lang] += seconds
    isolated, plain = statistics.median(totals["required"]), statistics.median(totals["off"])
    print(f"\nwarm runner, serial, median of {args.rounds} rounds (alternating):")
    print(
        f"  kernel isolation (bubblewrap cell): {isolated:7.2f} s   per example: {_means(langs['required'])}"
    )
    print(f"  in-process guards only:             {plain:7.2f} s   per example: {_means(langs['off'])}")
    print(
        f"  sandbox cost: {isolated / plain:.3f}x the examples' run time ({(isolated / plain - 1) * 100:+.1f}%)"
    )

    on_total, on_out = plugin("-n", "auto", "--snippetgen-sandbox", "required")
    off_total, off_out = plugin("-n", "auto", "--snippetgen-sandbox", "off")
    print("\nplugin, pytest -n auto (includes pytest start-up, collection and the mocks' start):")
    print(f"  kernel isolation: {on_total:7.2f} s   ratio to naive {naive_total / on_total:.1f}x")
    print(f"  guards only:      {off_total:7.2f} s   ratio to naive {naive_total / off_total:.1f}x")
    print(f"  sandbox cost: {on_total / off_total:.3f}x ({(on_total / off_total - 1) * 100:+.1f}%)")
    for label, out in (("isolated", on_out), ("guards only", off_out)):
        last = out.strip().splitlines()[-1] if out.strip() else "(no pytest output)"
        print(f"  {label}: {last}")


if __name__ == "__main__":
    main()
