"""One contact form, one ticket: a second click on "Send" while the first is on its way (or the
same form sent again) lands on the ticket the first one made instead of opening a duplicate.

From the session-10 audit: two posts of one contact page made tickets #84 and #85 with the same
text, and the agent's queue had both.
"""

from __future__ import annotations

import threading
from typing import Any

from flask.testing import FlaskClient

from desk.models import Ticket
from desk.tickets import NewTicket
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings  # noqa: F401

CONTACT = {"name": "Sam", "email": "sam@example.com", "subject": "Lost parcel", "message": "It never came."}


def form_data(client: FlaskClient) -> dict[str, str]:
    page = client.get("/en/contact").get_data(as_text=True)
    hidden = dict.fromkeys(("submission",), "")
    for name in hidden:
        marker = f'name="{name}" type="hidden" value="'
        if marker in page:
            hidden[name] = page.split(marker, 1)[1].split('"', 1)[0]
    return {**CONTACT, **hidden, "csrf_token": csrf(page)}


def tickets(light_app: Guarded) -> int:  # noqa: F811
    with light_app.app.extensions["desk"].db.session() as session:
        return session.query(Ticket).count()


def test_the_same_form_sent_twice_makes_one_ticket_and_both_land_on_it(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    data = form_data(client)
    first = client.post("/en/contact", data=data)
    second = client.post("/en/contact", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert tickets(light_app) == 1


def test_two_sends_at_once_make_one_ticket(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    data = form_data(client)
    cookie = client.get_cookie("session")
    assert cookie is not None
    answers: list[int] = []

    def send() -> None:
        other = light_app.app.test_client()
        other.set_cookie("session", cookie.value)
        answers.append(other.post("/en/contact", data=data).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    assert tickets(light_app) == 1


def test_a_new_contact_page_makes_a_new_ticket(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    assert client.post("/en/contact", data=form_data(client)).status_code == 302
    assert client.post("/en/contact", data=form_data(client)).status_code == 302  # a second question, on purpose
    assert tickets(light_app) == 2


def test_a_customer_reply_sent_twice_is_one_message(light_app: Guarded) -> None:  # noqa: F811
    """The ticket page's reply form, sent again (a double click, a resend) added the same message twice."""
    client = light_app.app.test_client()
    ticket_page = client.post("/en/contact", data=form_data(client)).headers["Location"]
    token = csrf(client.get(ticket_page).get_data(as_text=True))
    for _ in range(2):
        assert client.post(ticket_page, data={"message": "Still nothing.", "csrf_token": token}).status_code == 302
    assert client.get(ticket_page).get_data(as_text=True).count("Still nothing.") == 1
    desk = light_app.app.extensions["desk"]
    reference = ticket_page.rsplit("/", 1)[1]
    desk.tickets.customer_reply(reference, "And one more thing.")
    desk.tickets.customer_reply(reference, "Still nothing.")  # the same words again, after another message: kept
    bodies = [m.body for m in desk.tickets.by_reference(reference).messages]
    assert bodies == ["It never came.", "Still nothing.", "And one more thing.", "Still nothing."]


def test_the_ticket_page_carries_its_own_key_and_the_reply_stores_it(light_app: Guarded) -> None:  # noqa: F811
    """The reply's page key is what makes two posts at the same instant one message (the desk's unique
    key; tests/desk/test_workspace_desk.py races them): the page must carry it and the post pass it on."""
    client = light_app.app.test_client()
    ticket_page = client.post("/en/contact", data=form_data(client)).headers["Location"]
    page = client.get(ticket_page).get_data(as_text=True)
    key = page.split('name="submission" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert len(key) >= 16 and key != client.get(ticket_page).get_data(as_text=True).split(
        'name="submission" type="hidden" value="', 1)[1].split('"', 1)[0]  # a new key for each page
    data = {"message": "Still nothing.", "submission": key, "csrf_token": csrf(page)}
    assert client.post(ticket_page, data=data).status_code == 302
    desk = light_app.app.extensions["desk"]
    stored = desk.tickets.by_reference(ticket_page.rsplit("/", 1)[1]).messages[-1]
    assert stored.body == "Still nothing." and stored.external_id is not None and stored.external_id.endswith(key)


def _agent_on_a_new_ticket(guarded: Guarded) -> tuple[Any, Ticket, FlaskClient, str]:
    """A customer's new ticket and a logged-in agent's client on its page (desk, ticket, client, page)."""
    from tests.webapp.light_app import login

    desk = guarded.app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?",
                                           notify=False))
    client = guarded.app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    return desk, ticket, client, client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)


def _seen(page: str) -> str:
    """The newest message the agent's page showed (the reply form's seen_message_id)."""
    return page.split('name="seen_message_id" value="', 1)[1].split('"', 1)[0]


def test_an_agent_reply_sent_twice_from_one_page_is_one_reply_and_one_mail(light_app: Guarded) -> None:  # noqa: F811
    """The agent's "Send" posted twice (a second click while the first was on its way) sent the customer
    two copies of the reply, two mails."""
    from desk.models import OutboxMail
    desk, ticket, client, page = _agent_on_a_new_ticket(light_app)
    seen = _seen(page)
    form = {"body": "We are checking your parcel.", "status": "pending", "seen_message_id": seen,
            "csrf_token": csrf(page)}
    for _ in range(2):
        assert client.post(f"/agent/tickets/{ticket.id}/reply", data=form).status_code == 302
    assert [m.body for m in desk.tickets.get(ticket.id).messages] == ["Where is it?", "We are checking your parcel."]
    with desk.db.session() as session:
        assert session.query(OutboxMail).filter_by(ticket_id=ticket.id).count() == 1
    form["body"] = "We are checking your parcel."  # the same words on a fresh page, later: a new reply
    fresh = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    form["seen_message_id"] = _seen(fresh)
    assert client.post(f"/agent/tickets/{ticket.id}/reply", data=form).status_code == 302
    assert len(desk.tickets.get(ticket.id).messages) == 3


def test_a_draft_reply_sent_twice_records_one_sent_event(light_app: Guarded) -> None:  # noqa: F811
    """The second post of one page's reply sent nothing, yet recorded a second "sent" (and "edited")
    copilot event: the lead's dashboard counted the draft as used twice."""
    desk, ticket, client, page = _agent_on_a_new_ticket(light_app)
    seen = _seen(page)
    form = {"body": "We are checking your parcel today.", "status": "pending", "seen_message_id": seen,
            "inserted_draft": "We are checking your parcel.", "inserted_what": "draft", "csrf_token": csrf(page)}
    for _ in range(2):
        assert client.post(f"/agent/tickets/{ticket.id}/reply", data=form).status_code == 302
    kinds = [e.kind for e in desk.events.suggestion_events(ticket.id)]
    assert kinds.count("sent") == 1
    assert kinds.count("edited") == 1
