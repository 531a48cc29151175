"""Passkeys in real Chromium with its virtual authenticator (CDP WebAuthn: CTAP2, a platform authenticator holding
discoverable credentials, user verification on): an Arabic agent adds a passkey on the profile, signs out, signs in
with the password and then the passkey ("Use a passkey"), signs out, and signs in with the passkey alone from the login
page. The site runs on http://localhost:<port> (an IP address is no relying party id) with KB_PASSKEY_ORIGINS naming
it. axe finds nothing serious on the profile's passkey list."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kb.settings import Settings
from tests.browser.test_agent_morning import PASSWORD
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401
from tests.conftest import database_url_for_tests
from webapp import create_app

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models."""
    shutil.copy2(CONTENT / "_business_hours.yml", content_dir)
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))


def test_an_arabic_agent_adds_a_passkey_and_signs_in_with_it_both_ways(
        clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    page = clean_page
    site = base_url.replace("127.0.0.1", "localhost")
    desk = app.extensions["desk"]
    # KB_PASSKEY_ORIGINS as the server's port is known only now: the setting, then the desk's passkeys made from it.
    desk.settings = replace(desk.settings, passkey_origins=(site,))
    desk.__dict__.pop("passkeys", None)
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]

    page.goto(f"{site}/agent/login")
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(re.compile(r"/agent/$"))
    page.goto(f"{site}/agent/profile")
    page.locator("#passkey-new-name").fill("حاسوب العمل")
    page.locator("#passkey-add button").click()
    expect(page.locator("#passkey-list .passkey-name")).to_have_text(["حاسوب العمل"])
    [held] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert held["isResidentCredential"] and held["rpId"] == "localhost"
    assert serious_violations(page) == []

    page.locator("form[action$='/agent/logout'] button").first.click()
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(re.compile(r"/agent/login/code$"))
    expect(page.locator("#code-form")).to_have_count(0)  # no authenticator app: the passkey is the second step
    page.locator("[data-passkey-sign-in]").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))

    page.locator("form[action$='/agent/logout'] button").first.click()
    expect(page).to_have_url(re.compile(r"/agent/login"))
    page.locator("[data-passkey-sign-in]").click()  # passwordless: the passkey names the agent
    expect(page).to_have_url(re.compile(r"/agent/$"))
    [used] = desk.passkeys.list(desk.accounts.find("agent@example.com").id)
    assert used.last_used_at is not None
