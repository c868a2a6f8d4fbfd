"""The tab set in a real browser: run instructions, a variant shown as a diff, linked tabs that
persist, and a proven "Response" block, at desktop and phone widths.

The response comes from a real run: the examples run against the real mock (sandboxed as the
plugin runs them), the execution record is written, then the site is built from it. Drives
Debian's ``/usr/bin/chromium`` through Playwright; skipped when that binary is absent.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from pathlib import Path

import pytest
from conftest import repo_mkdocs_yml

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
REPO = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="/usr/bin/chromium is not installed (apt-get install chromium)"
    ),
]

SPEC = """\
openapi: 3.1.0
info: {title: Demo, version: "1"}
servers: [{url: "https://api.example.test"}]
security: [{bearerAuth: []}]
paths:
  /v1/images:
    post:
      operationId: createImage
      summary: Make an image
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [prompt]
              properties:
                prompt: {type: string}
                model: {type: string, enum: [m-1, m-2]}
      responses:
        "200":
          description: The image.
          content:
            application/json:
              schema:
                type: object
                required: [id, url]
                properties: {id: {type: string}, url: {type: string}}
              example: {id: img_1, url: "https://api.example.test/files/img_1.png"}
        "401":
          description: Missing key.
          content:
            application/json:
              schema: {type: object, properties: {error: {type: string}}}
              example: {error: unauthorized}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
"""
PY = """\
import os
import sys

import requests

PROMPT = {{ prompt | lit }}
MODEL = {{ model | lit }}

key = os.environ.get({{ apiKeyEnv | lit }})
if not key:
    sys.exit("Set " + {{ apiKeyEnv | lit }} + " to your key.")
response = requests.post(
    {{ baseUrl | lit }} + "/v1/images",
    headers={"Authorization": f"Bearer {key}"},
    json={"prompt": PROMPT, "model": MODEL},
    timeout=30,
)
response.raise_for_status()
print(response.json()["url"])
"""
JS = """\
const prompt = {{ prompt | lit }};
const model = {{ model | lit }};

const key = process.env[{{ apiKeyEnv | lit }}];
if (!key) {
  console.error("Set " + {{ apiKeyEnv | lit }} + " to your key.");
  process.exit(1);
}
const response = await fetch({{ baseUrl | lit }} + "/v1/images", {
  method: "POST",
  headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
  body: JSON.stringify({ prompt, model }),
});
if (!response.ok) throw new Error(`HTTP ${response.status}`);
console.log((await response.json()).url);
"""
CURL = """\
set -euo pipefail
curl -sS --fail-with-body {{ (baseUrl ~ "/v1/images") | sh }} \\
  -H "Authorization: Bearer ${{ apiKeyEnv | env }}" \\
  -H 'Content-Type: application/json' \\
  --data {{ {"prompt": prompt, "model": model} | json | sh }}
"""
PAGE = """\
# Images

One request makes a picture:

<snippet data-name="demo.image"></snippet>

The same with the other model:

<snippet data-name="demo.image" data-model="m-2"></snippet>
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from snippetgen.integration.site_build import build
    from snippetgen.mock import MockServer
    from snippetgen.project import Project
    from snippetgen.runner import Runner, collect_examples, write_record
    from snippetgen.workspace import load_workspace

    root = tmp_path_factory.mktemp("tabs-site")
    config = {
        "title": "Make an image",
        "payload": {
            "baseUrl": "https://api.example.test",
            "apiKeyEnv": "DEMO_API_KEY",
            "prompt": "A lighthouse at dusk",
            "model": "m-1",
        },
        "operations": ["demo:createImage"],
    }
    folder = root / "shared" / "snippets" / "demo" / "image"
    write(folder / "config.json", json.dumps(config, indent=2) + "\n")
    write(folder / "py.jinja", PY)
    write(folder / "js.jinja", JS)
    write(folder / "curl.jinja", CURL)
    write(root / "shared" / "openapi" / "demo.yaml", SPEC)
    write(root / "docs" / "index.md", PAGE)
    write(
        root / "docs" / "stylesheets" / "snippetgen.css",
        (REPO / "docs/stylesheets/snippetgen.css").read_text(),
    )
    write(root / "mkdocs.yml", repo_mkdocs_yml().replace("site_name: snippetgen", "site_name: Tabs test"))

    project = Project.load(root)
    ws, problems = load_workspace(project)
    assert problems == [], "\n".join(p.format() for p in problems)
    mock = MockServer(project.specs_dir).start()
    node_modules = REPO / "tests" / "node" / "node_modules"
    runner = Runner(ws, mock, node_modules=node_modules)
    try:
        outcomes = [runner.run(example) for example in collect_examples(ws)]
    finally:
        runner.close()
        mock.stop()
    assert [o.failures for o in outcomes] == [[]] * 6
    write_record(project.record_path.parent / "runs" / "gw0.json", outcomes)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    problems = build(root)
    assert problems == [], "\n".join(p.format() for p in problems)
    return root / "site"


@pytest.fixture(scope="module")
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("width", [1400, 390])
def test_tab_set_in_chromium(server, width):
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/", wait_until="networkidle")
            sets = page.locator(".tabbed-set")
            assert sets.count() == 2

            # run instructions under the visible tab
            run = sets.nth(0).locator(".tabbed-block").nth(0).locator(".snippetgen-run")
            assert run.is_visible()
            assert "pip install requests" in run.inner_text()
            assert "DEMO_API_KEY" in run.inner_text()

            # the variant: a diff of the one changed line, not the whole program
            variant = sets.nth(1).locator(".tabbed-block").nth(0)
            assert variant.is_visible()
            assert variant.inner_text().strip().splitlines()[-2:] == ['-MODEL = "m-1"', '+MODEL = "m-2"']
            assert page.get_by_text("Changes from the program above").is_visible()

            # a response block per embed: closed, opens on a click and shows the JSON answer
            blocks = page.locator("details.snippetgen-proven")
            assert blocks.count() == 2
            body = blocks.nth(0).locator("pre")
            assert not body.is_visible()
            blocks.nth(0).locator("summary").click()
            assert body.is_visible()
            answer = json.loads(body.inner_text())
            assert answer == {"id": "img_1", "url": "https://api.example.test/files/img_1.png"}
            assert "POST /v1/images" in blocks.nth(0).inner_text()

            # linked tabs: JavaScript in one set switches both, and stays after a reload
            sets.nth(0).locator(".tabbed-labels > label", has_text="JavaScript").click()
            for i in range(2):
                assert _active_label(sets.nth(i)) == "JavaScript"
            assert "npm install" not in sets.nth(0).locator(".snippetgen-run").nth(1).inner_text()
            assert "node example.mjs" in sets.nth(0).locator(".snippetgen-run").nth(1).inner_text()
            assert '-const model = "m-1";' in sets.nth(1).locator(".tabbed-block").nth(1).inner_text()
            page.reload(wait_until="networkidle")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.tabbed-set')].every(s => "
                "s.querySelector('input:checked').id.endsWith('_2'))"
            )
            # nothing wider than the screen
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0
            page.screenshot(path=f"/tmp/snippetgen-tabs-{width}.png", full_page=True)
        finally:
            browser.close()
    assert errors == []


def _active_label(tab_set) -> str:
    return tab_set.evaluate(
        "s => s.querySelector(`label[for=\"${s.querySelector('input:checked').id}\"]`).innerText.trim()"
    )
