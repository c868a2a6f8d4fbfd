"""Run every example of this repository several ways in one run and compare.

1. naive: one fresh `python` / `node` / `bash` process per example, one after another, no isolation
   (no pytest), as a person would run them by hand;
2. the sandbox's cost, paired: two warm runners side by side, one running examples in kernel
   isolation (a bubblewrap cell), one with the in-process guards only; each example runs on both,
   back to back, in alternating order, for ``--rounds`` rounds. Load on the machine then hits both
   alike: the ratio of the summed run times is the sandbox's cost. Each runner's start is timed too
   (the cell's start is paid once per runner, i.e. per pytest slot);
3. plugin: `pytest -n auto` with the snippetgen plugin (warm Python, one mock and cell per slot,
   requests verified, tabs compared), isolated and not, alternating, median of ``--rounds`` each.

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
MODES = ("required", "off")
"""Kernel isolation, then the in-process guards only."""


def _examples():
    project = Project.load(ROOT)
    ws, _ = load_workspace(project)
    return project, ws, [e for e in collect_examples(ws) if not (e.snippet and e.snippet.test.get("skip"))]


def naive() -> tuple[float, dict[str, int], int]:
    """Every example in a fresh process, one after another, without isolation."""
    project, ws, examples = _examples()
    failed = 0
    with MockServer(
        project.specs_dir, settings=MockSettings(polls_per_phase=1, stream_interval=0.01)
    ) as mock:
        start = time.perf_counter()
        runner = Runner(ws, mock, node_modules=NODE_MODULES, warm=False, sandbox="off")
        try:
            for example in examples:
                failed += not runner.run(example).passed
        finally:
            runner.close()
        total = time.perf_counter() - start
    counts: dict[str, int] = defaultdict(int)
    for example in examples:
        counts[example.lang] += 1
    return total, dict(counts), failed


def paired(rounds: int) -> tuple[dict[str, dict[str, float]], dict[str, list[float]], int]:
    """Seconds per mode and language summed over every run, each runner's start, failures."""
    project, ws, examples = _examples()
    seconds: dict[str, dict[str, float]] = {mode: defaultdict(float) for mode in MODES}
    starts: dict[str, list[float]] = {mode: [] for mode in MODES}
    failed = 0
    with MockServer(
        project.specs_dir, settings=MockSettings(polls_per_phase=1, stream_interval=0.01)
    ) as mock:
        for _ in range(rounds):
            runners = {}
            for mode in MODES:
                t0 = time.perf_counter()
                runners[mode] = Runner(ws, mock, node_modules=NODE_MODULES, sandbox=mode)
                starts[mode].append(time.perf_counter() - t0)
            try:
                for index, example in enumerate(examples):
                    for mode in MODES if index % 2 == 0 else MODES[::-1]:
                        t0 = time.perf_counter()
                        outcome = runners[mode].run(example)
                        seconds[mode][example.lang] += time.perf_counter() - t0
                        failed += not outcome.passed
            finally:
                for runner in runners.values():
                    runner.close()
    return seconds, starts, failed


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each comparison (default 2)")
    args = parser.parse_args()
    found = support()
    if not found.available:
        sys.exit(f"kernel isolation is not available here, nothing to compare: {found.why}")

    naive_total, counts, naive_failed = naive()
    print(
        f"examples: {sum(counts.values())} ({', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))})"
        + (f", {naive_failed} failed in the naive run" if naive_failed else "")
    )
    print(f"naive (fresh process per example, serial, no isolation): {naive_total:7.2f} s")

    seconds, starts, failed = paired(args.rounds)
    runs = args.rounds * sum(counts.values())
    isolated, plain = (sum(seconds[mode].values()) for mode in MODES)
    print(f"\nwarm runners side by side, each example on both back to back, {args.rounds} rounds:")
    for mode, label in zip(
        MODES, ("kernel isolation (bubblewrap cell)", "in-process guards only"), strict=True
    ):
        per = ", ".join(
            f"{lang} {seconds[mode][lang] / (counts[lang] * args.rounds):.3f}" for lang in sorted(counts)
        )
        total = sum(seconds[mode].values())
        print(f"  {label:35} {total:7.2f} s for {runs} runs; mean s per example: {per}")
        print(
            f"  {'':35} runner start {statistics.median(starts[mode]):.2f} s (once per runner / pytest slot)"
        )
    if failed:
        print(f"  ({failed} runs failed)")
    print(
        f"  sandbox cost: {isolated / plain:.3f}x the examples' run time ({(isolated / plain - 1) * 100:+.1f}%)"
    )

    totals: dict[str, list[float]] = {mode: [] for mode in MODES}
    last: dict[str, str] = {}
    for round_ in range(args.rounds):
        for mode in MODES if round_ % 2 == 0 else MODES[::-1]:
            total, out = plugin("-n", "auto", "--snippetgen-sandbox", mode)
            totals[mode].append(total)
            last[mode] = out.strip().splitlines()[-1] if out.strip() else "(no pytest output)"
    on, off = (statistics.median(totals[mode]) for mode in MODES)
    print(
        f"\nplugin, pytest -n auto, median of {args.rounds} (with pytest start-up, collection, the mocks' start):"
    )
    print(f"  kernel isolation: {on:7.2f} s   ratio to naive {naive_total / on:.1f}x   ({last['required']})")
    print(f"  guards only:      {off:7.2f} s   ratio to naive {naive_total / off:.1f}x   ({last['off']})")
    print(f"  sandbox cost: {on / off:.3f}x ({(on / off - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
