"""Executing rendered examples against the mock: collect, sandbox, run, verify."""

from .collect import SKIP_MARKER, Example, collect_examples, usage_groups
from .run import Outcome, Runner, report, write_record

__all__ = [
    "SKIP_MARKER",
    "Example",
    "Outcome",
    "Runner",
    "collect_examples",
    "report",
    "usage_groups",
    "write_record",
]
