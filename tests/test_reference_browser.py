"""The operation reference in a real browser, at 1400 px and on a 390 px phone.

The repository's own site plus one page of a fixture spec whose facts are marked ``x-assumed``:
no field list or reference block is wider than its column, the two columns stand side by side on
a wide screen and one above the other on a phone, every operation shows its minimal request, and
an "Assumed" badge is visible with its reason on hover and on tap (focus).

Drives Debian's ``/usr/bin/chromium`` through Playwright (no browser download); skipped when that
binary is absent.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
REPO = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "reference_specs" / "jobs.yaml"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="/usr/bin/chromium is not installed (apt-get install chromium)"
    ),
]

JOBS_PAGE = """\
# Jobs

A full queue answers 429 <assumed data-ref="jobs:createVideo" data-pointer="/responses/429"></assumed>.

When many jobs run at once a new one waits, and how long is not said either, which is why the wait
is assumed as well <assumed data-ref="jobs:createVideo" data-pointer="/responses/429"></assumed>

<operation data-ref="jobs:createVideo"></operation>

<operation data-ref="jobs:getVideo"></operation>

<operation data-ref="jobs:streamIt"></operation>
"""

# Every reference block: its scrollWidth may not pass its clientWidth (code blocks scroll inside
# their own <code>, which is how every documentation site shows a long line).
OVERFLOW = """() => [...document.querySelectorAll('.sg-op, .sg-op-main, .sg-op-side, .sg-fields, .sg-field')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.id || e.className) + ' ' + e.scrollWidth + '>' + e.clientWidth)"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from snippetgen.integration.site_build import build

    root = tmp_path_factory.mktemp("reference-site")
    for name in ("docs", "shared"):
        shutil.copytree(REPO / name, root / name)
    for name in ("mkdocs.yml", "pyproject.toml"):
        shutil.copyfile(REPO / name, root / name)
    shutil.copyfile(FIXTURE, root / "shared" / "openapi" / "jobs.yaml")
    (root / "docs" / "jobs.md").write_text(JOBS_PAGE, encoding="utf-8")
    with open(root / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write("\n[tool.snippetgen.apis.jobs]\nvendor = true\n")  # a fixture, not a house spec
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        text.replace("  - Home: index.md\n", "  - Home: index.md\n  - Jobs: jobs.md\n")
    )
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    problems = build(root)
    assert problems == [], "\n".join(p.format() for p in problems)
    site_dir = root / "site"
    pages = sorted(
        str(p.parent.relative_to(site_dir))
        for p in site_dir.rglob("index.html")
        if 'class="sg-op"' in p.read_text(encoding="utf-8")
    )
    assert len(pages) >= 20 and "jobs" in pages
    return site_dir, pages


@pytest.fixture(scope="module")
def server(site):
    site_dir, _ = site

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site_dir))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("width", [1400, 390])
def test_no_reference_block_overflows_and_every_operation_has_its_minimal_request(
    site, server, browser, width
):
    _, pages = site
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    overflow: dict[str, list[str]] = {}
    counts = []
    try:
        for path in pages:
            page.goto(f"{server}/{path}/", wait_until="load")
            # open every fold (long enums, deep fields, error bodies): open, they must fit too
            page.evaluate("() => document.querySelectorAll('.sg-op details').forEach(d => d.open = true)")
            found = page.evaluate(OVERFLOW)
            if found:
                overflow[path] = found
            page_wide = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if page_wide > 0:
                overflow.setdefault(path, []).append(f"the page scrolls sideways by {page_wide}px")
            ops, minimal = page.evaluate(
                "() => [document.querySelectorAll('.sg-op').length, "
                "document.querySelectorAll('.sg-op .sg-minimal pre code').length]"
            )
            counts.append((path, ops, minimal))
    finally:
        context.close()
    assert overflow == {}
    assert all(ops == minimal and ops > 0 for _, ops, minimal in counts), counts
    assert errors == []


def test_two_columns_on_a_wide_screen_and_one_on_a_phone(server, browser):
    layout = {}
    for width in (1400, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{server}/aimlapi/text/chat/", wait_until="load")
        layout[width] = page.evaluate(
            """() => { const op = document.querySelector('.sg-op');
              const m = op.querySelector('.sg-op-main').getBoundingClientRect();
              const s = op.querySelector('.sg-op-side').getBoundingClientRect();
              return {mainRight: m.right, sideLeft: s.left, mainTop: m.top, sideTop: s.top,
                      mainBottom: m.bottom, sideWidth: s.width, mainWidth: m.width}; }"""
        )
        context.close()
    wide, phone = layout[1400], layout[390]
    assert (
        wide["sideLeft"] >= wide["mainRight"] and abs(wide["sideTop"] - wide["mainTop"]) < 2
    )  # side by side
    assert wide["sideWidth"] > 300 and wide["mainWidth"] > 300
    assert phone["sideTop"] >= phone["mainBottom"] - 1  # examples below the fields
    assert phone["mainWidth"] <= 390


@pytest.mark.parametrize("width", [1400, 390])
def test_an_assumed_fact_shows_its_badge_and_its_reason_on_hover_and_tap(server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=width < 600)
    page = context.new_page()
    try:
        page.goto(f"{server}/jobs/", wait_until="load")
        badge = page.locator(".sg-op .sg-endpoint .sg-assumed").first
        assert badge.is_visible()
        assert badge.inner_text().startswith("Assumed")
        why = badge.locator(".sg-assumed-why")
        assert why.bounding_box()["height"] <= 1  # folded away until asked for
        if width < 600:
            badge.tap()
        else:
            badge.hover()
        page.wait_for_timeout(100)
        box = why.bounding_box()
        assert box is not None and box["height"] > 10
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1  # the reason fits the screen
        assert "The source gives no host; this one is a placeholder." in why.inner_text()
        # the page's own citations render as the same badge, inside their sentences; every reason
        # opens whole on the screen, wherever its badge stands on the line
        cite = page.locator("p", has_text="A full queue answers 429").locator(".sg-assumed")
        assert cite.is_visible()
        badges = page.locator(".sg-assumed")
        for i in range(min(badges.count(), 8)):
            one = badges.nth(i)
            if not one.is_visible():
                continue  # inside a closed fold
            one.scroll_into_view_if_needed()
            one.tap() if width < 600 else one.hover()
            page.wait_for_timeout(50)
            box = one.locator(".sg-assumed-why").bounding_box()
            assert box is not None and box["height"] > 10, i
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (i, box)
            assert 0 <= box["y"] and box["y"] + box["height"] <= 900 + 1, (i, box)
            page.mouse.move(0, 0)
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
        # every marked fact is listed again under its operation
        listed = page.locator(".sg-assumed-list").first
        listed.locator("summary").click()
        assert "Retry-After is not in the source." in listed.inner_text()
    finally:
        context.close()


def test_the_minimal_request_copies_as_one_command(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    try:
        page.goto(f"{server}/jobs/", wait_until="load")
        block = page.locator("#createvideo .sg-minimal .highlight")
        block.hover()
        block.locator('button[data-md-type="copy"], button.md-clipboard').first.click()
        page.wait_for_timeout(200)
        copied = page.evaluate("() => navigator.clipboard.readText()")
    finally:
        context.close()
    assert copied == (
        "curl -X POST https://jobs.example.test/v1/videos \\\n"
        '  -H "Authorization: Bearer $JOBS_API_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        '  -d \'{"model": "m-1", "prompt": "A fox in the snow"}\''
    )
