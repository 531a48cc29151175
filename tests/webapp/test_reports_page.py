"""The reports page for admins and `kb report`: same rows, page, CSV download and command line.

No models are needed (reports read the desk database and the content folder), so the app is
built from plain settings instead of the indexed engine.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from desk import reports
from desk.models import Agent, SuggestionEvent
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.webapp.conftest import PASSWORD, login
from webapp import create_app
from webapp.cli import main
from webapp.report_commands import REPORT_NAMES


@pytest.fixture
def settings(content_dir: Path, tmp_path: Path) -> Settings:
    return Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests())


@pytest.fixture
def app(settings: Settings) -> Flask:
    app = create_app(settings)
    desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    desk.events.search("  Cancel MEMBERSHIP", "en", 0, True)
    ticket = desk.tickets.create(NewTicket(email="sara@example.com", subject="Card declined", body="Why?", lang="en"))
    desk.events.suggestion(ticket.id, "rejected", reason="about refunds, not cards")
    desk.events.feedback("en/apple-pay", False, "=cmd|' /C calc'!A0", None)
    writer = desk.events.writer
    assert writer is None or writer.flush(30)  # searches and votes are written in the background
    return app


def test_admin_sees_every_report_and_downloads_csv(app: Flask) -> None:
    client = app.test_client()
    assert login(client, "admin@example.com").status_code == 302
    inbox = client.get("/agent/").get_data(as_text=True)
    assert 'href="/agent/reports/"' in inbox
    listed = client.get("/agent/reports/").get_data(as_text=True)  # the list to pick from, no report on it
    assert all(f'href="/agent/reports/{name}"' in listed for name in REPORT_NAMES) and 'id="report-' not in listed
    pages = {name: client.get(f"/agent/reports/{name}").get_data(as_text=True) for name in REPORT_NAMES}
    for name, html in pages.items():  # each report on its own page, marked in the list, with its CSV link
        assert f'id="report-{name}"' in html and f'href="/agent/reports/{name}.csv"' in html
        assert html.count('<section class="report"') == 1 and f'id="pick-{name}" aria-current="page"' in html
        assert all(f'href="/agent/reports/{other}"' in html for other in REPORT_NAMES)
    for html in (listed, *pages.values()):  # every aria-labelledby names an element of the page (the list's did not)
        ids = set(re.findall(r' id="([^"]+)"', html))
        assert all(set(ref.split()) <= ids for ref in re.findall(r'aria-labelledby="([^"]+)"', html))
    assert "cancel membership" in pages["gaps"] and "Card declined" not in pages["gaps"]
    assert "Card declined" in pages["rejected"] and "about refunds, not cards" in pages["rejected"]
    assert "Pay with Apple Pay" in pages["unhelpful"] or "apple-pay" in pages["unhelpful"]
    assert "gift-cards" in pages["translations"]  # no Arabic translation in the slice
    assert client.get("/agent/reports/nonsense").status_code == 404

    download = client.get("/agent/reports/unhelpful.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == 'attachment; filename="kb-report-unhelpful.csv"'
    table = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert table[0] == ["article_key", "title", "not_helpful", "votes", "share", "latest_comments",
                        "card_not_helpful", "reasons"]
    assert table[1][0] == "en/apple-pay" and table[1][5].startswith("'=")  # a formula stays text
    assert client.get("/agent/reports/nonsense.csv").status_code == 404


def test_a_report_page_builds_that_report_alone(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page built all ten reports on every load (the floors and abstention ones take seconds on a busy search
    log: bench/RESULTS.md): the list builds none, a report's page and its CSV only that report; the links between
    reports keep the window and zone."""
    built: list[str] = []
    for name, report in list(reports.REPORTS.items()):
        def counted(*args: Any, report: reports.Report = report) -> list[Any]:
            built.append(report.name)
            return report.build(*args)

        def paged(*args: Any, report: reports.Report = report) -> reports.ReportPage:  # the gaps' pages
            built.append(report.name)
            assert report.page is not None
            return report.page(*args)

        def streamed(*args: Any, report: reports.Report = report) -> Iterable[Any]:  # the gaps' CSV
            built.append(report.name)
            assert report.rows is not None
            return report.rows(*args)
        monkeypatch.setitem(reports.REPORTS, name, replace(report, build=counted,
                                                           page=paged if report.page is not None else None,
                                                           rows=streamed if report.rows is not None else None))
    client = app.test_client()
    login(client, "admin@example.com")
    assert client.get("/agent/reports/?days=7").status_code == 200 and built == []
    page = client.get("/agent/reports/rejected", query_string={"days": 7, "tz": "Asia/Riyadh"})
    assert page.status_code == 200 and built == ["rejected"]
    html = page.get_data(as_text=True)
    assert "Card declined" in html
    for name in REPORT_NAMES:
        assert f'href="/agent/reports/{name}?days=7&amp;tz=Asia/Riyadh"' in html
    assert 'href="/agent/reports/rejected.csv?days=7&amp;tz=Asia/Riyadh"' in html
    assert client.get("/agent/reports/gaps.csv").status_code == 200 and built == ["rejected", "gaps"]
    assert client.get("/agent/reports/nonsense").status_code == 404 and built == ["rejected", "gaps"]


