"""The company's brand in the agent workspace, in real Chromium: content/_theme.yml's colours (a violet here, not the
default green) colour the desk's links and buttons as they colour the help center's, in light and dark mode, and axe
finds nothing serious on the inbox and a ticket in either (the workspace's own accents stay readable on them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from copilot.engine import Engine
from desk.tickets import NewTicket
from indexer.embedders import Embedder
from kb.settings import Settings
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401
from tests.conftest import database_url_for_tests
from webapp import create_app

PASSWORD = "a long enough password"
BRAND = {"light": "rgb(109, 40, 217)", "dark": "rgb(196, 181, 253)"}  # #6d28d9 (7.1:1 on white), #c4b5fd
THEME = """name: {en: Acme Help, ar: مساعدة أكمي}
colors:
  accent: "#6d28d9"
  accent_dark: "#c4b5fd"
  hero: "#6d28d9"
"""


@pytest.fixture
def app(content_dir: Path, tmp_path: Path, embedders: list[Embedder]) -> Flask:
    (content_dir / "_theme.yml").write_text(THEME, encoding="utf-8")
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests())
    app = create_app(settings, engine=Engine(settings, embedders))
    desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    desk.tickets.create(NewTicket(email="layla@example.com", name="ليلى", subject="وين طلبي؟", body="طلبت كنبة",
                                  lang="ar", channel="web"))
    return app


def style(page: Page, selector: str, what: str) -> str:
    return str(page.locator(selector).first.evaluate(f"e => getComputedStyle(e).{what}"))


def test_the_brand_colours_the_workspace_in_light_and_dark_and_axe_finds_nothing_serious(
        clean_page: Page, base_url: str) -> None:  # noqa: F811
    page = clean_page
    page.goto(f"{base_url}/agent/")
    expect(page).to_have_url(re.compile(r"/agent/login"))
    page.locator("#email").fill("admin@example.com")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Log in|تسجيل الدخول)$")).click()
    expect(page.locator("#customers-link")).to_be_visible()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for path in ("/agent/", "/agent/tickets/1"):
            page.goto(f"{base_url}{path}")
            assert style(page, "#customers-link", "color") == BRAND[scheme], (scheme, path)
            if path == "/agent/":  # the inbox's filter button: a primary one
                assert style(page, "#main button[type=submit]", "backgroundColor") == BRAND[scheme], scheme
            assert serious_violations(page) == [], (scheme, path)
