"""A reply draft is signed by the agent who sends it.

From the session-10 walk-through: the background pass drafts each reply ahead, signed by the ticket's
assignee; when another agent opened the ticket and sent that draft, the customer read the assignee's
name (the mail adds no second signature under a signed draft).
"""

from __future__ import annotations

from copilot.advice import TicketAdvice
from copilot.drafts import Draft
from desk.advice import thread_version
from desk.tickets import NewTicket
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings, login  # noqa: F401

DRAFT = "Hi Sam,\n\nYour parcel left our warehouse today.\n\nIf you need anything else, just reply to this " \
    "message.\nBest regards,\nOmar\nManzil Customer Care"


def test_the_draft_another_agent_sends_carries_their_name(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    desk = app.extensions["desk"]
    omar = desk.accounts.create_agent("omar@example.com", "a long enough password", name="Omar")
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?",
                                           notify=False))
    desk.tickets.update(ticket.id, assignee_id=omar.id)
    index_version = app.extensions["engine"].store.version() if "engine" in app.extensions else None
    advice = TicketAdvice(None, Draft(DRAFT, [], False, [], "grounded"), None)
    desk.advice.save(ticket.id, thread_version(desk.tickets.get(ticket.id)), index_version or "", advice.as_plain())

    client = app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    shown = page.split('id="draft-text"', 1)[1].split("</pre>", 1)[0]
    assert shown.endswith("Best regards,\nAgent\nManzil Customer Care") and "Omar" not in shown

    # Sent as shown: the reply and its mail name the sender, and no edit is counted for the name.
    body = shown.split(">", 1)[1].replace("&#39;", "'")
    seen = page.split('name="seen_message_id" value="', 1)[1].split('"', 1)[0]
    form = {"body": body, "status": "pending", "seen_message_id": seen, "inserted_draft": body,
            "csrf_token": csrf(page)}
    assert client.post(f"/agent/tickets/{ticket.id}/reply", data=form).status_code == 302
    assert desk.tickets.get(ticket.id).messages[-1].body.endswith("Agent\nManzil Customer Care")
    assert [e.kind for e in desk.events.suggestion_events(ticket.id)] == ["sent"]
