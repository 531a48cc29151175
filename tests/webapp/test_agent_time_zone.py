"""Each agent's own time zone (Agent.time_zone, set on /agent/profile or by an admin): every time the workspace
shows that agent, and a due time the agent types, is in it (stored UTC as before); empty shows the default team's
zone and keeps the ticket's team's zone in the due field. A bad zone is refused naming the field with the old one
kept; a GET of the profile writes nothing. A light app (no models); `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event

from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings, login  # noqa: F401
from tests.webapp.test_agent_workspace import arabic_ticket
from webapp import create_app

CONTENT = Path(__file__).resolve().parents[2] / "content"
# 11:30 UTC on a July day: 15:30 in Dubai (UTC+4), 12:30 in London (BST, UTC+1), 14:30 in Riyadh (the team's).
DUE = datetime(2030, 7, 6, 11, 30, tzinfo=UTC)


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """The demo's business hours (the KSA team in Asia/Riyadh is the default); agents in Dubai, London, and one
    without a zone; an admin."""
    shutil.copy2(CONTENT / "_business_hours.yml", light_settings.content_dir)
    app = create_app(light_settings)
    accounts = app.extensions["desk"].accounts
    for email, zone in [("dubai@example.com", "Asia/Dubai"), ("london@example.com", "Europe/London"),
                        ("team@example.com", "")]:
        agent = accounts.create_agent(email, PASSWORD, name=email.split("@")[0])
        accounts.set_time_zone(agent.id, zone)
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    return app



def zone_of(app: Flask, email: str) -> str | None:
    return app.extensions["desk"].accounts.find(email).time_zone


@contextmanager
def writes(app: Flask) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements the database receives inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    engine = app.extensions["desk"].db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_two_agents_see_the_same_due_time_as_their_own_wall_times(app: Flask) -> None:
    desk = app.extensions["desk"]
    ticket_id = arabic_ticket(app)
    desk.tickets.set_due(ticket_id, DUE, None)
    pages = {email: client_for(app, email).get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
             for email in ("dubai@example.com", "london@example.com", "team@example.com")}
    dubai, london, team = pages["dubai@example.com"], pages["london@example.com"], pages["team@example.com"]
    assert 'value="2030-07-06T15:30"' in dubai and 'name="due_zone" value="Asia/Dubai"' in dubai
    assert 'value="2030-07-06T12:30"' in london and 'name="due_zone" value="Europe/London"' in london
    assert 'value="2030-07-06T14:30"' in team and 'name="due_zone" value="Asia/Riyadh"' in team  # as before
    # Every time shown (the due line, the history) is in the agent's zone, and the page says which.
    # Without a zone of their own, the default team's (KSA, Asia/Riyadh), as the dashboard's days; it was UTC.
    assert "Times in Asia/Dubai" in dubai and "Times in Europe/London" in london and "Times in Asia/Riyadh" in team
    assert "2:30" in team.split('id="history"')[1]
    assert "3:30" in dubai.split('id="history"')[1] and "12:30" in london.split('id="history"')[1]
    inbox = {email: client_for(app, email).get("/agent/").get_data(as_text=True)
             for email in ("dubai@example.com", "london@example.com", "team@example.com")}
    assert "2:30\u202fPM" in inbox["team@example.com"] or "2:30 PM" in inbox["team@example.com"]
    assert "3:30\u202fPM" in inbox["dubai@example.com"] or "3:30 PM" in inbox["dubai@example.com"]
    assert "12:30\u202fPM" in inbox["london@example.com"] or "12:30 PM" in inbox["london@example.com"]
    assert "date and time in Asia/Dubai" in inbox["dubai@example.com"]


def test_a_due_time_past_2037_reads_the_same_in_the_field_and_beside_it(app: Flask) -> None:
    """Flask-Babel's pytz zones have no summer time after 2037: London's 12:30 was shown as 11:30."""
    desk = app.extensions["desk"]
    ticket_id = arabic_ticket(app)
    desk.tickets.set_due(ticket_id, datetime(2099, 7, 6, 11, 30, tzinfo=UTC), None)
    page = client_for(app, "london@example.com").get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    shown = page.split('id="due"')[1].split("</time>")[0]
    assert 'value="2099-07-06T12:30"' in page and "12:30" in shown


def test_a_due_time_the_dubai_agent_types_is_stored_as_the_right_utc_instant(app: Flask) -> None:
    desk = app.extensions["desk"]
    ticket_id, other = arabic_ticket(app), arabic_ticket(app)
    dubai = client_for(app, "dubai@example.com")
    page = dubai.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    zone = page.split('name="due_zone" value="')[1].split('"')[0]
    assert dubai.post(f"/agent/tickets/{ticket_id}/due", data={
        "due": "2099-01-05T14:30", "due_zone": zone, "csrf_token": csrf(page)}).status_code == 302
    # 14:30 in Dubai is 10:30 UTC (in Riyadh, the team's zone, it would have been 11:30).
    assert desk.tickets.get(ticket_id).due_at.replace(tzinfo=UTC) == datetime(2099, 1, 5, 10, 30, tzinfo=UTC)
    assert dubai.post("/agent/bulk", data={"ticket": [str(other)], "action": "due", "value": "2099-01-05T14:30",
                                           "csrf_token": csrf(page), "back": "/agent/"}).status_code == 302
    assert desk.tickets.get(other).due_at.replace(tzinfo=UTC) == datetime(2099, 1, 5, 10, 30, tzinfo=UTC)


def test_a_bad_zone_is_refused_naming_the_field_and_the_old_one_is_kept(app: Flask) -> None:
    dubai = client_for(app, "dubai@example.com")
    token = csrf(dubai.get("/agent/profile").get_data(as_text=True))
    for bad in ("Mars/Olympus_Mons", "localtime", "asia/dubai"):
        refused = dubai.post("/agent/profile", data={"time_zone": bad, "csrf_token": token})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400 and f"time zone: &#39;{bad}&#39; is not a time zone name" in html
        assert 'id="time-zone-error"' in html and '<option value="Asia/Dubai" selected>' in html
        assert zone_of(app, "dubai@example.com") == "Asia/Dubai"
    arabic = dubai.post("/agent/profile", data={"time_zone": "Mars/Base", "csrf_token": token},
                        headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "المنطقة الزمنية: \u2068&#39;Mars/Base&#39;\u2069 ليس اسم منطقة زمنية" in arabic
    assert dubai.post("/agent/profile", data={"time_zone": "Europe/Paris"}).status_code == 400  # CSRF
    admin = client_for(app, "admin@example.com")
    london_id = app.extensions["desk"].accounts.find("london@example.com").id
    admin_token = csrf(admin.get("/agent/admin").get_data(as_text=True))
    shown = admin.post("/agent/admin", follow_redirects=True, data={
        "action": "time_zone", "agent_id": london_id, "time_zone": "Europe/Narnia", "csrf_token": admin_token})
    assert "time zone: &#39;Europe/Narnia&#39; is not a time zone name" in shown.get_data(as_text=True)
    assert zone_of(app, "london@example.com") == "Europe/London"


def test_an_agent_and_an_admin_set_and_clear_a_zone(app: Flask) -> None:
    dubai = client_for(app, "dubai@example.com")
    token = csrf(dubai.get("/agent/profile").get_data(as_text=True))
    saved = dubai.post("/agent/profile", data={"time_zone": "Asia/Riyadh", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "Time zone saved." in saved and "Times in Asia/Riyadh" in saved
    assert zone_of(app, "dubai@example.com") == "Asia/Riyadh"
    dubai.post("/agent/profile", data={"time_zone": "", "csrf_token": token})
    assert zone_of(app, "dubai@example.com") is None
    admin = client_for(app, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    # Each agent's zone in an input, the names once in a datalist (not one select of 600 names per agent).
    assert 'value="Europe/London"' in page and page.count('<option value="Asia/Dubai">') == 1
    admin.post("/agent/admin", data={"action": "time_zone", "agent_id": app.extensions["desk"].accounts.find(
        "team@example.com").id, "time_zone": " Africa/Cairo ", "csrf_token": csrf(page)})
    assert zone_of(app, "team@example.com") == "Africa/Cairo"


def test_a_get_of_the_profile_writes_nothing(app: Flask) -> None:
    dubai = client_for(app, "dubai@example.com")
    with writes(app) as seen:
        page = dubai.get("/agent/profile")
    assert page.status_code == 200 and seen == []
    html = page.get_data(as_text=True)
    assert '<option value="Asia/Dubai" selected>' in html and "The workspace shows times in Asia/Dubai." in html
    assert '<option value="Factory"' not in html and zone_of(app, "dubai@example.com") == "Asia/Dubai"
    arabic = dubai.get("/agent/profile", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "المنطقة الزمنية" in arabic and "الأوقات بتوقيت Asia/Dubai" in arabic


def test_the_help_center_is_never_in_an_agents_zone(app: Flask) -> None:
    """The zone is chosen on the workspace's pages only: a customer's page a logged-in agent opens is in UTC."""
    from flask_babel import get_timezone

    dubai = client_for(app, "dubai@example.com")
    with dubai:
        dubai.get("/agent/profile")
        assert str(get_timezone()) == "Asia/Dubai"
        dubai.get("/en/")
        assert str(get_timezone()) == "UTC"


def test_an_agent_without_a_zone_reads_the_default_teams_and_the_profile_says_so(app: Flask) -> None:
    """As Zendesk shows an agent without a zone the account's: the default team's (KSA), on every workspace page,
    with nothing written by the GETs; the help center stays UTC."""
    from flask_babel import get_timezone

    team = client_for(app, "team@example.com")
    with writes(app) as seen, team:
        page = team.get("/agent/profile").get_data(as_text=True)
        assert str(get_timezone()) == "Asia/Riyadh"
        team.get("/en/")
        assert str(get_timezone()) == "UTC"
    assert seen == [] and zone_of(app, "team@example.com") is None
    assert '<option value="" selected>Not set: the default team' in page and "zone (Asia/Riyadh); due times" in page
    assert "The workspace shows times in Asia/Riyadh." in page
    arabic = team.get("/agent/profile", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "غير محددة: منطقة الفريق الافتراضي (Asia/Riyadh)" in arabic


def test_due_today_is_today_on_each_agents_wall(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 10:00 UTC on 4 December a ticket due at 22:00 UTC is due today in London and tomorrow (01:00) in
    Riyadh, the zone of an agent without one of their own; each inbox counts and lists it so."""
    from desk import inbox

    ticket_id = arabic_ticket(app)
    app.extensions["desk"].tickets.set_due(ticket_id, datetime(2026, 12, 4, 22, 0, tzinfo=UTC), None)
    monkeypatch.setattr(inbox, "utcnow", lambda: datetime(2026, 12, 4, 10, 0, tzinfo=UTC))
    for email, expected in (("london@example.com", "1"), ("team@example.com", "0")):
        page = client_for(app, email).get("/agent/?view=due_today").get_data(as_text=True)
        count = page.split('id="view-due_today">', 1)[1].split('class="count">', 1)[1].split("<", 1)[0]
        assert count == expected, email
        assert (f'href="/agent/tickets/{ticket_id}"' in page) == (expected == "1"), email
