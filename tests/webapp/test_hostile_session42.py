"""Session 42's hostile input against what session 41 added (hostile42), through the real app, its real outbox and
a real SMTP sink on loopback, on both engines (`--postgresql`). Each test failed before its fix (its docstring says
how)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from flask import Flask

from desk.models import TicketFieldValue
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, csrf, light_settings, login, signed_in  # noqa: F401
from tests.webapp.test_agent_invitations import _desk, _invite, _link, _mails, _set, app  # noqa: F401
from tests.webapp.test_api_ticket_list import TICKET_FIELDS, customer_ticket, get
from tests.webapp.test_customer_fields import FIELDS
from webapp import create_app


@pytest.mark.parametrize("password", [" " * 12, "\t" * 10 + "\n" * 2, "\u3000" * 10, "\xa0" * 11])
def test_a_password_of_blanks_alone_is_refused_and_the_invitation_still_works(
        app: Flask, sink: SmtpSink, password: str) -> None:  # noqa: F811
    """The login form takes a password that is blanks alone as none ("This field is required."), but the rule every
    password meets counted its characters: set through an invitation it used the link up, and the agent could never
    sign in with it. It is refused naming the field now, the link still theirs. Before the fix the POST set it (302)
    and the login answered 200 (refused)."""
    admin, token = signed_in(app, "admin@example.com")
    _invite(admin, token)
    link = _link(_mails(app, sink)[0])
    client = app.test_client()
    refused = _set(client, link, password)
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert _desk(app).accounts.find("nadia@example.com").invited_at is not None  # nothing written
    assert _set(client, link, "a password of her own").status_code == 302
    assert login(app.test_client(), "nadia@example.com", "a password of her own").status_code == 302


# A text field's values as hostile clients and agents type them: case, accents, quotes, bidi controls, digits of
# both scripts, a long value, values equal but for case or a space; a number field's negative, fractional and large.
TEXTS = ("a", "A", "b", "ä", "Z", "'", '"', ">; rel=x", "عربي", "١٢٣", "10", "9", "x" * 300, "a b", "a  b",
         "👍", None, None)
NUMBERS = ("-1", "0.5", "10", "9", "1000000000000", "0", None, "2", "2", "-0.25", None, "3", "4", "5", "6", "7", "8",
           "9")


def test_every_sort_and_direction_pages_through_every_ticket_once(light_settings: Settings) -> None:  # noqa: F811
    """Pinned (no fault found): the ticket list sorted by a customer's text or number field, a ticket's number field
    or a time, either way, two or seven a page, followed by `next_url` and by the Link header, lists every
    ticket exactly once, and each page says the same total."""
    (light_settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    (light_settings.content_dir / FIELDS_FILE).write_text(TICKET_FIELDS, encoding="utf-8")
    listing = create_app(replace(light_settings, rate_limits=False))  # one client paging far past a partner's rate
    made = []
    for n, (text, number) in enumerate(zip(TEXTS, NUMBERS, strict=True)):
        values = {key: value for key, value in (("account_id", text), ("seats", number)) if value is not None}
        made.append(customer_ticket(listing, f"c{n}@example.com", **values))
    with listing.extensions["desk"].db.session() as session:
        session.add_all([TicketFieldValue(ticket_id=ticket, key="amount", value=number)
                         for ticket, number in zip(made, NUMBERS, strict=True) if number is not None])
        session.commit()
    for sort in ("customer.account_id", "customer.seats", "field.amount", "updated"):
        for direction in ("asc", "desc"):
            for limit in ("2", "7"):
                seen: list[int] = []
                answer = get(listing, sort=sort, direction=direction, limit=limit)
                while True:
                    body = answer.get_json()
                    assert answer.status_code == 200, (sort, direction, body)
                    assert body["total"] == len(made)
                    seen += [ticket["id"] for ticket in body["tickets"]]
                    if body["next_url"] is None:
                        assert "Link" not in answer.headers
                        break
                    assert answer.headers["Link"] == f'<{body["next_url"]}>; rel="next"'
                    parts = urlsplit(body["next_url"])
                    answer = get(listing, f"{parts.path}?{parts.query}")
                assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)), (sort, direction, limit)


def test_forgot_password_from_many_addresses_mails_one_agent_a_few_links_an_hour(
        app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    """"Forgot your password?" is limited per client address (the contact form's 5 a minute, 30 an hour), but not per
    agent: from many addresses anyone could fill an agent's mailbox with reset links, each a mail through the outbox
    and an audit row. Each agent is mailed at most RESET_MAILS_PER_HOUR links an hour now; the page answers the same
    either way (it never says whether an address is an agent's). Before the fix all 8 requests were mailed."""
    from desk.accounts import RESET_MAILS_PER_HOUR

    for n in range(8):
        client, address = app.test_client(), {"REMOTE_ADDR": f"203.0.113.{n + 1}"}
        token = csrf(client.get("/agent/password/forgot", environ_base=address).get_data(as_text=True))
        answer = client.post("/agent/password/forgot", data={"csrf_token": token, "email": "Agent@example.com"},
                             environ_base=address)
        assert answer.status_code == 302
    mails = _mails(app, sink)
    assert len(mails) == RESET_MAILS_PER_HOUR == 3 and {m["To"] for m in mails} == {"agent@example.com"}
    assert _set(app.test_client(), _link(mails[-1]), "a password of my own").status_code == 302  # the last works
