"""A CC writing on the customer's ticket page (desk.ccs): the browser that opened their "My tickets" link posts as
them, so the message is theirs (`cc_customer_id`), on the ticket and on the follow-up a closed ticket starts; without
the link (or with the requester's, or an expired one) it is the requester's, as before. The agent's merge page names
the CCs over the cap in its internal note, in the agent's language. The real app; SQLite, and PostgreSQL with
`--postgresql`."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from desk.audit import SYSTEM
from desk.desk import Desk
from desk.models import Customer, Message, Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from webapp import create_app
from webapp.my_tickets import SALT


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject="Invoice", body="Wrong total.",
                                  notify=False))
    desk.ccs.add(1, "rami@example.com", SYSTEM)
    return app


def reply(client: FlaskClient, reference: str, text: str) -> str:
    page = client.get(f"/en/tickets/{reference}").get_data(as_text=True)
    data = {"message": text, "csrf_token": csrf(page),
            "submission": page.split('name="submission" type="hidden" value="')[1].split('"')[0]}
    answer = client.post(f"/en/tickets/{reference}", data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def opened_link(app: Flask, client: FlaskClient, email: str) -> None:
    signed = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps(email)
    assert client.get(f"/en/my-tickets/{signed}").status_code == 200


def authors(desk: Desk, ticket_id: int) -> list[tuple[str, int | None]]:
    with desk.db.session() as session:
        return [(m.body, m.cc_customer_id) for m in session.scalars(
            select(Message).where(Message.ticket_id == ticket_id, Message.author == "customer").order_by(Message.id))]


def test_a_cc_who_opened_their_my_tickets_link_writes_as_themselves_on_the_ticket_page(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    reference = desk.tickets.get(1).reference  # type: ignore[union-attr]
    with desk.db.session() as session:
        rami = session.scalar(select(Customer.id).where(Customer.email == "rami@example.com"))
    anyone = app.test_client()
    reply(anyone, reference, "No link: the requester's, as before.")
    lina = app.test_client()
    opened_link(app, lina, "lina@example.com")
    reply(lina, reference, "The requester with her link.")
    cc = app.test_client()
    opened_link(app, cc, "rami@example.com")
    reply(cc, reference, "I am her manager: please fix it.")
    assert authors(desk, 1) == [("Wrong total.", None), ("No link: the requester's, as before.", None),
                                ("The requester with her link.", None), ("I am her manager: please fix it.", rami)]
    # A forged link is no link.
    forged = app.test_client()
    assert forged.get("/en/my-tickets/cmFtaUBleGFtcGxlLmNvbQ.forged").status_code == 404
    reply(forged, reference, "Forged.")
    assert authors(desk, 1)[-1] == ("Forged.", None)
    # Closed: the CC's words start the follow-up as theirs; its requester stays Lina, Rami stays a CC.
    desk.tickets.update(1, status="closed")
    landed = reply(cc, reference, "It is wrong again.")
    with desk.db.session() as session:
        follow_up = session.scalar(select(Ticket).where(Ticket.id != 1))
        assert follow_up is not None and follow_up.reference in landed
        assert follow_up.customer.email == "lina@example.com"
        follow_up_id = follow_up.id
    assert authors(desk, follow_up_id) == [("It is wrong again.", rami)]
    assert [p.email for p in desk.ccs.of(follow_up_id)] == ["rami@example.com"]


def test_the_merge_page_names_the_ccs_over_the_cap_in_an_internal_note(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject="Invoice again", body="Still.",
                                  notify=False))
    for n in range(desk.settings.max_ccs):
        desk.ccs.add(2, f"c{n}@example.com", SYSTEM)
    agent = client_for(app, "agent@example.com")
    token = csrf(agent.get("/agent/tickets/2").get_data(as_text=True))
    assert agent.post("/agent/tickets/1/merge", data={"target": "2", "csrf_token": token}).status_code == 302
    with desk.db.session() as session:
        notes = list(session.scalars(select(Message.body).where(Message.ticket_id == 2, Message.internal.is_(True))))
    assert notes == [f"CCs of #1 not copied here (a ticket has at most {desk.settings.max_ccs}): rami@example.com"]
    assert "rami@example.com" not in [p.email for p in desk.ccs.of(2)]