def test_days_narrows_the_window(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin@example.com")
    stale = client.get("/agent/reports/stale.csv", query_string={"days": 100000}).get_data(as_text=True)
    assert stale.splitlines() == ["article_key,title,path,updated,age_days"]


def test_agents_are_refused_and_visitors_sent_to_login(app: Flask) -> None:
    client = app.test_client()
    assert "/agent/login" in client.get("/agent/reports/").headers["Location"]
    assert "/agent/login" in client.get("/agent/reports/gaps.csv").headers["Location"]
    login(client, "agent@example.com")
    assert client.get("/agent/reports/").status_code == 403
    assert client.get("/agent/reports/gaps.csv").status_code == 403
    assert 'href="/agent/reports/"' not in client.get("/agent/").get_data(as_text=True)


def test_kb_report_prints_a_table_or_csv(app: Flask, settings: Settings) -> None:
    assert set(REPORT_NAMES) == set(reports.REPORTS)
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    shown = runner.invoke(main, ["report", "rejected", *where])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "Tickets where agents rejected every suggestion (1; times in UTC)"  # no business hours here
    assert lines[1].split() == ["ticket_id", "subject", "lang", "rejections", "reasons", "last_rejected"]
    assert "Card declined" in lines[2]
    as_csv = runner.invoke(main, ["report", "gaps", "--csv", *where])
    assert as_csv.output.splitlines()[1].startswith("cancel membership,1,0,en,")
    stale = runner.invoke(main, ["report", "stale", "--days", "100000", *where])
    header = "article_key  title  path  updated  age_days"
    assert stale.output.splitlines() == ["Articles not updated recently (0; times in UTC)", header]
    assert runner.invoke(main, ["report", "nonsense", *where]).exit_code == 2


def test_the_reports_page_is_in_the_agents_language(app: Flask) -> None:
    """An Arabic lead read "Content reports", "Days (stale threshold ...)", every title and column in English."""
    client = app.test_client()
    assert login(client, "admin@example.com").status_code == 302
    html = client.get("/agent/reports/gaps", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "تقارير المحتوى" in html and "فجوات المحتوى" in html and 'scope="col">الاستعلام<' in html
    for english in ("Content reports", "Download CSV", "Nothing to report", "Content gaps", ">query<", ">last seen<"):
        assert english not in html
    listed = client.get("/agent/reports/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in listed and "اختر تقريرًا" in listed and "مقالات صُوّت عليها بأنها غير مفيدة" in listed
    for english in ("Pick a report", "Articles voted not helpful", "Contact-form deflection"):
        assert english not in listed


def test_the_reports_follow_the_language_the_lead_picked(app: Flask) -> None:
    """The header's language picker was ignored here (its hook ran on the agent's own pages only): a lead who had
    picked Arabic read the reports in their browser's English."""
    desk = app.extensions["desk"]
    admin = desk.accounts.authenticate("admin@example.com", PASSWORD)
    assert admin is not None
    desk.accounts.set_locale(admin.id, "ar")
    client = app.test_client()
    login(client, "admin@example.com")
    for url in ("/agent/reports/", "/agent/reports/gaps"):
        html = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert 'dir="rtl"' in html and "تقارير المحتوى" in html and "Content reports" not in html


def test_a_translations_status_is_in_the_agents_language(app: Flask) -> None:
    """The translations report's Status column read "missing" (the stored value) on the Arabic page."""
    client = app.test_client()
    assert login(client, "admin@example.com").status_code == 302
    html = client.get("/agent/reports/translations", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    section = html.split('id="report-translations"', 1)[1].split("</section>", 1)[0]
    assert '<td dir="auto">غير موجودة</td>' in section and ">missing<" not in section
    english = client.get("/agent/reports/translations", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<td dir="auto">Missing</td>' in english.split('id="report-translations"', 1)[1]


def test_report_times_are_in_the_readers_zone(app: Flask, settings: Settings) -> None:
    """A rejection at 22:30 UTC on 1 December: 01:30 on the 2nd in Riyadh, 14:30 on the 1st in Los Angeles."""
    desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="Late one", body="Why?", lang="en"))
    with desk.db.session() as session:
        session.add(SuggestionEvent(ticket_id=ticket.id, kind="rejected", reason="late",
                                    created_at=datetime(2026, 12, 1, 22, 30, tzinfo=UTC)))
        admin = session.scalar(select(Agent.id).where(Agent.email == "admin@example.com"))

    def late(text: str) -> str:
        return next(row for row in csv.reader(io.StringIO(text)) if row[1] == "Late one")[-1]

    client = app.test_client()
    login(client, "admin@example.com")
    assert late(client.get("/agent/reports/rejected.csv").get_data(as_text=True)) == "2026-12-01 22:30:00+00:00"
    riyadh = client.get("/agent/reports/rejected.csv?tz=Asia/Riyadh").get_data(as_text=True)
    assert late(riyadh) == "2026-12-02 01:30:00+03:00"
    page = client.get("/agent/reports/rejected?tz=Asia/Riyadh").get_data(as_text=True)
    assert "2026-12-02 01:30:00+03:00" in page and "Times in Asia/Riyadh" in page
    assert 'href="/agent/reports/rejected.csv?tz=Asia/Riyadh"' in page
    assert '<option value="Asia/Riyadh" selected>' in page  # the zone picker, as the dashboard's
    bad = client.get("/agent/reports/rejected.csv?tz=Mars/Olympus")
    assert bad.status_code == 400 and "tz: &#39;Mars/Olympus&#39; is not a time zone name" in bad.get_data(as_text=True)
    # The page itself comes back with its zone picker marked and the problem beside it, in the reader's language.
    bad_page = client.get("/agent/reports/rejected?tz=Mars/Olympus&days=7")
    html = bad_page.get_data(as_text=True)
    assert bad_page.status_code == 400 and 'role="alert">tz: &#39;Mars/Olympus&#39; is not a time zone name' in html
    assert 'aria-invalid="true"' in html and 'id="zone-tz-error">&#39;Mars/Olympus&#39;' in html
    assert 'name="days" type="number" min="0" value="7"' in html and 'id="report-' not in html
    assert 'id="pick-rejected" aria-current="page"' in html  # the list is there, the report is not built
    arabic = client.get("/agent/reports/rejected?tz=Mars/Olympus",
                        headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "ليس اسم منطقة زمنية" in arabic and "الأيام والأوقات بتوقيت" in arabic
    desk.accounts.set_time_zone(admin, "America/Los_Angeles")  # the reader's own zone, when no ?tz= is given
    assert "2026-12-01 14:30:00-08:00" in client.get("/agent/reports/rejected").get_data(as_text=True)

    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    shown = runner.invoke(main, ["report", "rejected", "--csv", "--tz", "Asia/Riyadh", *where])
    assert shown.exit_code == 0, shown.output
    assert late(shown.output) == "2026-12-02 01:30:00+03:00"
    refused = runner.invoke(main, ["report", "rejected", "--tz", "Mars/Olympus", *where])
    assert refused.exit_code == 2 and "'--tz'" in refused.output and "Mars/Olympus" in refused.output


def test_days_count_calendar_days_of_the_zone_on_the_page_and_the_command_line(
        app: Flask, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rejections a second before and at local midnight; --days/?days= count calendar days of the zone, so only the
    second is in (N x 24 hours back would take both): Kiritimati (UTC+14) on the page, New York's 25-hour
    1 November on the command line."""
    desk = app.extensions["desk"]
    edges = {"Pacific/Kiritimati": datetime(2026, 12, 3, 10, 0, tzinfo=UTC),  # 00:00 on 4 December there
             "America/New_York": datetime(2026, 11, 1, 4, 0, tzinfo=UTC)}  # 00:00 EDT; the clocks fall back at 2
    with desk.db.session() as session:
        for zone, edge in edges.items():
            for label, when in (("before", edge - timedelta(seconds=1)), ("at", edge)):
                ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject=f"{zone} {label}", body="?",
                                                       lang="en"))
                session.add(SuggestionEvent(ticket_id=ticket.id, kind="rejected", reason="no", created_at=when))

    def subjects(text: str, zone: str) -> list[str]:
        return sorted(row[1] for row in csv.reader(io.StringIO(text)) if row[1].startswith(zone))

    client = app.test_client()
    login(client, "admin@example.com")
    monkeypatch.setattr(reports, "utcnow", lambda: datetime(2026, 12, 4, 9, 0, tzinfo=UTC))  # 23:00 in Kiritimati
    kiritimati = {"days": 1, "tz": "Pacific/Kiritimati"}
    shown = client.get("/agent/reports/rejected.csv", query_string=kiritimati).get_data(as_text=True)
    assert subjects(shown, "Pacific") == ["Pacific/Kiritimati at"]
    page = client.get("/agent/reports/rejected", query_string={**kiritimati, "hl": "en"}).get_data(as_text=True)
    assert "Pacific/Kiritimati at" in page and "Pacific/Kiritimati before" not in page
    window = page.split('id="report-window">', 1)[1].split("</p>", 1)[0]
    assert "last 1 calendar day in" in window and "2026-12-04 00:00" in window and "Pacific/Kiritimati" in window
    arabic = client.get("/agent/reports/rejected", query_string=kiritimati, headers={"Accept-Language": "ar"})
    assert "يومًا تقويميًا واحدًا" in arabic.get_data(as_text=True).split('id="report-window">', 1)[1]

    monkeypatch.setattr(reports, "utcnow", lambda: datetime(2026, 11, 2, 15, 0, tzinfo=UTC))  # 10:00 EST
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    two = runner.invoke(main, ["report", "rejected", "--csv", "--days", "2", "--tz", "America/New_York", *where])
    assert two.exit_code == 0, two.output
    assert subjects(two.output, "America") == ["America/New_York at"]
    three = runner.invoke(main, ["report", "rejected", "--csv", "--days", "3", "--tz", "America/New_York", *where])
    assert subjects(three.output, "America") == ["America/New_York at", "America/New_York before"]
    assert "calendar days" in runner.invoke(main, ["report", "--help"]).output
