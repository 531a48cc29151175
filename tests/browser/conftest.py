"""Real headless Chromium (Debian's `chromium`, driven by Playwright; never a browser download)
against the real app served by waitress on a free port."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
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


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the whole page (the context needs bypass_csp=True: the site's CSP
    refuses the added script otherwise), each as rule (impact): its first three nodes."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => { const r = await axe.run(document); return {passes: r.passes.length, "
                           "violations: r.violations.map(v => ({id: v.id, impact: v.impact, "
                           "nodes: v.nodes.map(n => n.target.join(' '))}))}; }")
    assert result["passes"] > 10, "axe did not run its rules"  # e.g. color-contrast, landmarks, labels
    violations = result["violations"]
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    return [f"{v['id']} ({v['impact']}): {v['nodes'][:3]}" for v in serious]
