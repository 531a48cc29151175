"""Hostile input against session 36's surfaces (hostile36): agents' signatures and the token API's replies, customer
fields (their content file, the profile, the API's PATCH, the inbox's filter), typed ticket numbers.

Each test a fault found and fixed (it failed before the fix) or a rule pinned beside one. The real app and desk;
SQLite and (`--postgresql`) PostgreSQL.
"""

from __future__ import annotations

import pytest
from flask import Flask

from desk.audit import SYSTEM
from desk.desk import Desk
from desk.models import Message
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    accounts = app.extensions["desk"].accounts
    sara = accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    accounts.set_signatures(sara.id, {"en": "Sara, Manzil support"}, ("en", "ar"))
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    return app


def new_ticket(desk: Desk, email: str = "sam@example.com") -> int:
    return desk.tickets.create(NewTicket(email=email, name="Sam", subject="Lost parcel", body="Where is it?",
                                         lang="en")).id


def agent_messages(desk: Desk) -> list[str]:
    with desk.db.session() as session:
        return [m.body for m in session.query(Message).filter(Message.author == "agent").order_by(Message.id)]


@pytest.mark.parametrize("change", [{"role": "light"}, {"active": False}])
def test_a_reply_by_an_agent_made_light_or_deactivated_since_it_was_checked_is_refused(
        app: Flask, change: dict[str, object]) -> None:
    """The token API checks the reply's agent (desk.accounts.replier), then sends (`send_reply`); an admin who made
    them light or deactivated them between the two (or while the ticket page was open) let the reply go out under
    their name: a light agent never replies to customers. The send checks again on the agent's row it holds: refused
    naming "agent", nothing written, and no follow-up started from a closed ticket either. Before the fix each call
    below sent."""
    desk: Desk = app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com").id
    ticket, closed = new_ticket(desk), new_ticket(desk, "omar@example.com")
    desk.tickets.send_reply(ticket, sara, "Checking now.")
    desk.tickets.update(closed, status="closed")
    desk.accounts.manage(sara, SYSTEM, **change)  # type: ignore[arg-type]
    tries = [lambda: desk.tickets.send_reply(ticket, sara, "Your parcel left today.", signature=True),
             lambda: desk.tickets.agent_follow_up(closed, sara, "One more thing"),
             lambda: desk.accounts.replier(sara)]
    for attempt in tries:
        with pytest.raises(InputError) as refused:
            attempt()
        assert refused.value.field == "agent", refused.value
    assert agent_messages(desk) == ["Checking now."]
    assert [t.id for t in desk.tickets.history(desk.tickets.get(closed).customer_id)] == [closed]
    api = app.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('partner')}"}
    answer = api.post(f"/api/v1/tickets/{ticket}/replies", headers=auth, json={"agent": sara, "body": "x"})
    assert answer.status_code == 400 and answer.get_json()["error"].startswith("agent: ")
