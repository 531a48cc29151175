"""The organizations' pages in Chromium (tests/browser/test_workspace_pages_browser.py's checks): the list with its
create form, an organization's page with its edit form, a customer profile with the organization choice and a member's
ticket page, as an admin and as a plain agent, in English and Arabic, on a desktop (1280 px) and a phone (375 px):
axe-core finds nothing serious or critical, no page scrolls sideways, no label is parted from its field, and the
Arabic pages are mirrored. Screenshots under test-artifacts/organizations-<role>-<lang>-<page>-<width>.png."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser

from desk.audit import CLI
from tests.browser.conftest import screenshot
from tests.browser.test_agent_morning import log_in
from tests.browser.test_site_pages_browser import WIDTHS
from tests.browser.test_workspace_pages_browser import app, check, workspace  # noqa: F401  (app: teams, customer fields)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_organization_pages_fit_a_phone_and_pass_axe(browser: Browser, base_url: str, app: Flask,  # noqa: F811
                                                         lang: str) -> None:
    desk = app.extensions["desk"]
    paths = workspace(desk)
    acme = desk.organizations.create("شركة أكمي للتجارة", ["acme.ae", "acme-trading.example"],
                                     "عقد دعم ذهبي؛ يدفعون سنويًا. Contact: procurement@acme.ae", ["vip", "enterprise"],
                                     by=CLI)
    pages = {"organizations": "/agent/organizations", "organization": f"/agent/organizations/{acme.id}",
             "customer": paths["customer"], "ticket": paths["ticket"]}
    problems: list[str] = []
    for role in ("admin", "agent"):
        context = browser.new_context(locale=lang, bypass_csp=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base_url, f"{role}@example.com")
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                problems += check(page, base_url + path, f"{role} {lang} {name} {width}px", lang, width)
                screenshot(page, f"organizations-{role}-{lang}-{name}-{width}")
        page.goto(base_url + pages["ticket"])
        if page.locator("#organization-link").inner_text() != "شركة أكمي للتجارة":
            problems.append(f"{role} {lang}: the ticket page does not name the organization")
        context.close()
    assert not problems, "\n".join(problems)
