"""An Arabic agent turns on two-factor sign-in in Chromium: the profile's QR code and key, a wrong code refused on
its field, the right one (typed in Arabic-Indic digits) showing the recovery codes; signs out; signs in again with
the password and then a code from the app. axe finds nothing serious on the profile, the enrolment or the code
step."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kb.settings import Settings
from tests.browser.conftest import screenshot
from tests.browser.test_agent_morning import PASSWORD, keys_ready
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401
from tests.conftest import database_url_for_tests
from webapp import create_app

CONTENT = Path(__file__).resolve().parents[2] / "content"
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models."""
    shutil.copy2(CONTENT / "_business_hours.yml", content_dir)
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))


def test_an_arabic_agent_enrols_signs_out_and_signs_in_with_a_code(
        clean_page: Page, base_url: str, app: Flask) -> None:  # noqa: F811
    page = clean_page
    desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    page.goto(f"{base_url}/agent/")
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(re.compile(r"/agent/$"))
    page.goto(f"{base_url}/agent/profile")
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.locator("#two-factor-title")).to_have_text("تسجيل الدخول بخطوتين: غير مفعّل")
    assert serious_violations(page) == []

    page.locator("#two-factor-start button").click()
    expect(page.locator("#two-factor-qr svg")).to_be_visible()
    secret = (page.locator("#two-factor-secret").text_content() or "").replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert serious_violations(page) == []
    screenshot(page, "two-factor-enrol-ar")

    code = page.locator("#two-factor-code")
    assert code.get_attribute("inputmode") == "numeric" and code.get_attribute("autocomplete") == "one-time-code"
    right = pyotp.TOTP(secret).now()
    code.fill(f"{(int(right) + 500_000) % 1_000_000:06d}")
    page.locator("#two-factor-confirm button").click()
    expect(page.locator("#two-factor-code-error")).to_contain_text("الرمز:")
    expect(page.locator("#two-factor-code")).to_have_attribute("aria-invalid", "true")
    page.locator("#two-factor-code").fill(pyotp.TOTP(secret).now().translate(ARABIC_DIGITS))
    page.locator("#two-factor-confirm button").click()
    expect(page.locator("#two-factor-title")).to_have_text("تسجيل الدخول بخطوتين: مفعّل")
    codes = re.findall(r"[a-z2-9]{5}-[a-z2-9]{5}", page.locator("#recovery-codes pre").text_content() or "")
    assert len(set(codes)) == 10
    assert serious_violations(page) == []

    page.locator("form[action$='/agent/logout'] button").first.click()
    expect(page).to_have_url(re.compile(r"/agent/login"))
    page.locator("#email").fill("agent@example.com")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(re.compile(r"/agent/login/code$"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.locator("h1")).to_have_text("تسجيل الدخول بخطوتين")
    assert serious_violations(page) == []
    screenshot(page, "two-factor-code-ar")
    page.locator("#code").fill(pyotp.TOTP(secret).at(time.time() + 30))  # the next step's: the enrolment used this one
    page.locator("#code").press("Enter")
    expect(page).to_have_url(re.compile(r"/agent/$"))
    keys_ready(page)
