"""The dashboard, its CSV files and /api/v1/metrics count the reader's days: the signed-in agent's own zone, else
the business hours' default team's (KSA: Asia/Riyadh), else UTC; ?tz= (an IANA name) chooses another, a bad one is
a 400 naming `tz`. One ticket created at 22:30 UTC on 1 December is 2 December's in Riyadh and 1 December's in UTC.

No models: grouping gaps by meaning falls back to one row per spelling (`clusterer` patched to None)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from desk.accounts import zone_names
from desk.business_hours import BusinessHours
from desk.desk import Desk
from desk.models import Agent, Base, SuggestionEvent
from kb.settings import Settings
from tests.conftest import CONTENT, database_url_for_tests
from tests.desk.test_metrics import Fixture, at
from tests.webapp.conftest import PASSWORD, login
from webapp import create_app, dashboard

LATE = "2026-12-01 22:30 UTC"  # 01:30 on 2 December in Riyadh, 14:30 on 1 December in Los Angeles


@pytest.fixture
def app(content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    shutil.copy2(CONTENT / "_business_hours.yml", content_dir)  # default team KSA, Asia/Riyadh
    monkeypatch.setattr(dashboard, "clusterer", lambda: None)
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests())
    app = create_app(settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    desk.accounts.create_agent("la@example.com", PASSWORD, name="Lola", role="lead")
    with desk.db.session() as session:
        la = session.scalar(select(Agent.id).where(Agent.email == "la@example.com"))
    desk.accounts.set_time_zone(la, "America/Los_Angeles")
    w = Fixture(desk)
    late = w.ticket("Late", at(1, 22, 30))
    w.add(SuggestionEvent(ticket_id=late, kind="rejected", agent_id=w.amal, reason="off topic",
                          created_at=at(1, 22, 40)))
    return app


def created(html: str) -> str:
    return html.split('id="fig-created"', 1)[1].split('class="now">', 1)[1].split("<", 1)[0]


def zone_line(html: str) -> str:
    return html.split('id="days-zone">', 1)[1].split("</span>", 1)[0]


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def counts(app: Flask) -> dict[str, int]:
    """Rows per table, and the agents' zones: what a GET must leave as it was."""
    desk: Desk = app.extensions["desk"]
    with desk.db.session() as session:
        found = {t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
                 for t in Base.metadata.sorted_tables}
        found.update({f"zone {a.email}": hash(a.time_zone) for a in session.scalars(select(Agent))})
    return found


def test_the_page_counts_the_readers_days(app: Flask) -> None:
    before = counts(app)
    lead = app.test_client()
    assert login(lead, "lead@example.com").status_code == 302
    second = lead.get("/agent/dashboard/?from=2026-12-02&to=2026-12-02&hl=en").get_data(as_text=True)
    assert created(second) == "1" and "Days in" in zone_line(second) and "Asia/Riyadh" in zone_line(second)
    assert "Period: <bdi dir=\"ltr\">2026-12-02</bdi> to" in second
    assert "2026-12-02 01:40" in second and "2026-12-01 22:40" not in second  # the rejection, in Riyadh's time
    first = lead.get("/agent/dashboard/?from=2026-12-01&to=2026-12-01&hl=en").get_data(as_text=True)
    assert created(first) == "0"
    in_utc = lead.get("/agent/dashboard/?from=2026-12-01&to=2026-12-01&hl=en&tz=UTC").get_data(as_text=True)
    assert created(in_utc) == "1" and "UTC" in zone_line(in_utc)
    arabic = lead.get("/agent/dashboard/?from=2026-12-02&to=2026-12-02&hl=ar").get_data(as_text=True)
    assert "الأيام بتوقيت" in zone_line(arabic)
    bad = lead.get("/agent/dashboard/?from=2026-12-01&to=2026-12-01&hl=en&tz=Mars/Olympus")
    assert bad.status_code == 400 and "tz: &#39;Mars/Olympus&#39; is not a time zone name" in bad.get_data(as_text=True)
    bad_ar = lead.get("/agent/dashboard/?hl=ar&tz=Mars/Olympus").get_data(as_text=True)
    assert "المنطقة الزمنية (tz): \u2068&#39;Mars/Olympus&#39;\u2069 ليس اسم منطقة زمنية" in bad_ar
    # An agent with a zone of their own reads the dashboard in it.
    lola = app.test_client()
    assert login(lola, "la@example.com").status_code == 302
    theirs = lola.get("/agent/dashboard/?from=2026-12-01&to=2026-12-01&hl=en").get_data(as_text=True)
    assert created(theirs) == "1" and "America/Los_Angeles" in zone_line(theirs)
    assert counts(app) == before  # GETs (a ?tz= too) write nothing, the agents' own zones included


