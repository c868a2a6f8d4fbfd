"""pytest plugin (entry point ``pytest11``): inert unless ``--snippetgen`` or ``snippetgen = true`` in the ini."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("snippetgen", "run documentation examples against the mock")
    group.addoption("--snippetgen", action="store_true", default=None,
                    help="collect and run every rendered example of this project")
    parser.addini("snippetgen", type="bool", default=False, help="enable the snippetgen example runner")
