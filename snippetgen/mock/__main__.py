"""``python -m snippetgen.mock SPEC_DIR [--port N] [--key K]...``: the mock without the full CLI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SnippetgenError
from . import MockSettings, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snippetgen.mock", description=__doc__)
    parser.add_argument("spec_dir", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="first port; the APIs in name order get N, N+1, ... (0: ephemeral)",
    )
    parser.add_argument("--key", action="append", dest="keys", help="accepted API key (repeatable)")
    parser.add_argument("--log", type=Path, help="append the request log to this file (JSON lines)")
    parser.add_argument("--stream-interval", type=float, default=0.05)
    parser.add_argument("--polls-per-phase", type=int, default=1)
    parser.add_argument("--rate-limit", type=int)
    args = parser.parse_args(argv)
    settings = MockSettings(
        stream_interval=args.stream_interval, polls_per_phase=args.polls_per_phase, rate_limit=args.rate_limit
    )
    try:
        serve(
            args.spec_dir,
            args.host,
            args.port,
            args.keys,
            settings,
            args.log,
            echo=lambda s: print(s, flush=True),
        )
    except SnippetgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