def test_csv_days_and_times_are_the_readers(app: Flask) -> None:
    lead = app.test_client()
    login(lead, "lead@example.com")
    week = "from=2026-11-30&to=2026-12-02&hl=en"
    days = lead.get(f"/agent/dashboard/days.csv?{week}")
    assert days.headers["Content-Disposition"] == 'attachment; filename="dashboard-days-2026-11-30_2026-12-02.csv"'
    assert rows(days.get_data(as_text=True))[1:] == [["2026-11-30", "0", "0"], ["2026-12-01", "0", "0"],
                                                      ["2026-12-02", "1", "0"]]
    in_utc = rows(lead.get(f"/agent/dashboard/days.csv?{week}&tz=UTC").get_data(as_text=True))
    assert in_utc[1:] == [["2026-11-30", "0", "0"], ["2026-12-01", "1", "0"], ["2026-12-02", "0", "0"]]
    rejected = rows(lead.get(f"/agent/dashboard/rejections.csv?{week}").get_data(as_text=True))
    assert rejected[1][-1] == "2026-12-02 01:40:00+03:00"
    assert lead.get(f"/agent/dashboard/days.csv?{week}&tz=Nowhere").status_code == 400


def test_metrics_api_takes_tz_and_says_which_zone(app: Flask) -> None:
    token = app.extensions["desk"].accounts.create_token("bi")
    before = counts(app)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = api.get("/api/v1/metrics?from=2026-12-02&to=2026-12-02", headers=headers).get_json()
    assert body["time_zone"] == "Asia/Riyadh" and body["current"]["filters"]["zone"] == "Asia/Riyadh"
    assert body["current"]["tickets"]["created"] == 1
    assert body["current"]["days"] == [{"day": "2026-12-02", "created": 1, "solved": 0}]
    assert body["current"]["filters"]["start"] == "2026-12-01T21:00:00+00:00"
    in_utc = api.get("/api/v1/metrics?from=2026-12-01&to=2026-12-02&tz=UTC", headers=headers).get_json()
    assert in_utc["time_zone"] == "UTC"
    assert in_utc["current"]["days"] == [{"day": "2026-12-01", "created": 1, "solved": 0},
                                         {"day": "2026-12-02", "created": 0, "solved": 0}]
    bad = api.get("/api/v1/metrics?from=2026-12-01&to=2026-12-02&tz=Asia/Riyad", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"].startswith("tz: 'Asia/Riyad' is not a time zone name")
    assert counts(app) == before


def picker_html(html: str) -> str:
    form = html.split('<form method="get" class="filters"', 1)[1].split("</form>", 1)[0]
    return form.split('<select id="zone-tz" name="tz"', 1)[1].split("</select>", 1)[0]


def selected(picker: str) -> list[str]:
    return [part.split('"', 1)[0] for part in picker.split('<option value="')[1:] if '" selected>' in part]


def test_zone_picker_offers_the_teams_zones_then_common_ones_and_keeps_another() -> None:
    hours = BusinessHours.from_mapping({"teams": {
        "ksa": {"name": "KSA support", "timezone": "Asia/Riyadh"},
        "night": {"name": "Night shift", "timezone": "Asia/Riyadh"},
        "uk": {"name": "UK support", "timezone": "Europe/London"}}})
    picker = dashboard.zone_picker({}, hours, "America/Los_Angeles")
    assert picker.teams == (("Asia/Riyadh", "KSA support, Night shift"), ("Europe/London", "UK support"))
    assert "Asia/Riyadh" not in picker.common and "Asia/Dubai" in picker.common and picker.common[0] == "UTC"
    assert picker.mine == "America/Los_Angeles" and picker.chosen == "" and picker.other is None
    assert dashboard.zone_picker({"tz": "Pacific/Kiritimati"}, hours, "UTC").other == "Pacific/Kiritimati"
    assert dashboard.zone_picker({"tz": "Asia/Dubai"}, hours, "UTC").other is None  # already offered
    assert dashboard.zone_picker({"tz": "Mars/Olympus"}, hours, "UTC").other is None
    assert set(dashboard.COMMON_ZONES) <= set(zone_names())


def test_the_page_has_a_zone_picker_in_its_filters(app: Flask) -> None:
    """A select named tz in the filter form (so Apply keeps the URL's ?tz=): the reader's own zone first, then the
    teams' zones and the common ones; a ?tz= outside them is offered, chosen; an unknown one is a clear 400 with
    the picker marked, in Arabic too; GETs write nothing."""
    before = counts(app)
    lead = app.test_client()
    assert login(lead, "lead@example.com").status_code == 302
    mine = picker_html(lead.get("/agent/dashboard/?hl=en").get_data(as_text=True))
    assert '<option value="" selected>My zone (Asia/Riyadh)</option>' in mine and selected(mine) == [""]
    teams = mine.split('<optgroup label="Teams">', 1)[1].split("</optgroup>", 1)[0]
    assert ">Asia/Riyadh (KSA support)<" in teams and ">Asia/Dubai (UAE support)<" in teams
    common = mine.split('<optgroup label="Common zones">', 1)[1]
    assert '<option value="America/New_York">' in common and 'value="Asia/Riyadh"' not in common

    page = lead.get("/agent/dashboard/?hl=en&tz=Asia/Dubai&from=2026-12-01&to=2026-12-01").get_data(as_text=True)
    assert selected(picker_html(page)) == ["Asia/Dubai"] and 'type="hidden" name="tz"' not in page
    assert "Asia/Dubai" in zone_line(page)
    far = lead.get("/agent/dashboard/?hl=en&tz=Pacific/Kiritimati&from=2026-12-01&to=2026-12-02")
    assert selected(picker_html(far.get_data(as_text=True))) == ["Pacific/Kiritimati"]
    assert created(far.get_data(as_text=True)) == "1"  # 22:30 UTC on the 1st is 12:30 on the 2nd there

    bad = lead.get("/agent/dashboard/?hl=en&tz=Mars/Olympus")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'role="alert">tz: &#39;Mars/Olympus&#39; is not a time zone name' in html
    assert 'aria-invalid="true"' in picker_html(html).split(">", 1)[0] and selected(picker_html(html)) == [""]
    assert 'id="zone-tz-error">&#39;Mars/Olympus&#39; is not a time zone name' in html
    arabic = lead.get("/agent/dashboard/?hl=ar&tz=Mars/Olympus").get_data(as_text=True)
    assert "الأيام والأوقات بتوقيت" in arabic and "منطقتي الزمنية (Asia/Riyadh)" in arabic
    assert 'label="الفرق"' in arabic and 'label="مناطق زمنية شائعة"' in arabic
    assert "ليس اسم منطقة زمنية" in arabic.split('id="zone-tz-error">', 1)[1]
    lola = app.test_client()
    assert login(lola, "la@example.com").status_code == 302
    theirs = picker_html(lola.get("/agent/dashboard/?hl=en").get_data(as_text=True))
    assert "My zone (America/Los_Angeles)" in theirs
    assert counts(app) == before
