"""snippetgen's mock vs Prism 5 on the same one-POST spec (aiart's generate operation).

    python bench/mock_vs_prism.py [--duration 10] [--starts 5] [--prism-dir DIR]

Installs @stoplight/prism-cli@5 from npm into a temporary folder (or reuses --prism-dir), then
measures for both servers:
  - start: time from process start to the first 2xx answer to a valid POST (median of --starts runs);
  - throughput: requests/s of that valid POST with request validation on, 8 connections
    (wrk -t1 -c8 when installed, else a Python loop of 8 threads with keep-alive connections).
Prints both figures and the ratios (targets: start >= 3x faster, throughput >= 2x).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BODY = {
    "video_description": "A lighthouse on a cliff at dawn",
    "style_preset": "cinematic",
    "aspect_ratio": "16:9",
    "output_format": "png",
    "seed": 0,
}
PATH = "/api/generate"


def one_post_spec(folder: Path) -> Path:
    """aiart.yaml reduced to POST /api/generate (components kept for its $refs)."""
    doc = yaml.safe_load((ROOT / "shared" / "openapi" / "aiart.yaml").read_text())
    doc["paths"] = {PATH: {"post": doc["paths"][PATH]["post"]}}
    doc["paths"][PATH]["post"].pop("x-mock", None)
    out = folder / "spec" / "aiart.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_once(port: int, timeout: float = 1.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", PATH, json.dumps(BODY), {"Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


def start_time(command: list[str], port: int, cwd: Path) -> tuple[float, subprocess.Popen]:
    began = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = began + 60
    while time.perf_counter() < deadline:
        try:
            if 200 <= post_once(port, 0.5) < 300:
                return time.perf_counter() - began, proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {' '.join(command)}")
        time.sleep(0.005)
    stop(proc)
    raise SystemExit(f"no 2xx within 60 s: {' '.join(command)}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def throughput(port: int, duration: float, folder: Path) -> tuple[float, str]:
    wrk = shutil.which("wrk")
    if wrk:
        script = folder / "post.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(json.dumps(BODY))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        out = subprocess.run(
            [wrk, "-t1", "-c8", f"-d{duration:g}s", "-s", str(script), f"http://127.0.0.1:{port}{PATH}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if "Non-2xx" in out:
            raise SystemExit(f"wrk saw non-2xx answers:\n{out}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "wrk -t1 -c8"
    counts = [0] * 8
    stop_at = time.perf_counter() + duration
    payload = json.dumps(BODY)

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while time.perf_counter() < stop_at:
            conn.request("POST", PATH, payload, {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if not 200 <= r.status < 300:
                raise SystemExit(f"non-2xx answer {r.status}")
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / duration, "python, 8 threads"


def install_prism(folder: Path) -> Path:
    prism = folder / "node_modules" / ".bin" / "prism"
    if not prism.exists():
        print(f"installing @stoplight/prism-cli@5 into {folder} ...", flush=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(folder),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "@stoplight/prism-cli@5",
            ],
            check=True,
        )
    return prism


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument(
        "--prism-dir", type=Path, help="reuse (or install into) this folder instead of a temp one"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mock-bench-") as tmp:
        folder = Path(tmp)
        spec = one_post_spec(folder)
        prism = install_prism(args.prism_dir or folder / "prism")
        results: dict[str, dict[str, float]] = {}
        servers = {
            "snippetgen mock": lambda port: [
                sys.executable,
                "-m",
                "snippetgen.mock",
                str(spec.parent),
                "--port",
                str(port),
            ],
            "prism 5": lambda port: [str(prism), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
        }
        for name, command in servers.items():
            starts = []
            for _ in range(args.starts):
                port = free_port()
                seconds, proc = start_time(command(port), port, ROOT)
                starts.append(seconds)
                stop(proc)
            port = free_port()
            _, proc = start_time(command(port), port, ROOT)
            try:
                for _ in range(200):  # warm up
                    post_once(port)
                rps, how = throughput(port, args.duration, folder)
            finally:
                stop(proc)
            results[name] = {"start": statistics.median(starts), "rps": rps}
            print(
                f"{name:16s} start to first 2xx {statistics.median(starts) * 1000:7.0f} ms (median of {args.starts}); "
                f"throughput {rps:8.0f} req/s ({how}, validation on)",
                flush=True,
            )
        ours, theirs = results["snippetgen mock"], results["prism 5"]
        print(
            f"ratios: start {theirs['start'] / ours['start']:.1f}x faster (target >= 3x); "
            f"throughput {ours['rps'] / theirs['rps']:.1f}x (target >= 2x)"
        )


if __name__ == "__main__":
    main()
