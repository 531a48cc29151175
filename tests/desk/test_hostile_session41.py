"""Hostile input against what session 40 added (task hostile41), on a real database (`--postgresql` runs them on
PostgreSQL): an inbox or a saved view sorted by a number field, ticket (`field.<key>`) or customer
(`customer.<key>`), whose stored values are not all numbers (the file made a text field a number: the old values
stay) orders the numbers as numbers and the rest with the tickets that have none, instead of PostgreSQL's 500 on
every page ("invalid input syntax for type numeric") and SQLite reading "abc" as 0; a skill deleted by another request
while a follow-up or a merge carries it (skills40) is left out, the ticket kept, instead of a foreign-key failure
losing the customer's reply or the merge. Each test failed before its fix, on both engines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event

from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import CustomerFieldValue, Ticket, TicketFieldValue
from desk.tickets import NewTicket
from tests.desk.test_due_recount import desk  # noqa: F401
from tests.desk.test_hostile_session40 import deleted_after
from tests.desk.test_saved_view_fields import url  # noqa: F401
from tests.desk.test_view_skills_columns import PASSWORD, open_desk
from tests.webapp.test_customer_fields import FIELDS as CUSTOMER_FIELDS

# The customer fields file after an admin made account_id, a text field holding values, a number.
ACCOUNT_A_NUMBER = CUSTOMER_FIELDS.replace("- key: account_id\n  type: text", "- key: account_id\n  type: number")
# Values stored while the fields were text (and not cut by a number's rule), each a ticket's and its customer's.
STORED = ("abc", "12", "", "-3.5", "NaN", "Infinity", "1e400", "١٢", " 7", "9" * 300, "4")


def test_a_number_sort_over_values_stored_as_text_orders_the_numbers_and_puts_the_rest_last(
        tmp_path: Path, url: str | None) -> None:  # noqa: F811
    opened = open_desk(tmp_path, url)
    made = {}
    with opened.db.session() as session:
        for n, value in enumerate(STORED):
            ticket = opened.tickets.create(NewTicket(email=f"c{n}@example.com", subject=f"s{n}", body="Hi", lang="en"))
            made[value] = ticket.id
            session.add(CustomerFieldValue(customer_id=ticket.customer_id, key="account_id", value=value))
            session.add(TicketFieldValue(ticket_id=ticket.id, key="amount", value=value))  # amount: a number
            session.add(TicketFieldValue(ticket_id=ticket.id, key="order_number", value=value))  # a text field
        session.commit()
    opened.close()
    opened = open_desk(tmp_path, url, ACCOUNT_A_NUMBER)
    try:
        agent = opened.accounts.create_agent("sara@example.com", PASSWORD).id
        numbers = [made[v] for v in ("-3.5", "4", "12")]
        rest = sorted(made[v] for v in STORED if made[v] not in numbers)  # no number: with no value, by number
        for sort in ("customer.account_id", "field.amount"):
            page = opened.inbox.page(InboxQuery(view="all", sort=sort, columns=("customer.account_id", "amount")),
                                     agent, limit=100)
            assert [row.ticket.id for row in page.rows] == numbers + rest, sort
            assert page.rows[0].fields == {"customer.account_id": "-3.5", "amount": "-3.5"}  # shown as stored
        view = opened.saved_views.save(agent, "By account", {"view": "all", "sort": "customer.account_id"})
        saved = opened.saved_views.get(view.id, agent)
        assert saved is not None
        assert [row.ticket.id for row in opened.inbox.page(saved.query, agent, limit=100).rows] == numbers + rest
        text = opened.inbox.page(InboxQuery(view="all", sort="field.order_number"), agent, limit=100)
        assert len(text.rows) == len(STORED)  # a text field's sort reads its values as text, untouched
    finally:
        opened.close()


def test_a_skill_deleted_while_a_follow_up_or_a_merge_carries_it_is_left_out_and_the_ticket_kept(
        desk: Desk) -> None:  # noqa: F811
    """A follow-up (the customer's reply to a closed ticket, an agent's follow-up) copies the closed ticket's required
    skills and a merge adds the duplicate's to the target's (skills40), each read then written in one transaction:
    a skill deleted by another request between the two made the database refuse the ticket's row for it (a foreign
    key), so the customer's reply was lost to a 500, or the merge failed whole. Now what is carried is held as a
    request's ticks are (desk.skills.held): a skill gone meanwhile is left out and the rest kept."""
    billing, vip = desk.skills.create("Billing"), desk.skills.create("VIP")
    agent = desk.accounts.create_agent("amal@example.com", PASSWORD, name="Amal").id

    def closed_requiring(*skills: int) -> Ticket:
        made = desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", subject="Invoice", body="Twice",
                                             lang="en", notify=False))
        desk.skills.set_ticket(made.id, [str(s) for s in skills], agent)
        desk.tickets.update(made.id, status="closed", agent_id=agent)
        closed = desk.tickets.get(made.id)
        assert closed is not None
        return closed

    def racing(skill: int, run: Callable[[], int]) -> int:
        listener = deleted_after("SELECT ticket_skills.ticket_id, ticket_skills.skill_id", skill)
        event.listen(desk.db.engine, "after_cursor_execute", listener)
        try:
            return run()
        finally:
            event.remove(desk.db.engine, "after_cursor_execute", listener)

    closed = closed_requiring(billing, vip)
    reply = racing(billing, lambda: desk.tickets.customer_reply_with_files(closed.reference, "It broke").ticket_id)
    assert reply != closed.id and [s.id for s in desk.skills.of_ticket(reply)] == [vip]
    assert desk.tickets.get(reply).messages[0].body == "It broke"  # type: ignore[union-attr]
    again = closed_requiring(vip)
    follow_up = racing(vip, lambda: desk.tickets.agent_follow_up(again.id, agent, "Another one",
                                                                 status="open").message.ticket_id)
    assert follow_up != again.id and desk.skills.of_ticket(follow_up) == []
    ios = desk.skills.create("iOS")
    duplicate = desk.tickets.create(NewTicket(email="sam@example.com", subject="Refund", body="Hi", lang="en"))
    target = desk.tickets.create(NewTicket(email="sam@example.com", subject="Refund again", body="Hi", lang="en"))
    desk.skills.set_ticket(duplicate.id, [str(ios)], agent)
    racing(ios, lambda: desk.tickets.merge(duplicate.id, target.id, agent, "Merged") or 0)
    assert desk.tickets.get(duplicate.id).merged_into_id == target.id  # type: ignore[union-attr]
    assert desk.skills.of_ticket(target.id) == []
