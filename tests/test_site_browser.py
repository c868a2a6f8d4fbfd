"""The built site in a real browser: linked tabs, the copy button and the docs link.

Drives Debian's ``/usr/bin/chromium`` through Playwright (no browser download); skipped when
that binary is absent.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest
from conftest import repo_mkdocs_yml

from snippetgen.loader import load_catalog
from snippetgen.render import render

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = Path("/tmp/snippetgen-site-browser.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="/usr/bin/chromium is not installed (apt-get install chromium)"
    ),
]

PAGE = """\
# Examples

Two snippets on one page; their tabs switch together.

<snippet data-name="images.generate" data-prompt="A lighthouse at dusk"></snippet>

Some text between them.

<snippet data-name="images.status"></snippet>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from snippetgen.integration.site_build import build

    root = tmp_path_factory.mktemp("browser-site")
    snippets = root / "shared" / "snippets"
    write(
        snippets / "images" / "generate" / "config.json",
        '{"title": "Generate an image", "description": "One call, one picture.", "docs": "guide/images.md",\n'
        ' "payload": {"prompt": "a cat", "size": "1024x1024"}}\n',
    )
    write(
        snippets / "images" / "generate" / "py.jinja",
        'import os\nimport requests\n\nresponse = requests.post(\n    "https://api.example.test/v1/images",\n'
        '    headers={"Authorization": f"Bearer {os.environ[\'DEMO_API_KEY\']}"},\n'
        '    json={"prompt": {{ prompt | lit }}, "size": {{ size | lit }}},\n)\nprint(response.json())\n',
    )
    write(
        snippets / "images" / "generate" / "js.jinja",
        'const response = await fetch("https://api.example.test/v1/images", {\n  method: "POST",\n'
        "  headers: {\n    Authorization: `Bearer ${process.env.DEMO_API_KEY}`,\n"
        '    "Content-Type": "application/json",\n  },\n'
        "  body: JSON.stringify({ prompt: {{ prompt | lit }}, size: {{ size | lit }} }),\n});\n"
        "console.log(await response.json());\n",
    )
    write(
        snippets / "images" / "generate" / "curl.jinja",
        'curl -sS https://api.example.test/v1/images \\\n  -H "Authorization: Bearer $DEMO_API_KEY" \\\n'
        "  -H 'Content-Type: application/json' \\\n"
        '  --data {{ {"prompt": prompt, "size": size} | json | sh }}\n',
    )
    write(
        snippets / "images" / "status" / "config.json",
        '{"title": "Check a job", "payload": {"job": "job-123"}}\n',
    )
    write(snippets / "images" / "status" / "py.jinja", 'print("status of", {{ job | lit }})\n')
    write(snippets / "images" / "status" / "js.jinja", 'console.log("status of", {{ job | lit }});\n')
    write(
        snippets / "images" / "status" / "curl.jinja", "curl -sS https://api.example.test/v1/jobs/{{ job }}\n"
    )
    write(root / "docs" / "index.md", PAGE)
    write(root / "docs" / "guide" / "images.md", "# Image guide\n\nHow images work.\n")
    write(
        root / "docs" / "stylesheets" / "snippetgen.css",
        (REPO / "docs" / "stylesheets" / "snippetgen.css").read_text(encoding="utf-8"),
    )
    write(
        root / "mkdocs.yml",
        repo_mkdocs_yml().replace("site_name: snippetgen", "site_name: Browser test"),
    )
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    problems = build(root)
    assert problems == [], "\n".join(p.format() for p in problems)
    catalog, _ = load_catalog(snippets, root)
    expected_js = render(catalog.get("images.generate"), "js", {"prompt": "A lighthouse at dusk"}).code
    return root / "site", expected_js


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def server(site):
    site_dir, _ = site

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site_dir))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_tabs_copy_and_docs_link_in_chromium(site, server):
    sync_api = pytest.importorskip("playwright.sync_api")
    _, expected_js = site
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
            page = context.new_page()
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/", wait_until="networkidle")

            sets = page.locator(".tabbed-set")
            assert sets.count() == 2
            for i in range(2):
                assert sets.nth(i).locator(".tabbed-labels > label").all_inner_texts() == [
                    "Python",
                    "JavaScript",
                    "cURL",
                ]
                assert _active_label(sets.nth(i)) == "Python"
            assert page.get_by_text("Generate an image", exact=True).is_visible()

            sets.nth(0).locator(".tabbed-labels > label", has_text="JavaScript").click()
            page.wait_for_function(
                "() => [...document.querySelectorAll('.tabbed-set')].every(s => "
                "s.querySelector('input:checked').id.endsWith('_2'))"
            )
            for i in range(2):
                assert _active_label(sets.nth(i)) == "JavaScript"
            visible = sets.nth(1).locator(".tabbed-block").nth(1)
            assert 'console.log("status of", "job-123");' in visible.inner_text()
            page.wait_for_timeout(400)  # let the label indicator finish its transition
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            block = sets.nth(0).locator(".tabbed-block").nth(1)
            block.hover()
            block.locator('button[data-md-type="copy"], button.md-clipboard').first.click()
            page.wait_for_timeout(200)
            copied = page.evaluate("() => navigator.clipboard.readText()")
            assert copied == expected_js.rstrip("\n")

            page.get_by_role("link", name="Docs").first.click()
            page.wait_for_load_state("networkidle")
            assert page.url == server + "/guide/images/"
            assert page.title().startswith("Image guide")
        finally:
            browser.close()
    assert errors == []


def _active_label(tab_set) -> str:
    return tab_set.evaluate(
        "s => s.querySelector(`label[for=\"${s.querySelector('input:checked').id}\"]`).innerText.trim()"
    )
