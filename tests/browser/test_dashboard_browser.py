"""A lead in real Chromium: the dashboard in English and Arabic over the hand-computed desk of
tests/desk/test_metrics.py; the filters change the figures and the CSV downloads arrive. The reports page over the
same desk: one report at a time, picked from its list."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from copilot.engine import Engine
from indexer.embedders import Embedder
from kb.settings import Settings
from tests.browser.conftest import screenshot
from tests.browser.test_site_pages_browser import clean_page, serious_violations  # noqa: F401
from tests.conftest import CONTENT, database_url_for_tests
from tests.desk.test_metrics import build_world
from webapp import create_app

PASSWORD = "a long enough password"


@pytest.fixture
def app(content_dir: Path, tmp_path: Path, embedders: list[Embedder]) -> Flask:
    """The dashboard needs the desk and the embedders (to group gaps), not a search index."""
    shutil.copy2(CONTENT / "_business_hours.yml", content_dir)
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests())
    app = create_app(settings, engine=Engine(settings, embedders))
    app.extensions["desk"].accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    build_world(app.extensions["desk"])
    return app


def log_in(page: Page, base_url: str, target: str) -> None:
    page.goto(f"{base_url}{target}")
    expect(page).to_have_url(re.compile(r"/agent/login"))
    page.locator("#email").fill("lead@example.com")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Log in|تسجيل الدخول)$")).click()  # the browser is Arabic


def test_dashboard_in_both_languages_with_filters_and_csv(page: Page, base_url: str) -> None:
    log_in(page, base_url, "/agent/dashboard/?from=2026-11-29&to=2026-12-05&hl=en")
    expect(page.locator("h1")).to_have_text("Support dashboard")
    expect(page.locator("#fig-created .now")).to_have_text("6")
    expect(page.locator("#fig-created .before")).to_have_text("previous: 1")
    assert page.locator("svg.chart").count() >= 4

    page.locator("select[name=lang]").select_option("ar")
    page.locator("#main").get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"lang=ar"))
    expect(page.locator("#fig-created .now")).to_have_text("2")
    page.locator("select[name=channel]").select_option("chat")
    page.locator("#main").get_by_role("button", name="Apply").click()
    expect(page.locator("#fig-created .now")).to_have_text("1")
    expect(page.locator("#fig-full_resolution_business .now")).to_have_text("14.0")

    with page.expect_download() as download:
        page.locator("#table-durations a.csv").click()
    assert download.value.suggested_filename == "dashboard-durations-2026-11-29_2026-12-05.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert rows[0][0] == "Measure" and rows[3][:2] == ["Full resolution", "1"] and rows[3][5] == "14.0"

    page.get_by_role("link", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text("لوحة الدعم")
    expect(page.locator("#fig-created .label")).to_have_text("التذاكر المنشأة")
    expect(page.locator("#fig-created .now")).to_have_text("1")  # the filters survive the switch
    page.locator("select[name=lang]").select_option("")
    page.locator("select[name=channel]").select_option("")
    page.locator("#main").get_by_role("button", name="تطبيق").click()
    expect(page.locator("#fig-created .now")).to_have_text("6")
    with page.expect_download() as download:
        page.locator("#table-agents a.csv").click()
    agents = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert agents[0][0] == "موظف" and agents[1][:3] == ["Amal", "2", "3"]
    page.set_viewport_size({"width": 800, "height": 1100})  # a tablet held upright
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    screenshot(page, "dashboard-ar-tablet")


def test_the_zone_picker_by_keyboard_in_arabic(clean_page: Page, base_url: str) -> None:  # noqa: F811
    """The lead tabs to the zone picker, picks UAE support's zone with the arrow keys and applies with Enter: the
    URL takes ?tz=, the page says its days are Dubai's, the filters stay; axe finds nothing serious."""
    page = clean_page
    log_in(page, base_url, "/agent/dashboard/?from=2026-11-29&to=2026-12-05&lang=ar&hl=ar")
    picker = page.get_by_label("الأيام والأوقات بتوقيت")
    expect(picker).to_have_value("")  # the lead's own zone: none set, so the default team's (KSA, Riyadh)
    expect(page.locator("#days-zone")).to_contain_text("Asia/Riyadh")
    page.locator("select[name=agent]").focus()
    page.keyboard.press("Tab")
    expect(picker).to_be_focused()
    page.keyboard.press("ArrowDown")  # the first team: KSA support (Asia/Riyadh)
    page.keyboard.press("ArrowDown")  # the second: UAE support (Asia/Dubai)
    expect(picker).to_have_value("Asia/Dubai")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"tz=Asia%2FDubai"))
    expect(page.locator("#days-zone")).to_contain_text("Asia/Dubai")
    expect(page.get_by_label("الأيام والأوقات بتوقيت")).to_have_value("Asia/Dubai")
    expect(page.locator("select[name=lang]")).to_have_value("ar")
    assert serious_violations(page) == []


