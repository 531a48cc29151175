"""An Arabic agent signs in with the login page's single sign-on button in Chromium, under the site's own CSP: the
redirect dance to a real OpenID provider on loopback (tests/webapp/oidc_provider.py) and back, then the workspace,
and the profile saying how they sign in. The app without the models, under waitress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.webapp.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from webapp import create_app


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def app(tmp_path: Path, content_dir: Path, provider: Provider) -> Flask:
    app = create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                              database_url=database_url_for_tests(), oidc_issuer=provider.issuer,
                              oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET, oidc_name="Okta",
                              password_sign_in=False))
    app.extensions["desk"].accounts.create_agent("sara@example.com", "a long enough password", name="سارة")
    return app


def test_an_agent_signs_in_with_the_button(page: Page, base_url: str, app: Flask, provider: Provider) -> None:
    provider.sign_in_as("sara@example.com", name="سارة")
    page.goto(f"{base_url}/agent/login?next=/agent/profile")
    button = page.locator("#sso-button")
    expect(button).to_have_text("تسجيل الدخول عبر Okta")
    button.click()
    page.wait_for_url(f"{base_url}/agent/profile")
    expect(page.locator("#sign-in-ways li")).to_have_count(1)  # password sign-in is off for agents
    expect(page.locator("#sign-in-ways li[data-way=oidc]")).to_have_text("عبر Okta (تسجيل الدخول الموحّد)")
    assert provider.requests[-1]["redirect_uri"] == f"{base_url}/agent/login/sso/callback"
