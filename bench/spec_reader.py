"""What reading one OpenAPI document costs: ``spec.load_specs`` (validate off and on) and the mock's compile.

Each step runs in a fresh process (nothing cached, imports not counted) and prints its seconds and
the process's peak RSS. A second ``load_specs`` in the same process, from the parse cache, is timed
too. When the mock refuses the document, the time until the refusal and the refusal are printed.

    python bench/spec_reader.py ../shared/realworld/openai.yaml [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STEPS = {
    "load_specs(validate=False)": "from snippetgen.spec import load_specs as run\nargs = dict(validate=False)",
    "load_specs(validate=True)": "from snippetgen.spec import load_specs as run\nargs = dict(validate=True)",
    "mock compile_api": "from snippetgen.mock.compile import compile_api as run\nargs = {}",
}

CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
{step}
path = Path(sys.argv[1])
outcome = "ok"
began = time.perf_counter()
try:
    run(path, **args)
except Exception as exc:
    outcome = f"{{type(exc).__name__}}: {{str(exc).splitlines()[0][:160]}}"
seconds = time.perf_counter() - began
began = time.perf_counter()
if "load_specs" in {step!r}:
    run(path, **args)
again = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "again": again, "peak_mb": peak, "outcome": outcome}}))
"""


def measure(step: str, path: Path) -> dict:
    code = CHILD.format(root=str(ROOT), step=STEPS[step])
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for step in STEPS:
        runs = [measure(step, args.spec) for _ in range(args.repeat)]
        seconds = statistics.median(r["seconds"] for r in runs)
        again = statistics.median(r["again"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        cached = f", again in-process {again:.2f} s" if "load_specs" in step else ""
        print(f"{step:28} {seconds:6.2f} s (median of {args.repeat}){cached}, peak RSS {peak:.0f} MB")
        if runs[0]["outcome"] != "ok":
            print(f"{'':28} refused: {runs[0]['outcome']}")


if __name__ == "__main__":
    main()
