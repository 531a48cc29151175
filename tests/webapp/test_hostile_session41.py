"""Hostile input against what session 40 added (task hostile41), through the real app (SQLite, and PostgreSQL with
`--postgresql`): a field whose type the file changed keeps the values stored under its old type ("abc" under a text
field since made a number or a date). Every page showing one (the inbox's field and customer-field columns, sorted
by them, the agent's ticket page, the customer's profile, the customer's own request page) was a 500
(decimal.InvalidOperation, ValueError) in both languages; each now shows the value as stored."""

from __future__ import annotations

from html import unescape

from desk.desk import Desk
from desk.models import CustomerFieldValue, TicketFieldValue
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.webapp.conftest import login
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from tests.webapp.test_api_ticket_fields import FIELDS as TICKET_FIELDS
from tests.webapp.test_customer_fields import FIELDS as CUSTOMER_FIELDS
from webapp import create_app

# The files after an admin changed two text fields' types: the customers' account_id is a number, the tickets'
# order_number a date (shown to the customer); both hold values stored as text before.
RETYPED = {CUSTOMER_FIELDS_FILE: CUSTOMER_FIELDS.replace("account_id\n  type: text", "account_id\n  type: number"),
           FIELDS_FILE: TICKET_FIELDS.replace("order_number\n  type: text", "order_number\n  type: date\n"
                                              "  visible_to_customer: true")}
# Values a text field took that no number or day reads as (the last two a number's and a day's shape, past them).
OLD = ("AB-1234", "", "1e400", "9" * 40, "2026-13-45")


def test_values_stored_before_a_fields_type_changed_are_shown_as_stored_on_every_page(
        light_settings: Settings) -> None:  # noqa: F811
    for name, text in RETYPED.items():
        (light_settings.content_dir / name).write_text(text, encoding="utf-8")
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    made = []
    with desk.db.session() as session:
        for n, value in enumerate(OLD):
            ticket = desk.tickets.create(NewTicket(email=f"c{n}@example.com", subject=f"Order {n}", body="Hi",
                                                   lang="en"))
            made.append(ticket)
            session.add(CustomerFieldValue(customer_id=ticket.customer_id, key="account_id", value=value))
            session.add_all([TicketFieldValue(ticket_id=ticket.id, key="order_number", value=value),
                             TicketFieldValue(ticket_id=ticket.id, key="amount", value=value)])  # a number
        session.commit()
    agent = app.test_client()
    assert login(agent, "agent@example.com").status_code == 302
    columns = "column=customer.account_id&column=order_number&column=amount"
    for lang in ("en", "ar"):
        for sort in ("customer.account_id", "field.amount", "field.order_number"):
            inbox = agent.get(f"/agent/?view=all&{columns}&sort={sort}", headers={"Accept-Language": lang})
            assert inbox.status_code == 200, (lang, sort)
            assert "AB-1234" in inbox.get_data(as_text=True) and "9" * 40 in inbox.get_data(as_text=True)
        for ticket, value in zip(made, OLD, strict=True):
            for url in (f"/agent/tickets/{ticket.id}", f"/agent/customers/{ticket.customer_id}",
                        f"/{lang}/tickets/{ticket.reference}"):
                page = agent.get(url, headers={"Accept-Language": lang})
                assert page.status_code == 200, (url, value)
                assert value in unescape(page.get_data(as_text=True)), (url, value)
