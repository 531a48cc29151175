"""The lead's KPI digest, as leads see it (desk.digests): "Email me a summary: off / daily / weekly" on the profile
(leads and admins only; an agent or a light agent is never offered it and a post of it is a 403), a bad choice
refused by its field with nothing written, the mail in the agent's language (an Arabic lead's: RTL HTML and text,
Arabic labels and subject, sent over real SMTP on loopback with the dashboard's link for its period), the worker's
job, and `kb report digest`. A light app (no models); `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from html import unescape

import pytest
from babel.dates import format_date
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from desk.desk import Desk
from desk.models import Agent, AuditEvent, OutboxMail, utcnow
from kb.settings import Settings
from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from webapp import create_app
from webapp.cli import main
from webapp.mail_commands import deliver_pending_mail
from webapp.worker import JOBS, WorkerContext, run_pass


@pytest.fixture
def app(light_settings: Settings, sink: SmtpSink) -> Flask:  # noqa: F811
    app = create_app(replace(light_settings, smtp_url=sink.url, base_url="https://help.manzil.example"))
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("lead@example.com", PASSWORD, name="Huda", role="lead")
    accounts.create_agent("agent@example.com", PASSWORD, name="Amal")
    accounts.create_agent("light@example.com", PASSWORD, name="Lina", role="light")
    return app


def desk_of(app: Flask) -> Desk:
    return app.extensions["desk"]


def digest_of(app: Flask, email: str) -> str | None:
    return desk_of(app).accounts.find(email).digest


def outbox(app: Flask) -> list[OutboxMail]:
    with desk_of(app).db.session() as session:
        return list(session.scalars(select(OutboxMail).where(OutboxMail.kind == "digest")))


def test_a_lead_chooses_the_summary_on_the_profile_and_a_bad_choice_is_refused_by_its_field(app: Flask) -> None:
    client = client_for(app, "lead@example.com")
    page = client.get("/agent/profile").get_data(as_text=True)
    assert 'id="digest-form"' in page and '<option value="off" selected>' in page
    token = csrf(page)
    refused = client.post("/agent/profile", data={"csrf_token": token, "part": "digest", "digest": "hourly"})
    assert refused.status_code == 400
    html = unescape(refused.get_data(as_text=True))
    assert 'id="digest-error"' in html and "digest: use one of off, daily, weekly" in html
    assert 'aria-invalid="true"' in html and digest_of(app, "lead@example.com") is None  # nothing written
    saved = client.post("/agent/profile", data={"csrf_token": token, "part": "digest", "digest": "weekly"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/agent/profile#digest")
    assert digest_of(app, "lead@example.com") == "weekly"
    assert '<option value="weekly" selected>' in client.get("/agent/profile").get_data(as_text=True)
    # In Arabic the field is named in Arabic.
    client.post("/agent/preferences", data={"csrf_token": token, "locale": "ar", "back": "/agent/profile"})
    arabic = unescape(client.post("/agent/profile", data={"csrf_token": token, "part": "digest", "digest": "x"})
                      .get_data(as_text=True))
    error = re.search(r'id="digest-error" role="alert">([^<]*)<', arabic)
    assert error and error.group(1).startswith("الملخص بالبريد") and "اختر واحدًا من" in error.group(1)
    assert digest_of(app, "lead@example.com") == "weekly"


@pytest.mark.parametrize("email", ["agent@example.com", "light@example.com"])
def test_an_agent_below_lead_is_never_offered_it(app: Flask, email: str) -> None:
    client = client_for(app, email)
    page = client.get("/agent/profile").get_data(as_text=True)
    assert 'id="digest' not in page
    posted = client.post("/agent/profile", data={"csrf_token": csrf(page), "part": "digest", "digest": "daily"})
    assert posted.status_code == 403 and digest_of(app, email) is None


def test_a_lead_demoted_on_the_admin_page_loses_the_summary_and_the_audit_says_so(app: Flask) -> None:
    """leftover38: a lead made an agent kept "daily" (only the send-time check stopped the mail): promoted again months
    later, they were mailed the team's figures without choosing it. The demotion clears the choice, in the audited
    role change; the profile no longer offers it; promoted again, it is off until chosen."""
    desk = desk_of(app)
    huda = desk.accounts.find("lead@example.com")
    desk.digests.choose(huda.id, "weekly", utcnow() - timedelta(days=9))
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    admin = client_for(app, "admin@example.com")
    token = csrf(admin.get("/agent/admin").get_data(as_text=True))
    demoted = admin.post("/agent/admin", data={"action": "role", "agent_id": huda.id, "role": "agent",
                                               "csrf_token": token})
    assert demoted.status_code == 200 and "Agent updated." in demoted.get_data(as_text=True)
    with desk.db.session() as session:
        row = session.get(Agent, huda.id)
        assert row is not None and (row.role, row.digest, row.digest_sent_for) == ("agent", None, None)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "role_changed")).one()
        assert (event.before, event.after) == ({"role": "lead", "digest": "weekly"}, {"role": "agent", "digest": None})
    assert desk.digests.due() == [] and 'id="digest' not in client_for(app, "lead@example.com").get(
        "/agent/profile").get_data(as_text=True)
    admin.post("/agent/admin", data={"action": "role", "agent_id": huda.id, "role": "lead", "csrf_token": token})
    assert digest_of(app, "lead@example.com") is None and desk.digests.due() == []  # promoted: off until chosen
    # A lead made an admin keeps it (still a lead role), the audit line as before.
    desk.digests.choose(huda.id, "daily")
    admin.post("/agent/admin", data={"action": "role", "agent_id": huda.id, "role": "admin", "csrf_token": token})
    assert digest_of(app, "lead@example.com") == "daily"
    with desk.db.session() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None and (last.before, last.after) == ({"role": "lead"}, {"role": "admin"})


def test_an_arabic_leads_digest_is_mailed_right_to_left_by_the_worker(app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    desk = desk_of(app)
    huda = desk.accounts.find("lead@example.com")
    desk.accounts.set_locale(huda.id, "ar")
    desk.accounts.set_time_zone(huda.id, "Asia/Riyadh")
    desk.digests.choose(huda.id, "daily", utcnow() - timedelta(days=2))  # chosen two days ago: one is due now
    ctx = WorkerContext(app.extensions["settings"])
    ctx.__dict__["desk"] = desk
    assert run_pass(ctx, [job for job in JOBS if job.name == "digests"]) == {"digests": 1}
    assert run_pass(ctx, [job for job in JOBS if job.name == "digests"]) == {"digests": 0}  # once
    assert deliver_pending_mail(desk, app.extensions["settings"]) == 1
    [mail] = sink.wait_for(1)
    period = outbox(app)[0].payload
    assert mail["To"] == "lead@example.com"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert str(mail["Subject"]).startswith("ملخص الدعم: أمس")
    html, text = mail.get_body(("html",)).get_content(), mail.get_body(("plain",)).get_content()
    assert '<html lang="ar" dir="rtl">' in html
    assert "التذاكر المحلولة" in html and "التذاكر المحلولة" in text and "Tickets solved" not in text
    day = date.fromisoformat(period["first"])
    written = format_date(day, "d MMMM y", locale="ar")  # as the pages write a day, not "2026-11-23" (walk37)
    assert f"\u2068{written}\u2069" in text and period["first"] not in str(mail["Subject"])  # isolated in Arabic
    link = f"https://help.manzil.example/agent/dashboard/?from={period['first']}&amp;to={period['first']}"
    assert link in html and "tz=Asia%2FRiyadh&amp;hl=ar" in html
    assert "/my-tickets" not in html and "/my-tickets" not in text  # an agent's mail: no customer footer


def test_kb_report_digest_prints_or_queues_one(app: Flask) -> None:
    settings: Settings = app.extensions["settings"]
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    shown = runner.invoke(main, ["report", "digest", "--agent", "LEAD@example.com", "--period", "weekly", "--dry-run",
                                 *where])
    assert shown.exit_code == 0, shown.output
    assert "Subject: Support summary: Last week" in shown.output and "Tickets created:" in shown.output
    assert outbox(app) == []  # a dry run queues nothing
    desk_of(app).digests.choose(desk_of(app).accounts.find("lead@example.com").id, "daily",
                                utcnow() - timedelta(days=2))
    queued = runner.invoke(main, ["report", "digest", "--agent", "lead@example.com", *where])
    assert queued.exit_code == 0, queued.output
    assert "Queued the daily digest" in queued.output and len(outbox(app)) == 1
    again = runner.invoke(main, ["report", "digest", "--agent", "lead@example.com", *where])
    assert again.exit_code == 1 and "queued already" in again.output and len(outbox(app)) == 1
    ctx = WorkerContext(settings)
    ctx.__dict__["desk"] = desk_of(app)
    assert run_pass(ctx, [job for job in JOBS if job.name == "digests"]) == {"digests": 0}  # the CLI's claimed it
    for refused, hint in ((["--agent", "agent@example.com"], "--agent"), ([], "--agent")):
        result = runner.invoke(main, ["report", "digest", *refused, *where])
        assert result.exit_code == 2 and hint in result.output
    other = runner.invoke(main, ["report", "gaps", "--dry-run", *where])
    assert other.exit_code == 2 and "only the digest" in other.output
    with desk_of(app).db.session() as session:
        assert session.scalar(select(Agent.digest).where(Agent.email == "lead@example.com")) == "daily"
