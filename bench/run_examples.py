"""Run every example of this repository several ways in one run and compare (issue 16's targets).

1. naive: one fresh `python` / `node` / `bash` process per example, one after another, no isolation
   (no pytest), as a person would run them by hand: the baseline of every ratio;
2. where the time goes, per language, on one warm isolated runner (a bubblewrap cell with its warm
   Python and warm node), example after example: the example's own run (its code, its requests,
   its waits: the time the cell measures from start to end) and the runner's own overhead around
   it (rendering, folder and fixtures, the cell's plumbing: job, kill sweep, output, /tmp; the
   verification of requests and files): target under 10 ms per example;
3. the cold full run with kernel isolation on (`sandbox = "required"`): in process (a pool of
   runners, no pytest: the engine alone) and through pytest in each mode: the plugin's own pool
   in one process (`-n 0`, several pool sizes) and pytest-xdist (`-n 2`, `-n auto`): the fastest for
   the examples alone (the README's example-only commands use it). The README's test command runs
   the unit tests too, which only xdist spreads over the CPUs: it uses `-n auto` (6.0 min against
   about 14 min with `-n 0`, measured by hand on the whole suite). Target: at least 10x the naive run.

    python bench/run_examples.py [--rounds 1] [--skip-modes]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import SimpleQueue
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snippetgen.mock import MockServer, MockSettings  # noqa: E402
from snippetgen.project import Project  # noqa: E402
from snippetgen.runner import Runner, collect_examples, isolation  # noqa: E402
from snippetgen.runner.isolation import support  # noqa: E402
from snippetgen.workspace import load_workspace  # noqa: E402

NODE_MODULES = ROOT / "tests" / "node" / "node_modules"
SETTINGS = {"polls_per_phase": 1, "stream_interval": 0.01}
"""The mock settings of the pytest plugin (each job phase answered once)."""


def _examples() -> tuple[Project, Any, list[Any]]:
    project = Project.load(ROOT)
    ws, _ = load_workspace(project)
    return project, ws, [e for e in collect_examples(ws) if not (e.snippet and e.snippet.test.get("skip"))]


def naive() -> tuple[float, dict[str, float], dict[str, int], int]:
    """Every example in a fresh process, one after another, without isolation."""
    project, ws, examples = _examples()
    failed = 0
    per: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    with MockServer(project.specs_dir, settings=MockSettings(**SETTINGS)) as mock:
        start = time.perf_counter()
        runner = Runner(ws, mock, node_modules=NODE_MODULES, warm=False, sandbox="off")
        try:
            for example in examples:
                t0 = time.perf_counter()
                failed += not runner.run(example).passed
                per[example.lang] += time.perf_counter() - t0
                counts[example.lang] += 1
        finally:
            runner.close()
        total = time.perf_counter() - start
    return total, dict(per), dict(counts), failed


class _Timed:
    """Wraps the cell's run and the runner's rendering to split an example's time."""

    def __init__(self) -> None:
        self.cell = 0.0
        self.render = 0.0
        self._cell_run = isolation.Cell.run
        self._source = Runner.source

    def __enter__(self) -> _Timed:
        timed = self

        def cell_run(cell: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return timed._cell_run(cell, *args, **kwargs)
            finally:
                timed.cell += time.perf_counter() - t0

        def source(runner: Any, example: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return timed._source(runner, example)
            finally:
                timed.render += time.perf_counter() - t0

        isolation.Cell.run = cell_run  # type: ignore[method-assign]
        Runner.source = source  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        isolation.Cell.run = self._cell_run  # type: ignore[method-assign]
        Runner.source = self._source  # type: ignore[method-assign]


TICK = os.sysconf("SC_CLK_TCK")


def _cpu(runner: Runner) -> dict[str, float]:
    """CPU seconds so far: this process (the runner, its mock and relays) and the cell's processes by
    name (the supervisor with the examples it forked and waited for: "python"; the warm "node")."""
    usage = {"runner and mock": time.process_time()}
    cell = runner.cell
    pids = [cell.proc.pid] if cell is not None else []
    while pids:
        pid = pids.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            for task in os.listdir(f"/proc/{pid}/task"):
                pids += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            continue
        key = "cell " + ("(supervisor and examples)" if name == "python" else name)
        usage[key] = usage.get(key, 0.0) + sum(int(f) for f in fields[11:15]) / TICK
    return usage


def _cpu_close(cpu: dict[str, dict[str, float]], before: dict[str, dict[str, float]], runner: Runner) -> None:
    """The CPU the last language of ``before`` used (a warm node that ended takes its part along)."""
    lang = list(before)[-1]
    now = _cpu(runner)
    cpu[lang] = {k: max(0.0, v - before[lang].get(k, 0.0)) for k, v in now.items() if k != "cell bwrap"}


def overhead() -> tuple[dict[str, dict[str, float]], dict[str, float], float, int]:
    """Per language, mean ms per example: total, the example's run, and the runner's parts."""
    project, ws, examples = _examples()
    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    own: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, dict[str, float]] = {}
    cpu_before: dict[str, dict[str, float]] = {}
    failed = 0
    with MockServer(project.specs_dir, settings=MockSettings(**SETTINGS)) as mock:
        t0 = time.perf_counter()
        runner = Runner(ws, mock, node_modules=NODE_MODULES, sandbox="required")
        start = time.perf_counter() - t0
        try:
            for lang in sorted({e.lang for e in examples}):  # warm each runtime up once
                runner.run(next(e for e in examples if e.lang == lang))
            for example in sorted(examples, key=lambda e: e.lang):  # one language after another: CPU
                if example.lang not in cpu_before:
                    if cpu_before:
                        _cpu_close(cpu, cpu_before, runner)
                    cpu_before[example.lang] = _cpu(runner)
                with _Timed() as timed:
                    t0 = time.perf_counter()
                    outcome = runner.run(example)
                    total = time.perf_counter() - t0
                ran = outcome.process.seconds if outcome.process else 0.0
                own[example.lang].append(total - ran)
                row = rows[example.lang]
                row["n"] += 1
                row["total"] += total
                row["example"] += ran
                row["cell plumbing"] += timed.cell - ran
                row["render"] += timed.render
                row["runner (folder, fixtures, verify)"] += total - timed.cell - timed.render
                failed += not outcome.passed
            _cpu_close(cpu, cpu_before, runner)
        finally:
            runner.close()
    for lang, parts in cpu.items():
        for part in parts:
            rows[lang][f"cpu {part}"] = parts[part]  # seconds; ms per example below
    means = {lang: {k: v / row["n"] * 1000 for k, v in row.items() if k != "n"} for lang, row in rows.items()}
    medians = {lang: statistics.median(values) * 1000 for lang, values in own.items()}
    return means, medians, start, failed


def pool_run(jobs: int) -> tuple[float, int]:
    """The cold full run in this process: ``jobs`` runners (a mock and a cell each), isolated."""
    project, ws, examples = _examples()
    start = time.perf_counter()
    free: SimpleQueue[Runner] = SimpleQueue()
    made: list[tuple[Runner, MockServer]] = []

    def slot() -> Runner:
        mock = MockServer(project.specs_dir, settings=MockSettings(**SETTINGS)).start()
        runner = Runner(ws, mock, node_modules=NODE_MODULES, sandbox="required")
        made.append((runner, mock))
        return runner

    def run(example: Any) -> bool:
        runner = free.get() if not free.empty() else slot()
        try:
            return runner.run(example).passed
        finally:
            free.put(runner)

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            failed = sum(not passed for passed in pool.map(run, examples))
    finally:
        for runner, mock in made:
            runner.close()
            mock.stop()
    return time.perf_counter() - start, failed


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
            "-p",
            "no:randomly",
            "--snippetgen-sandbox",
            "required",
            "--snippetgen-no-cache",  # a cold run: the result cache is bench/cache_rerun.py's subject
            *args,
            "docs",
            "shared/snippets",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "(no pytest output)"
    return time.perf_counter() - start, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="runs of each pytest mode (median; default 1)")
    parser.add_argument("--skip-modes", action="store_true", help="only the naive run, overhead and pool")
    args = parser.parse_args()
    found = support()
    if not found.available:
        sys.exit(f"kernel isolation is not available here, nothing to compare: {found.why}")
    cpus = os.cpu_count() or 1

    naive_total, naive_per, counts, naive_failed = naive()
    total_examples = sum(counts.values())
    print(
        f"examples: {total_examples} ({', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))}); "
        f"{cpus} CPUs; load average {os.getloadavg()[0]:.1f}"
    )
    per = ", ".join(f"{lang} {naive_per[lang] / counts[lang] * 1000:.0f}" for lang in sorted(counts))
    print(f"naive (fresh process per example, serial, no isolation): {naive_total:7.2f} s  (mean ms: {per})")
    if naive_failed:
        print(f"  ({naive_failed} failed in the naive run)")

    rows, medians, start, failed = overhead()
    print(f"\nwhere the time goes: one warm isolated runner (started in {start:.2f} s), mean ms per example:")
    keys = ["total", "example", "render", "cell plumbing", "runner (folder, fixtures, verify)"]
    print(f"  {'':6}" + "".join(f"{k:>14}" if len(k) < 14 else f"  {k}" for k in keys) + "   runner overhead")
    for lang, row in sorted(rows.items()):
        mean = row["total"] - row["example"]
        cells = "".join(f"{row[k]:14.1f}" for k in keys[:4]) + f"  {row[keys[4]]:31.1f}"
        median = medians[lang]
        verdict = "ok" if median < 10 else "over the 10 ms target"
        print(f"  {lang:6}{cells}   median {median:5.1f} ms, mean {mean:5.1f} ms: {verdict}")
    print("  CPU ms per example (the examples' processes, the cell, the runner with its mock and relays):")
    for lang, row in sorted(rows.items()):
        parts = ", ".join(f"{k[4:]} {v:.1f}" for k, v in sorted(row.items()) if k.startswith("cpu "))
        print(f"  {lang:6}{parts}")
    print(
        "  (example: the cell's start-to-end of the example: its code, its requests, its poll waits;"
        " runner overhead: everything else;\n   a mean above the median is a one-time load, e.g. an SDK"
        " the cell imports for the first example that uses it)"
    )
    if failed:
        print(f"  ({failed} failed)")

    print("\ncold full run, kernel isolation on (a bubblewrap cell per slot):")
    best: tuple[float, str] | None = None
    for jobs in sorted({cpus, 2 * cpus, 3 * cpus, 4 * cpus}):
        took, failed = pool_run(jobs)
        print(
            f"  in process, pool of {jobs:2}: {took:7.2f} s   ratio to naive {naive_total / took:5.1f}x"
            + (f"   ({failed} failed)" if failed else "")
        )
    if args.skip_modes:
        return
    modes = [[f"-n0 --snippetgen-jobs {jobs}"] for jobs in sorted({2 * cpus, 3 * cpus, 4 * cpus})]
    modes += [["-n0"], ["-n2"], ["-nauto"]]
    for mode in modes:
        argv = mode[0].split()
        times = []
        last = ""
        for _ in range(args.rounds):
            took, last = plugin(*argv)
            times.append(took)
        took = statistics.median(times)
        label = f"pytest {mode[0]}" + (" (the plugin's default pool)" if mode[0] == "-n0" else "")
        print(f"  {label:45} {took:7.2f} s   ratio to naive {naive_total / took:5.1f}x   ({last})")
        if best is None or took < best[0]:
            best = (took, mode[0])
    if best is not None:
        print(
            f"  fastest pytest mode here: {best[1]} ({best[0]:.2f} s, {naive_total / best[0]:.1f}x the naive run)"
        )


if __name__ == "__main__":
    main()
