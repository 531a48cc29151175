"""Triggers on custom ticket fields (task fieldviews33), on a real database (`--postgresql` runs them on
PostgreSQL): a `field.<key>` condition (a dropdown's option, a checkbox's value, a text field's words) and a
`set_fields` action, its change audited ("ticket_fields_changed") and in the ticket's trigger history; later rules
see the values an earlier one set; a key or value the fields file does not take stops the desk naming the file, line
and field, and `kb lint` says the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from desk.desk import Desk
from desk.models import AuditEvent
from desk.ticket_fields import values_of
from desk.tickets import NewTicket
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.conftest import database_url_for_tests
from tests.desk.test_triggers import content, refused_at_start_and_by_lint, trigger_rows
from tests.webapp.test_api_ticket_fields import FIELDS

RULES = """\
- name: Refund reason
  on: created
  if: {text: refund}
  then: {set_fields: {reason: refund}}
- name: VIP refunds are urgent
  on: created
  if: {field.reason: refund, field.vip: true}
  then: {priority: urgent}
- name: Orders from the A series
  on: [created, customer_reply]
  if: {field.order_number: [a-series]}
  then: {add_tags: [a-series], set_fields: {vip: false}}
"""


def open_desk(tmp_path: Path, rules: str) -> Desk:
    folder = content(tmp_path, rules)
    (folder / FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    return Desk(Settings(data_dir=tmp_path / "data", content_dir=folder, database_url=database_url_for_tests()))


def test_set_fields_and_field_conditions_run_in_file_order_audited(tmp_path: Path) -> None:
    desk = open_desk(tmp_path, RULES)
    try:
        vip = desk.tickets.create(NewTicket(email="sam@example.com", subject="Refund please", body="Where is my "
                                            "refund?", lang="en", fields={"vip": "true"}))
        assert values_of(desk.db, vip) == {"reason": "refund", "vip": "true"}
        assert vip.priority == "urgent"  # the second rule saw the value the first one set
        assert trigger_rows(desk, vip.id) == [("Refund reason", "set_fields", "reason=refund"),
                                              ("VIP refunds are urgent", "priority", "urgent")]
        with desk.db.session() as session:
            events = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket_fields_changed",
                                                              AuditEvent.subject == str(vip.id))
                                     .order_by(AuditEvent.id)).all()
            assert [(e.actor, e.before, e.after) for e in events][-1] == ("system", {"reason": None},
                                                                          {"reason": "refund"})
        plain = desk.tickets.create(NewTicket(email="huda@example.com", subject="Refund", body="refund", lang="en"))
        assert plain.priority != "urgent" and values_of(desk.db, plain) == {"reason": "refund"}  # no vip: no match
        # A text field's words, folded: "A-Series" in "Order A-SERIES 7" holds; the customer's reply fires it too.
        order = desk.tickets.create(NewTicket(email="lina@example.com", subject="Parcel", body="late", lang="en",
                                              fields={"order_number": "Order A-SERIES 7", "vip": "true"}))
        assert values_of(desk.db, order)["vip"] == "false"
        assert ("Orders from the A series", "set_fields", "vip=false") in trigger_rows(desk, order.id)
        other = desk.tickets.create(NewTicket(email="omar@example.com", subject="Parcel", body="late", lang="en",
                                              fields={"order_number": "B-series 7"}))
        assert trigger_rows(desk, other.id) == []
    finally:
        desk.close()


@pytest.mark.parametrize(("rules", "line", "where"), [
    ("- name: A\n  on: created\n  if: {field.colour: red}\n  then: {priority: high}\n", 3,
     r"trigger 1 \(A\)\.if\.field\.colour: no ticket field 'colour'"),
    ("- name: A\n  on: created\n  if:\n    field.reason: warranty\n  then: {priority: high}\n", 4,
     r"trigger 1 \(A\)\.if\.field\.reason: 'warranty': not one of refund, delivery"),
    ("- name: A\n  on: created\n  then:\n    set_fields:\n      amount: lots\n", 5,
     r"trigger 1 \(A\)\.then\.set_fields\.amount: 'lots': not a number"),
    ("- name: A\n  on: created\n  then: {set_fields: {colour: red}}\n", 3,
     r"trigger 1 \(A\)\.then\.set_fields\.colour: no ticket field 'colour'"),
])
def test_a_bad_field_stops_the_desk_and_kb_lint_names_file_line_and_field(tmp_path: Path, rules: str, line: int,
                                                                           where: str) -> None:
    refused_at_start_and_by_lint(open_desk(tmp_path, rules), tmp_path / "content", line, where)


def test_a_reply_macro_sets_its_fields_and_a_value_the_file_refuses_is_left_out(tmp_path: Path) -> None:
    rules = "- name: Refund reply\n  on: created\n  if: {text: refund}\n  then: {reply_macro: refund-fields}\n"
    desk = open_desk(tmp_path, rules)
    macro = tmp_path / "content" / "_macros" / "en" / "refund-fields.md"
    macro.write_text("---\ntitle: Refund fields\nactions:\n  set_fields: {reason: refund, amount: lots}\n---\n"
                     "Your refund is on its way.\n", encoding="utf-8")
    try:
        ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Refund", body="refund", lang="en"))
        assert values_of(desk.db, ticket) == {"reason": "refund"}  # "lots" is no number: left out, logged
        assert ("Refund reply", "set_fields", "reason=refund") in trigger_rows(desk, ticket.id)
        assert ("Refund reply", "reply_macro", "en/refund-fields") in trigger_rows(desk, ticket.id)
    finally:
        desk.close()


def test_an_automation_reads_and_sets_custom_fields(tmp_path: Path) -> None:
    """Automations (desk.automations) check `field.<key>` on the resting ticket and `set_fields` as triggers do: the
    merge of the two features passes the ticket's values to both halves."""
    from datetime import timedelta

    from desk.models import utcnow

    rules = """\
- name: Stale VIP refunds
  on: schedule
  if: {status: open, field.vip: true, hours_since: {created: 2}}
  then: {set_fields: {reason: refund}, add_tags: [stale-vip]}
"""
    desk = open_desk(tmp_path, rules)
    try:
        vip = desk.tickets.create(NewTicket(email="sam@example.com", subject="Parcel", body="late", lang="en",
                                            fields={"vip": "true"}))
        plain = desk.tickets.create(NewTicket(email="huda@example.com", subject="Parcel", body="late", lang="en"))
        fired = desk.automations.run(now=utcnow() + timedelta(hours=3))
        assert [f.ticket_id for f in fired] == [vip.id]
        assert values_of(desk.db, vip) == {"vip": "true", "reason": "refund"}
        assert values_of(desk.db, plain) == {}
        assert ("Stale VIP refunds", "set_fields", "reason=refund") in trigger_rows(desk, vip.id)
    finally:
        desk.close()
