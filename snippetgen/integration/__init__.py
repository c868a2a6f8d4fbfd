"""Adapters: the CLI, the MkDocs plugin, the Python-Markdown extension and the pytest plugin.

Each is a thin shim over the core with plain data in and out; they never import each other
(``cli`` reaches ``mkdocs.build`` only through its ``build``/``serve`` commands).
"""
