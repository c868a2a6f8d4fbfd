"""How snippetgen scales to vendor-size specs, against Prism 5 measured in the same run.

Two documents: a synthetic Stripe-size one (a deterministic generator below: OpenAPI 3.0, ~4 MB of
JSON, ~470 operations over ~1,000 component schemas shared through ``$ref``, with reference cycles the
way Stripe's expandable fields make them) and the real openai.yaml (3 MB of YAML, 288 operations).
For each, in fresh processes:

* ``snippetgen check`` on a project holding only that spec: seconds and peak RSS (targets for the
  Stripe-size spec: under 10 s and 1 GB);
* ``snippetgen mock``: seconds from start to the first 2xx of a GET (target: under 2 s), and the same
  for ``prism mock`` (``@stoplight/prism-cli@5`` from npm, installed as bench/mock_vs_prism.py does),
  whose wait is capped (``--prism-cap``, default 60 s) and then reported as "> cap";
* ``snippetgen new --all`` (scaffold every operation) when the command exists.

    python bench/specs_scale.py [--prism-dir DIR] [--prism-cap 60] [--realworld ../shared/realworld]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from mock_vs_prism import free_port, install_prism  # noqa: E402

KEY = "mock-test-key"


# --- the synthetic Stripe-size spec -------------------------------------------------------------

WORDS = (
    "the object represents a customer charge payment intent invoice subscription price product account "
    "balance transfer refund dispute event file session item line tax rate coupon discount quote source "
    "card bank method mandate review report plan usage record period schedule credit note payout"
).split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def stripe_like(resources: int = 118, seed: int = 7) -> dict:
    """A deterministic OpenAPI 3.0 document shaped like Stripe's: per resource an object schema with
    scalar fields, enums, nested sub-objects, ``anyOf`` expandable references to other resources (the
    reference cycles), a list wrapper, and four operations (list, create, retrieve, update) with
    form-encoded bodies; one shared error schema. ~470 operations, ~4 MB as JSON."""
    rng = random.Random(seed)
    names = [f"{WORDS[i % len(WORDS)]}_{i}" for i in range(resources)]
    schemas: dict[str, dict] = {
        "error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "type": {
                            "type": "string",
                            "enum": ["api_error", "card_error", "invalid_request_error"],
                        },
                        "message": {"type": "string", "maxLength": 5000},
                        "param": {"type": "string"},
                    },
                    "required": ["type"],
                }
            },
            "required": ["error"],
        },
        "metadata": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 500}},
        "address": {
            "type": "object",
            "properties": {
                k: {"type": "string", "nullable": True, "maxLength": 5000}
                for k in ("city", "country", "line1", "line2", "postal_code", "state")
            },
        },
    }
    paths: dict[str, dict] = {}
    for name in names:
        props: dict[str, dict] = {
            "id": {"type": "string", "description": _text(rng, 8), "maxLength": 5000},
            "object": {"type": "string", "enum": [name]},
            "created": {"type": "integer", "format": "unix-time"},
            "livemode": {"type": "boolean"},
            "metadata": {"$ref": "#/components/schemas/metadata"},
            "address": {"allOf": [{"$ref": "#/components/schemas/address"}], "nullable": True},
        }
        for f in range(14):
            kind = rng.choice(("string", "integer", "boolean", "enum", "object"))
            field = f"field_{f}"
            if kind == "enum":
                props[field] = {"type": "string", "enum": [rng.choice(WORDS) + str(i) for i in range(6)]}
            elif kind == "object":  # a component of its own, shared by other resources below
                schemas[f"{name}_{field}"] = {
                    "type": "object",
                    "title": f"{name}_{field}",
                    "description": _text(rng, 30),
                    "properties": {
                        f"sub_{s}": {"type": rng.choice(("string", "integer")), "description": _text(rng, 20)}
                        for s in range(8)
                    },
                }
                props[field] = {"$ref": f"#/components/schemas/{name}_{field}"}
            else:
                props[field] = {"type": kind, "description": _text(rng, 75)}
        shared = [k for k in schemas if k.count("_field_") == 1]
        for other_field in rng.sample(shared, min(3, len(shared))):  # sub-objects shared across resources
            props[f"shared_{other_field}"] = {"$ref": f"#/components/schemas/{other_field}"}
        for other in rng.sample(range(resources), 4):  # expandable fields: cycles among resources
            props[f"{names[other]}_ref"] = {
                "anyOf": [
                    {"maxLength": 5000, "type": "string"},
                    {"$ref": f"#/components/schemas/{names[other]}"},
                ],
                "nullable": True,
                "description": _text(rng, 25),
                "x-expansionResources": {"oneOf": [{"$ref": f"#/components/schemas/{names[other]}"}]},
            }
        schemas[name] = {
            "type": "object",
            "title": name,
            "description": _text(rng, 420),
            "properties": props,
            "required": ["id", "object", "created"],
            "x-resourceId": name,
        }
        schemas[f"{name}_list"] = {
            "type": "object",
            "properties": {
                "object": {"type": "string", "enum": ["list"]},
                "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
                "has_more": {"type": "boolean"},
                "url": {"type": "string", "maxLength": 5000},
            },
            "required": ["object", "data", "has_more", "url"],
        }

        def ok(schema: str) -> dict:
            return {
                "200": {
                    "description": "Successful response.",
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                },
                "default": {
                    "description": "Error response.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}},
                },
            }

        schemas[f"{name}_params"] = {
            "type": "object",
            "properties": {
                k: {"type": "string", "maxLength": 5000, "description": _text(rng, 15)}
                for k in list(props)[6:20]
            },
            "additionalProperties": False,
        }
        form = {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"$ref": f"#/components/schemas/{name}_params"}
                }
            },
            "required": False,
        }
        base = f"/v1/{name}s"
        paths[base] = {
            "get": {
                "operationId": f"Get{name.title().replace('_', '')}s",
                "description": _text(rng, 160),
                "parameters": [
                    {"in": "query", "name": "limit", "required": False, "schema": {"type": "integer"}},
                    {
                        "in": "query",
                        "name": "starting_after",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": ok(f"{name}_list"),
            },
            "post": {
                "operationId": f"Post{name.title().replace('_', '')}s",
                "description": _text(rng, 160),
                "requestBody": form,
                "responses": ok(name),
            },
        }
        item = {"in": "path", "name": "id", "required": True, "schema": {"type": "string", "maxLength": 5000}}
        paths[f"{base}/{{id}}"] = {
            "get": {
                "operationId": f"Get{name.title().replace('_', '')}sId",
                "description": _text(rng, 160),
                "parameters": [item],
                "responses": ok(name),
            },
            "post": {
                "operationId": f"Post{name.title().replace('_', '')}sId",
                "description": _text(rng, 160),
                "parameters": [item],
                "requestBody": form,
                "responses": ok(name),
            },
        }
    paths["/v1/balance"] = {
        "get": {
            "operationId": "GetBalance",
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{names[0]}"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Stripe-size synthetic API", "version": "2024-01-01"},
        "servers": [{"url": "https://api.stripe-size.example.com/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    }


# --- measuring ----------------------------------------------------------------------------------


WRAPPER = """
import json, resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    status = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
print(json.dumps([status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))
"""


def measured(command: list[str], cwd: Path, log: Path) -> tuple[float, float, int, str]:
    """(seconds, peak RSS in MB, exit status, last line of output) of one run in a fresh process (a
    wrapper whose only child it is, so the peak is that command's)."""
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(log), *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - began
    status, peak = json.loads(out.stdout)
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return seconds, peak, status, (lines[-1] if lines else "")[:160]


def first_2xx(command: list[str], port: int, path: str, cwd: Path, cap: float) -> float | None:
    """Seconds from start to the first 2xx of ``GET path``; None past ``cap``, -1 when it exited."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while time.perf_counter() - began < cap:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", path, headers={"Authorization": f"Bearer {KEY}"})
                if 200 <= conn.getresponse().status < 300:
                    return time.perf_counter() - began
            except OSError:
                pass
            if proc.poll() is not None:
                return -1.0  # it exited: refused the spec
            time.sleep(0.01)
        return None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def project_with(folder: Path, spec: Path) -> Path:
    (folder / "shared" / "openapi").mkdir(parents=True)
    (folder / "shared" / "snippets").mkdir(parents=True)
    (folder / "docs").mkdir()
    (folder / "shared" / "openapi" / spec.name).write_bytes(spec.read_bytes())
    name = spec.stem
    (folder / "pyproject.toml").write_text(
        f'[tool.snippetgen.apis.{name}]\nvendor = true\nlint = {{ spec-invalid = "warning" }}\n',
        encoding="utf-8",
    )
    return folder


def has_new_all() -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "snippetgen", "new", "--help"], capture_output=True, text=True
    )
    return "--all" in out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prism-dir", type=Path, help="reuse (or install into) this folder")
    parser.add_argument("--prism-cap", type=float, default=60.0, help="seconds to wait for Prism's first 2xx")
    parser.add_argument("--realworld", type=Path, default=ROOT.parent / "shared" / "realworld")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prism = install_prism(args.prism_dir or folder / "prism")
        synthetic = folder / "stripe_size.json"
        synthetic.write_text(json.dumps(stripe_like(), indent=2), encoding="utf-8")
        doc = json.loads(synthetic.read_text())
        ops = sum(1 for item in doc["paths"].values() for m in item if m in ("get", "post"))
        print(
            f"synthetic Stripe-size spec: {synthetic.stat().st_size / 1e6:.1f} MB, {ops} operations, "
            f"{len(doc['components']['schemas'])} component schemas"
        )
        cases = [("stripe-size", synthetic, "/v1/balance")]
        openai = args.realworld / "openai.yaml"
        if openai.is_file():
            cases.append(("openai", openai, "/models"))
        else:
            print(f"skipping openai.yaml: {openai} is absent")
        snippetgen = [sys.executable, "-m", "snippetgen"]
        rows = []
        for label, spec, path in cases:
            root = project_with(folder / label, spec)
            seconds, peak, status, last = measured(
                [*snippetgen, "check", "--root", str(root)], ROOT, folder / f"{label}-check.log"
            )
            print(f"{label}: check {seconds:.1f} s, peak {peak:.0f} MB, exit {status}: {last}", flush=True)
            port = free_port()
            ours = first_2xx(
                [*snippetgen, "mock", "--root", str(root), "--port", str(port)], port, path, ROOT, 60
            )
            port = free_port()
            theirs = first_2xx(
                [
                    str(prism),
                    "mock",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    str(root / "shared" / "openapi" / spec.name),
                ],
                port,
                path,
                folder,
                args.prism_cap,
            )
            show = lambda s, cap: (  # noqa: E731
                "exited (refused the spec)"
                if s == -1.0
                else f"{s:.2f} s"
                if s is not None
                else f"> {cap:g} s"
            )
            ok = (ours or -1.0) > 0, (theirs or -1.0) > 0
            ratio = (
                f"{theirs / ours:.1f}x faster"
                if all(ok)
                else f"> {args.prism_cap / ours:.1f}x faster"
                if ok[0] and theirs is None
                else "n/a"
            )
            print(
                f"{label}: mock first 2xx: snippetgen {show(ours, 60)}, prism 5 {show(theirs, args.prism_cap)} "
                f"({ratio})",
                flush=True,
            )
            rows.append((label, seconds, peak, ours, theirs))
            if has_new_all():
                seconds, peak, status, last = measured(
                    [*snippetgen, "new", "--all", "--root", str(root)], ROOT, folder / f"{label}-new.log"
                )
                print(f"{label}: new --all {seconds:.1f} s, peak {peak:.0f} MB, exit {status}: {last}")
            else:
                print(f"{label}: new --all not measured (the command does not exist in this build)")
        label, seconds, peak, ours, _ = rows[0]
        print(
            f"\ntargets on the Stripe-size spec: check {seconds:.1f} s of 10 s "
            f"({'met' if seconds < 10 else 'MISSED'}), peak {peak:.0f} MB of 1024 "
            f"({'met' if peak < 1024 else 'MISSED'}), mock "
            + (
                f"{ours:.2f} s of 2 s ({'met' if ours < 2 else 'MISSED'})"
                if ours and ours > 0
                else "did not answer"
            )
        )


if __name__ == "__main__":
    main()
