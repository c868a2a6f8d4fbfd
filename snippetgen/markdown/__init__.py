"""Markdown output: snippet tabs, operation references, and whole pages with their tags expanded."""
