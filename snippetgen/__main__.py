"""``python -m snippetgen``: the same command as ``snippetgen``."""

from snippetgen.integration.cli import main

main()
