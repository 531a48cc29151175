"""Light agents in the workspace through the real app (a light one; `--postgresql` runs it on PostgreSQL): the ticket
page draws the note form and no control that answers or changes the ticket, side conversations read-only; the inbox
without bulk actions, held mail or "Available"; the customer read, not edited; a note with an @mention goes in; the
admin page and `kb agents role` make an agent light (audited, their open tickets unassigned). Every route's 403 is in
test_authorization_matrix (the WORKER rule)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from desk.audit import Actor
from desk.desk import Desk
from desk.models import Agent, AuditEvent
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from webapp import create_app
from webapp.cli import main

# What only an agent who works tickets is shown on a ticket's page (the ids of its forms and buttons).
WORKING_CONTROLS = ("reply-form", "macro-input", "update-form", "team-form", "due-form", "snooze-form", "merge-form",
                    "tag-form", "cc-form", "side-start-form", "insert-draft", "fields-form", "problem-form",
                    "timer", "time-form", "note-time")


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    desk.accounts.create_agent("lina@example.com", PASSWORD, name="Lina", role="light")
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", subject="Parcel", body="Where is it?",
                                           notify=False))
    desk.tickets.update(ticket.id, assignee_id=sara.id, agent_id=sara.id)
    desk.side_conversations.start(ticket.id, "desk@courier.example", "", "Please trace it.", Actor.agent(sara.id))
    return app


def ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def test_a_light_agent_reads_and_notes_and_no_other_control_is_drawn(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    working = ids(client_for(app, "sara@example.com").get("/agent/tickets/1").get_data(as_text=True))
    # The same page as an agent's (here no fields file, and no index: no draft to insert).
    assert set(WORKING_CONTROLS) - {"fields-form", "insert-draft"} <= working
    lina = client_for(app, "lina@example.com")
    page = lina.get("/agent/tickets/1").get_data(as_text=True)
    shown = ids(page)
    assert {"note-form", "note-body", "add-note", "side-conversations", "light-agent-badge"} <= shown
    assert shown.isdisjoint(WORKING_CONTROLS), shown & set(WORKING_CONTROLS)
    assert "Please trace it." in page  # the side conversation, read-only
    # The shortcuts list keeps the keys that do something for them (a note, search, the inbox), not reply or macro.
    assert "Write an internal note" in page and "Write a reply" not in page and "Pick a macro" not in page
    assert "Write a reply" in client_for(app, "sara@example.com").get("/agent/tickets/1").get_data(as_text=True)
    assert 'action="/agent/tickets/1/side-conversations/1/status"' not in page
    assert "held-link" not in shown and "availability-form" not in shown and 'id="shown-details"' not in page
    posted = lina.post("/agent/tickets/1/note", data={"body": "@sara it is at the depot", "csrf_token": csrf(page),
                                                      "time_spent": "5",  # forged: a light agent tracks no time
                                                      "files": (io.BytesIO(b"depot scan"), "scan.txt")},
                       content_type="multipart/form-data")
    assert posted.status_code == 302
    [note] = [m for m in desk.tickets.get(1).messages if m.internal]  # type: ignore[union-attr]
    assert note.body == "@sara it is at the depot" and desk.time_entries.of_ticket(1).entries == []
    assert [(a.message_id, a.filename) for a in desk.attachments.for_ticket(1)] == [(note.id, "scan.txt")]
    assert "Sara will see it in their inbox" in lina.get("/agent/tickets/1").get_data(as_text=True)
    inbox = ids(lina.get("/agent/").get_data(as_text=True))
    assert "bulk-form" not in inbox and "bulk-apply" not in inbox and "view-held" not in inbox
    sara = desk.accounts.find("sara@example.com")
    assert sara is not None and desk.notes.add(1, sara.id, "@lina which depot?").mentioned == ["Lina"]
    mentions = lina.get("/agent/?view=mentions").get_data(as_text=True)
    assert 'href="/agent/tickets/1"' in mentions and "Mentioned you" in mentions
    customer = lina.get("/agent/customers/1").get_data(as_text=True)
    assert "customer-form" not in ids(customer) and "customer-organization-form" not in ids(customer)
    assert "sam@example.com" in customer
    profile = lina.get("/agent/profile").get_data(as_text=True)
    assert "light-agent-note" in ids(profile) and "profile-availability" not in ids(profile)


def test_the_admin_page_makes_an_agent_light_audited_and_their_open_tickets_unassigned(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    admin = client_for(app, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    assert '<option value="light">Light agent</option>' in page
    sara = desk.accounts.find("sara@example.com")
    assert sara is not None
    changed = admin.post("/agent/admin", data={"action": "role", "agent_id": sara.id, "role": "light",
                                                "csrf_token": csrf(page)}, follow_redirects=True)
    assert changed.status_code == 200 and "Agent updated." in changed.get_data(as_text=True)
    assert desk.tickets.get(1).assignee_id is None  # type: ignore[union-attr]
    with desk.db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "role_changed")).one()
        assert event.after == {"role": "light", "unassigned": 1}
        assert (event.actor, event.actor_id) == ("agent", desk.accounts.find("admin@example.com").id)  # type: ignore[union-attr]
    # Signed in before the change, Sara's next page is a light agent's.
    page = client_for(app, "sara@example.com").get("/agent/tickets/1").get_data(as_text=True)
    assert "note-form" in ids(page) and "reply-form" not in ids(page)


def test_kb_agents_creates_and_changes_a_light_agent(tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--data", str(tmp_path)]
    made = runner.invoke(main, ["agents", "create", "lina@example.com", "--light", "--password-stdin", *where],
                         input="a long password\n")
    assert made.exit_code == 0 and made.output.strip() == "created light lina@example.com", made.output
    both = runner.invoke(main, ["agents", "create", "x@example.com", "--light", "--lead", "--password-stdin", *where],
                         input="a long password\n")
    assert both.exit_code == 2 and "choose one of --admin, --lead and --light" in both.output
    changed = runner.invoke(main, ["agents", "role", "lina@example.com", "agent", *where])
    assert changed.exit_code == 0 and changed.output.strip() == "lina@example.com: light -> agent", changed.output
    bad = runner.invoke(main, ["agents", "role", "lina@example.com", "viewer", *where])
    assert bad.exit_code == 1 and "role: must be one of agent, lead, admin, light" in bad.output
    nobody = runner.invoke(main, ["agents", "role", "nobody@example.com", "light", *where])
    assert nobody.exit_code == 1 and "no agent nobody@example.com" in nobody.output
    with Desk(Settings(data_dir=tmp_path)) as desk, desk.db.session() as session:
        assert session.scalar(select(Agent.role).where(Agent.email == "lina@example.com")) == "agent"
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["agent_created", "role_changed"]