def test_the_reports_page_shows_the_report_picked_from_its_list(clean_page: Page, base_url: str) -> None:  # noqa: F811
    """An Arabic lead opens Reports: a list to pick from (right to left), then one report per page; the zone they
    apply stays on that report and goes with them, by the list, to the next one and its CSV; axe finds nothing
    serious on the list or a report, in Arabic or English, and a wide report scrolls in its own box on a tablet."""
    page = clean_page
    log_in(page, base_url, "/agent/reports/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text("تقارير المحتوى")
    expect(page.locator("#pick-report")).to_be_visible()
    expect(page.locator("section.report")).to_have_count(0)
    assert serious_violations(page) == []

    page.get_by_role("link", name="تذاكر رفض فيها الموظفون كل الاقتراحات").click()
    expect(page).to_have_url(re.compile(r"/agent/reports/rejected$"))
    expect(page.locator("#pick-rejected")).to_have_attribute("aria-current", "page")
    expect(page.locator("section.report")).to_have_count(1)
    expect(page.locator("#report-rejected")).to_contain_text("about cards")
    page.get_by_label("الأيام والأوقات بتوقيت").select_option("Asia/Dubai")
    page.locator("#main").get_by_role("button", name="تطبيق").click()
    expect(page).to_have_url(re.compile(r"/agent/reports/rejected\?days=&tz=Asia%2FDubai$"))  # the same report
    expect(page.locator("#report-rejected")).to_contain_text("2026-11-29 11:40:00+04:00")  # 07:40 UTC
    assert serious_violations(page) == []
    screenshot(page, "reports-rejected-ar")

    page.get_by_role("link", name="فجوات المحتوى: عمليات بحث وتذاكر لم تجد إجابة").click()
    expect(page).to_have_url(re.compile(r"/agent/reports/gaps\?tz=Asia/Dubai$"))
    expect(page.get_by_label("الأيام والأوقات بتوقيت")).to_have_value("Asia/Dubai")
    expect(page.locator("section.report")).to_have_count(1)
    with page.expect_download() as download:
        page.locator("#report-gaps").get_by_role("link", name="تنزيل CSV").click()
    assert download.value.url.endswith("/agent/reports/gaps.csv?tz=Asia/Dubai")
    gaps = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert gaps[0] == ["query", "searches", "tickets", "languages", "last_seen"] and len(gaps) > 1
    assert all(row[4].endswith("+04:00") for row in gaps[1:] if row[4])

    page.locator("#interface-locale").select_option("en")  # the header's language picker, back to this page
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page).to_have_url(re.compile(r"/agent/reports/gaps\?tz=Asia/Dubai$"))
    page.get_by_role("link", name=re.compile("^Abstention floors learnt from the search log")).click()
    expect(page).to_have_url(re.compile(r"/agent/reports/floors\?tz=Asia/Dubai$"))
    expect(page.locator("#report-title")).to_contain_text("Abstention floors learnt from the search log")
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 800, "height": 1100})  # a tablet held upright: the list above the report
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    screenshot(page, "reports-floors-en-tablet")
