"""A running app and a worker follow the desk's rule files (desk.desk's `follow_rules`, before each request and
job): a merged trigger, field and business-hours change applies without a restart, and a wrong one keeps the last
good rules and is shown to admins with its line. A light app (no models); `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from desk.business_hours import CONFIG_FILE, BusinessHours
from desk.desk import Desk
from desk.models import Ticket, as_utc
from desk.tickets import NewTicket
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from kb.triggers import TRIGGERS_FILE
from tests.desk.test_teams import hours_file
from tests.rule_file_mistakes import FIELD_MISTAKES, HOURS_MISTAKES
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_contact_resubmits import form_data
from webapp import create_app
from webapp.worker import JOBS, Job, WorkerContext, run_pass

TAGGING = "- name: Tag new\n  on: created\n  then: {add_tags: [%s]}\n"
FIELD = "- key: %s\n  type: text\n  label: {en: %s, ar: ب}\n  on_contact_form: true\n"


def test_a_running_app_and_a_worker_follow_a_changed_rule_file_and_keep_the_last_good(
        light_settings: Settings) -> None:  # noqa: F811
    settings = dataclasses.replace(light_settings, rules_check_seconds=0)
    content = settings.content_dir
    hours_file(content)
    (content / TRIGGERS_FILE).write_text(TAGGING % "first", encoding="utf-8")
    (content / FIELDS_FILE).write_text(FIELD % ("colour", "Colour"), encoding="utf-8")
    app = create_app(settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    seen: list[tuple[str, ...]] = []
    worker = WorkerContext(settings)  # its own desk, as the worker process has
    probe = [Job("probe", lambda ctx: seen.append(tuple(r.name for r in ctx.desk.triggers.rules)) or 0, 1.0)]
    run_pass(worker, probe)
    customer = app.test_client()

    def contact() -> set[str]:
        assert customer.post("/en/contact", data=form_data(customer)).status_code in (200, 302)
        with desk.db.session() as session:
            ticket = session.query(Ticket).order_by(Ticket.id.desc()).first()
            assert ticket is not None
            return {t.tag for t in ticket.tags}

    assert contact() == {"first"} and "Colour" in customer.get("/en/contact").get_data(as_text=True)
    (content / TRIGGERS_FILE).write_text(TAGGING.replace("Tag new", "Tag newer") % "second", encoding="utf-8")
    (content / FIELDS_FILE).write_text(FIELD % ("size", "Shoe size"), encoding="utf-8")
    hours_file(content, teams={"ksa": {"name": "Riyadh desk", "timezone": "Asia/Riyadh"}})
    page = customer.get("/en/contact").get_data(as_text=True)  # the first request after the merge
    assert "Shoe size" in page and "Colour" not in page
    assert contact() == {"second"}
    admin = client_for(app, "admin@example.com")
    assert "Riyadh desk" in admin.get("/agent/admin").get_data(as_text=True)
    run_pass(worker, probe)
    assert seen == [("Tag new",), ("Tag newer",)]  # the worker's next job ran on the new file

    (content / FIELDS_FILE).write_text(FIELD_MISTAKES[0][0], encoding="utf-8")  # a wrong merge
    html = admin.get("/agent/admin").get_data(as_text=True)
    assert 'id="rules-problem"' in html and f"{FIELDS_FILE}:2: field a.type: &#39;colour&#39; is no type" in html
    assert "Shoe size" in customer.get("/en/contact").get_data(as_text=True) and contact() == {"second"}
    run_pass(worker, probe)
    assert seen[-1] == ("Tag newer",) and worker.desk.rules_problem is not None
    (content / FIELDS_FILE).write_text(FIELD % ("size", "Shoe size"), encoding="utf-8")  # mended
    assert 'id="rules-problem"' not in admin.get("/agent/admin").get_data(as_text=True)
    worker.close()


def test_the_admin_page_shows_the_files_problems_whichever_process_serves_it_and_reading_them_writes_nothing(
        light_settings: Settings) -> None:  # noqa: F811
    """Fault: each process kept its own reload refusal, and the admin page showed only the serving one's: a web
    worker that had not refused the change (here: one that checks the files once an hour) showed nothing wrong."""
    settings = dataclasses.replace(light_settings, rules_check_seconds=3600)
    content = settings.content_dir
    hours_file(content)
    (content / FIELDS_FILE).write_text(FIELD % ("colour", "Colour"), encoding="utf-8")
    app = create_app(settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    admin = client_for(app, "admin@example.com")
    assert 'id="rules-problem"' not in admin.get("/agent/admin").get_data(as_text=True)

    hours_text, hours_line, _ = HOURS_MISTAKES[1]
    (content / FIELDS_FILE).write_text(FIELD_MISTAKES[0][0], encoding="utf-8")
    (content / CONFIG_FILE).write_text(hours_text, encoding="utf-8")
    html = admin.get("/agent/admin").get_data(as_text=True)
    assert 'id="rules-problem"' in html and f"{FIELDS_FILE}:2: field a.type: &#39;colour&#39; is no type" in html
    assert f"{CONFIG_FILE}: routing rule 2: team: no team &#39;kas&#39;" in html and f"(line {hours_line})" in html
    assert desk.rules_problem is None and desk.fields.keys == ("colour",)  # the GET read the files, changed nothing
    assert "Colour" in app.test_client().get("/en/contact").get_data(as_text=True)

    assert not desk.reload_rules()  # this process refuses the change, then the files are mended
    hours_file(content)
    (content / FIELDS_FILE).write_text(FIELD % ("colour", "Colour"), encoding="utf-8")
    html = admin.get("/agent/admin").get_data(as_text=True)
    assert 'id="rules-problem"' not in html and 'id="rules-kept"' in html and "within 3600 seconds" in html
    assert desk.reload_rules() and 'id="rules-kept"' not in admin.get("/agent/admin").get_data(as_text=True)


def test_the_worker_recounts_open_tickets_due_times_after_the_business_hours_change(
        light_settings: Settings) -> None:  # noqa: F811
    """leftover38: a merged change of a team's hours left every open ticket's due time as the old hours counted it. The
    worker's "due-times" job, after it follows the change, counts them again (a hand-set one left) and the ticket's
    history says why, in the agent's language."""
    settings = dataclasses.replace(light_settings, rules_check_seconds=0)
    content = settings.content_dir
    hours_file(content)
    app = create_app(settings)
    desk: Desk = app.extensions["desk"]
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="Amal").id
    sunday = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 10:00 in Riyadh, a KSA working day
    counted, pinned = (desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", subject=subject,
                                                     body="Where is it?", lang="en", created=sunday, team="ksa")).id
                       for subject in ("Refund", "Invoice"))
    desk.tickets.set_due(pinned, sunday + timedelta(days=3), agent)
    worker = WorkerContext(settings)
    due_times = [job for job in JOBS if job.name == "due-times"]
    assert run_pass(worker, due_times) == {"due-times": 0}
    hours_file(content, teams={"ksa": {"name": "KSA support", "timezone": "Asia/Riyadh", "days": ["sun", "mon"],
                                       "hours": ["09:00", "12:00"]}, "uae": {"name": "UAE", "timezone": "Asia/Dubai"}})
    assert run_pass(worker, due_times) == {"due-times": 1}  # the job's follow_rules saw the change first
    assert run_pass(worker, due_times) == {"due-times": 0}
    with desk.db.session() as session:
        due = {t.id: (as_utc(t.due_at), t.due_by_hand) for t in session.scalars(select(Ticket))}  # type: ignore[arg-type]
    new_hours = BusinessHours.load(content)
    assert due == {counted: (as_utc(new_hours.due_at(sunday, "normal", "ksa")), False),
                   pinned: (sunday + timedelta(days=3), True)}
    client = client_for(app, "agent@example.com")
    page = client.get(f"/agent/tickets/{counted}").get_data(as_text=True)
    assert '<span class="due-reason">recomputed: the business hours changed</span>' in page
    client.post("/agent/preferences", data={"csrf_token": csrf(page), "locale": "ar", "back": "/agent/"})
    arabic = client.get(f"/agent/tickets/{counted}").get_data(as_text=True)
    assert '<span class="due-reason">أعيد حسابه: تغيّرت ساعات العمل</span>' in arabic
    worker.close()
