"""Hostile input against what session 40 added (task hostile41), on a real database (`--postgresql` runs them on
PostgreSQL): an inbox or a saved view sorted by a number field, ticket (`field.<key>`) or customer
(`customer.<key>`), whose stored values are not all numbers (the file made a text field a number: the old values
stay) orders the numbers as numbers and the rest with the tickets that have none, instead of PostgreSQL's 500 on
every page ("invalid input syntax for type numeric") and SQLite reading "abc" as 0."""

from __future__ import annotations

from pathlib import Path

from desk.inbox import InboxQuery
from desk.models import CustomerFieldValue, TicketFieldValue
from desk.tickets import NewTicket
from tests.desk.test_saved_view_fields import url  # noqa: F401
from tests.desk.test_view_skills_columns import PASSWORD, open_desk
from tests.webapp.test_customer_fields import FIELDS as CUSTOMER_FIELDS

# The customer fields file after an admin made account_id, a text field holding values, a number.
ACCOUNT_A_NUMBER = CUSTOMER_FIELDS.replace("- key: account_id\n  type: text", "- key: account_id\n  type: number")
# Values stored while the fields were text (and not cut by a number's rule), each a ticket's and its customer's.
STORED = ("abc", "12", "", "-3.5", "NaN", "Infinity", "1e400", "١٢", " 7", "9" * 300, "4")


def test_a_number_sort_over_values_stored_as_text_orders_the_numbers_and_puts_the_rest_last(
        tmp_path: Path, url: str | None) -> None:  # noqa: F811
    desk = open_desk(tmp_path, url)
    made = {}
    with desk.db.session() as session:
        for n, value in enumerate(STORED):
            ticket = desk.tickets.create(NewTicket(email=f"c{n}@example.com", subject=f"s{n}", body="Hi", lang="en"))
            made[value] = ticket.id
            session.add(CustomerFieldValue(customer_id=ticket.customer_id, key="account_id", value=value))
            session.add(TicketFieldValue(ticket_id=ticket.id, key="amount", value=value))  # amount: a number
            session.add(TicketFieldValue(ticket_id=ticket.id, key="order_number", value=value))  # a text field
        session.commit()
    desk.close()
    desk = open_desk(tmp_path, url, ACCOUNT_A_NUMBER)
    try:
        agent = desk.accounts.create_agent("sara@example.com", PASSWORD).id
        numbers = [made[v] for v in ("-3.5", "4", "12", "9" * 300)]
        rest = sorted(made[v] for v in STORED if made[v] not in numbers)  # no number: with no value, by number
        for sort in ("customer.account_id", "field.amount"):
            page = desk.inbox.page(InboxQuery(view="all", sort=sort, columns=("customer.account_id", "amount")),
                                   agent, limit=100)
            assert [row.ticket.id for row in page.rows] == numbers + rest, sort
            assert page.rows[0].fields == {"customer.account_id": "-3.5", "amount": "-3.5"}  # shown as stored
        view = desk.saved_views.save(agent, "By account", {"view": "all", "sort": "customer.account_id"})
        saved = desk.saved_views.get(view.id, agent)
        assert saved is not None
        assert [row.ticket.id for row in desk.inbox.page(saved.query, agent, limit=100).rows] == numbers + rest
        text = desk.inbox.page(InboxQuery(view="all", sort="field.order_number"), agent, limit=100)
        assert len(text.rows) == len(STORED)  # a text field's sort reads its values as text, untouched
    finally:
        desk.close()
