"""Real headless Chromium (Debian's `chromium`, driven by Playwright; never a browser download)
against the real app served by waitress on a free port."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from copilot.engine import Engine
from webapp import create_app
from webapp.background import serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


def chromium_path() -> str:
    """Debian installs a wrapper script at /usr/bin/chromium; Playwright needs the binary itself."""
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("Debian chromium is not installed: run `make test` (it installs it) or apt-get install chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def app(indexed: Engine) -> Flask:
    return create_app(engine=indexed)


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="ar", viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class _AxeScript(BaseHTTPRequestHandler):
    """axe.min.js and nothing else, cacheable for an hour."""

    body = AXE.read_bytes()

    def do_GET(self) -> None:
        if self.path != "/axe.min.js":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("Cache-Control", "public, max-age=3600")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@functools.cache
def axe_url() -> str:
    """The vendored axe.min.js at a URL of its own (a server on a free port, for the session; a daemon thread). Added
    by URL, the script comes from the browser context's HTTP cache and V8 keeps its compiled code from the second page
    on: 40 ms a page instead of 140-160 ms for the 650 KB text `add_script_tag(path=...)` sends and compiles anew on
    each page (bench/RESULTS.md, session 39, axe39)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AxeScript)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/axe.min.js"


def add_axe(page: Page) -> None:
    """axe-core into the page (its context needs bypass_csp=True: the site's CSP refuses the script otherwise)."""
    page.add_script_tag(url=axe_url())


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the whole page (the context needs bypass_csp=True: the site's CSP
    refuses the added script otherwise), each as rule (impact): its first three nodes."""
    add_axe(page)
    result = page.evaluate("async () => { const r = await axe.run(document); return {passes: r.passes.length, "
                           "violations: r.violations.map(v => ({id: v.id, impact: v.impact, "
                           "nodes: v.nodes.map(n => n.target.join(' '))}))}; }")
    assert result["passes"] > 10, "axe did not run its rules"  # e.g. color-contrast, landmarks, labels
    violations = result["violations"]
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    return [f"{v['id']} ({v['impact']}): {v['nodes'][:3]}" for v in serious]
