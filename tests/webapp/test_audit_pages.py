"""The audit log through the real app (a light one: no models; `--postgresql` runs it on PostgreSQL): the admin page's
changes are recorded with the signed-in admin and the request's IP, a failed sign-in on the login form with its IP;
/agent/admin/audit lists them newest first, filtered and paged, times in the reader's zone, in Arabic too, and its
CSV streams them; leads and agents get 403, anonymous visitors the login page; the page and the CSV write nothing.
`kb audit` lists them at the server, and the CLI's account commands are recorded as "cli"."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, update

from desk.models import AuditEvent
from kb.settings import Settings
from tests.desk.test_teams import hours_file
from tests.faults import rows
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings, login  # noqa: F401
from webapp import create_app
from webapp.cli import main


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """The demo's teams; an admin (in Riyadh's zone), a lead and Sara, an agent."""
    hours_file(light_settings.content_dir)
    app = create_app(light_settings)
    accounts = app.extensions["desk"].accounts
    admin = accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.set_time_zone(admin.id, "Asia/Riyadh")
    accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    return app



def events(app: Flask) -> list[AuditEvent]:
    with app.extensions["desk"].db.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def agent_id(app: Flask, email: str) -> int:
    return app.extensions["desk"].accounts.find(email).id


def test_the_admin_pages_changes_are_recorded_with_the_admin_and_the_ip(app: Flask) -> None:
    admin = client_for(app, "admin@example.com")
    me, sara = agent_id(app, "admin@example.com"), agent_id(app, "sara@example.com")
    before = len(events(app))
    token = csrf(admin.get("/agent/admin").get_data(as_text=True))
    posts = [
        ({"action": "agent", "email": "omar@example.com", "password": PASSWORD, "name": "Omar", "role": "agent"},
         "agent_created"),
        ({"action": "role", "agent_id": sara, "role": "lead"}, "role_changed"),
        ({"action": "deactivate", "agent_id": sara}, "deactivated"),
        ({"action": "reactivate", "agent_id": sara}, "reactivated"),
        ({"action": "password", "agent_id": sara, "password": "a brand new password"}, "password_reset"),
        ({"action": "teams", "agent_id": sara, "team": ["uae"]}, "team_member_added"),
        ({"action": "token", "name": "zendesk", "scopes": ["tickets:read"]}, "token_created"),  # one scope at least
        ({"action": "time_zone", "agent_id": sara, "time_zone": "Asia/Dubai"}, None),  # not audited: noise
    ]
    for data, _action in posts:
        assert admin.post("/agent/admin", data={**data, "csrf_token": token},
                          environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200
    written = events(app)[before:]
    assert [e.action for e in written] == [action for _, action in posts if action]
    assert {(e.actor, e.actor_id, e.ip) for e in written} == {("agent", me, "203.0.113.9")}
    page = admin.get("/agent/admin").get_data(as_text=True)
    assert 'href="/agent/admin/audit"' in page


def test_a_failed_sign_in_on_the_login_form_is_recorded_with_its_ip(app: Flask) -> None:
    client = app.test_client()
    for _ in range(3):
        token = csrf(client.get("/agent/login").get_data(as_text=True))
        assert client.post("/agent/login", data={"email": "sara@example.com", "password": "not hers at all",
                                                 "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 401
    assert login(client, "sara@example.com").status_code == 302
    failed, succeeded = events(app)[-2:]
    assert (failed.action, failed.count, failed.ip) == ("sign_in_failed", 3, "198.51.100.20")
    assert (succeeded.action, succeeded.before) == ("sign_in_succeeded", {"failures": 3})


def test_the_page_lists_newest_first_filtered_paged_in_the_readers_zone_and_in_arabic(app: Flask) -> None:
    desk = app.extensions["desk"]
    admin = client_for(app, "admin@example.com")
    sara = agent_id(app, "sara@example.com")
    token = csrf(admin.get("/agent/admin").get_data(as_text=True))
    admin.post("/agent/admin", data={"action": "role", "agent_id": sara, "role": "lead", "csrf_token": token})
    admin.post("/agent/admin", data={"action": "teams", "agent_id": sara, "team": ["ksa"], "csrf_token": token})
    changed = next(e for e in events(app) if e.action == "role_changed")
    with desk.db.session() as session:  # a known time: 09:00 UTC is 12:00 in Riyadh, the admin's zone
        session.execute(update(AuditEvent).where(AuditEvent.id == changed.id)
                        .values(created_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)))
    page = admin.get("/agent/admin/audit").get_data(as_text=True)
    listed = [part.split('"')[0] for part in page.split('data-action="')[1:]]
    # Newest first by when it happened: the role change, moved to December 1st, comes last.
    assert listed == ["team_member_added", "agent_created", "agent_created", "agent_created", "role_changed"]
    row = page.split('data-action="role_changed"')[1].split("</tr>")[0]
    assert "12:00" in row and "role=agent" in row and "role=lead" in row and "Admin" in row and "Sara" in row
    assert "Asia/Riyadh" in page
    team = admin.get("/agent/admin/audit?subject=team:ksa").get_data(as_text=True)
    assert team.count("data-action=") == 1 and "KSA support" in team
    assert admin.get(f"/agent/admin/audit?action=role_changed&actor=agent:{agent_id(app, 'admin@example.com')}"
                     ).get_data(as_text=True).count("data-action=") == 1
    refused = admin.get("/agent/admin/audit?subject=message:1")
    assert refused.status_code == 400 and "subject: " in refused.get_data(as_text=True)
    arabic = admin.get("/agent/admin/audit", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "سجل التدقيق" in arabic and "تغيير الدور" in arabic and 'dir="rtl"' in arabic
    # Paged: 50 a page, newest first; page 2 has the rest.
    for number in range(50):
        desk.accounts.create_token(f"partner {number}")
    first = admin.get("/agent/admin/audit").get_data(as_text=True)
    assert first.count("data-action=") == 50 and 'rel="next"' in first
    assert admin.get("/agent/admin/audit?page=2").get_data(as_text=True).count("data-action=") == 5


def test_the_csv_streams_every_event_the_filters_find_in_the_readers_zone(app: Flask) -> None:
    desk = app.extensions["desk"]
    admin = client_for(app, "admin@example.com")
    sara = agent_id(app, "sara@example.com")
    token = csrf(admin.get("/agent/admin").get_data(as_text=True))
    admin.post("/agent/admin", data={"action": "role", "agent_id": sara, "role": "lead", "csrf_token": token},
               environ_base={"REMOTE_ADDR": "203.0.113.9"})
    with desk.db.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.action == "role_changed")
                        .values(created_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)))
    response = admin.get("/agent/admin/audit.csv?action=role_changed")
    assert response.status_code == 200 and response.mimetype == "text/csv" and response.is_streamed
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table == [["when", "actor", "action", "subject", "before", "after", "count", "ip"],
                     ["2026-12-01 12:00:00+03:00", f"agent:{agent_id(app, 'admin@example.com')}", "role_changed",
                      f"agent:{sara}", '{"role": "agent"}', '{"role": "lead"}', "1", "203.0.113.9"]]
    assert len(list(csv.reader(io.StringIO(admin.get("/agent/admin/audit.csv").get_data(as_text=True))))) == 5
    assert admin.get("/agent/admin/audit.csv?actor=root").status_code == 400


def test_only_admins_see_the_log_and_looking_writes_nothing(app: Flask) -> None:
    desk = app.extensions["desk"]
    anonymous = app.test_client()
    for path in ("/agent/admin/audit", "/agent/admin/audit.csv"):
        assert "/agent/login" in anonymous.get(path).headers.get("Location", "")
    for email in ("lead@example.com", "sara@example.com"):
        client = client_for(app, email)
        assert client.get("/agent/admin/audit").status_code == 403
        assert client.get("/agent/admin/audit.csv").status_code == 403
    admin = client_for(app, "admin@example.com")
    before = rows(desk.db)
    for path in ("/agent/admin/audit", "/agent/admin/audit?action=sign_in_failed&page=3", "/agent/admin/audit.csv",
                 "/agent/admin/audit?actor=root"):
        admin.get(path).get_data()
    after = rows(desk.db)
    assert after == before


def test_kb_audit_lists_recent_events_and_the_cli_is_the_actor(tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--data", str(tmp_path)]
    made = runner.invoke(main, ["agents", "create", "boss@example.com", "--admin", "--password-stdin", *where],
                         input="a long password\n")
    assert made.exit_code == 0, made.output
    assert runner.invoke(main, ["agents", "password", "boss@example.com", "--password-stdin", *where],
                         input="another long password\n").exit_code == 0
    secret = runner.invoke(main, ["tokens", "create", "zendesk", *where]).stdout.strip()  # scopes: stderr
    listed = runner.invoke(main, ["audit", *where])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert [line.split("  ")[1:3] for line in lines] == [["cli", "token_created"], ["cli", "password_reset"],
                                                         ["cli", "agent_created"]]
    assert '{"email": "boss@example.com", "name": "boss", "role": "admin"}' in lines[2]
    assert secret not in listed.output and "long password" not in listed.output
    only = runner.invoke(main, ["audit", "--action", "token_created", "--csv", *where])
    assert only.exit_code == 0 and only.output.splitlines()[1].split(",")[1:3] == ["cli", "token_created"]
    bad = runner.invoke(main, ["audit", "--subject", "message:1", *where])
    assert bad.exit_code == 1 and "subject: " in bad.output
