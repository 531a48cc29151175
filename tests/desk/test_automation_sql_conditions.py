"""Automations check the customer's conditions in SQL (leftover38): `customer.<key>`, `field.<key>`, `domain` and
`organization` conditions (and an `any:` of them) were checked in Python on every candidate ticket, each candidate
read with its customer's values, so a desk of 50,000 tickets read them all for a rule on VIP customers. The pass's
query now leaves out what it can (desk.automations.sql_conditions) and Python checks every condition again: the same
tickets fire as when Python alone decided (the former behaviour: every ticket past the time condition, checked in
Python, is the oracle), and a rule SQL checks whole reads only the tickets that fire. `--postgresql` runs it on
PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from desk.audit import SYSTEM
from desk.automations import Automations, moment
from desk.customer_fields import set_values
from desk.desk import Desk
from desk.models import Ticket, as_utc, utcnow
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.conftest import database_url_for_tests
from tests.desk.test_triggers import content
from tests.kb.test_ticket_fields import GOOD as TICKET_FIELDS
from tests.webapp.test_customer_fields import FIELDS

RULES = """\
- name: Business plan
  on: schedule
  if: {customer.plan: business, hours_since: {created: 1}}
  then: {add_tags: [a]}
- name: Acme VIPs
  on: schedule
  if: {customer.vip: true, domain: [acme.example, a_b.example], hours_since: {created: 1}}
  then: {add_tags: [b]}
- name: Refunds of non-VIPs
  on: schedule
  if: {field.reason: refund, customer.vip: false, priority: [normal, high], hours_since: {created: 1}}
  then: {add_tags: [c]}
- name: Free plan or the underscore domain
  on: schedule
  if: {hours_since: {created: 1}}
  any: [{customer.plan: free}, {domain: a_b.example}]
  then: {add_tags: [d]}
- name: Gold accounts
  on: schedule
  if: {customer.account_id: gold, hours_since: {created: 1}}
  then: {add_tags: [e]}
- name: Acme Co
  on: schedule
  if: {organization: acme co, hours_since: {created: 1}}
  then: {add_tags: [f]}
"""
# The rules SQL checks whole: the tickets it reads are the ones that fire.
WHOLE = {"Business plan", "Acme VIPs", "Refunds of non-VIPs", "Free plan or the underscore domain"}
DOMAINS = ("acme.example", "a_b.example", "axb.example", "other.example")


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    folder = content(tmp_path, RULES)
    (folder / CUSTOMER_FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    (folder / FIELDS_FILE).write_text(TICKET_FIELDS, encoding="utf-8")
    opened = Desk(Settings(data_dir=tmp_path / "data", content_dir=folder, database_url=database_url_for_tests()))
    yield opened  # type: ignore[misc]
    opened.close()


def populate(desk: Desk, rng: random.Random) -> None:
    """30 tickets of 15 customers over four domains (one with an underscore, one a LIKE would take for it), each
    customer with some of the fields set or none, some in Acme Co or another organization."""
    acme = desk.organizations.create("Acme  Co").id
    other = desk.organizations.create("Other Org").id
    for number in range(30):
        email = f"c{number % 15}@{DOMAINS[number % 15 % len(DOMAINS)]}"
        fields = {"reason": rng.choice(("refund", "other"))} if rng.random() < 0.7 else None
        ticket = desk.tickets.create(NewTicket(email=email, name="Lina", subject=f"Order {number}", body="Late",
                                               lang="en", priority=rng.choice(("low", "normal", "high")),
                                               fields=fields, notify=False, auto_assign=False))
        if number < 15:
            values = {key: value for key, value in (("plan", rng.choice(("free", "business", ""))),
                                                    ("vip", rng.choice(("true", "false", ""))),
                                                    ("account_id", rng.choice(("gold 7", "silver", "GOLD", ""))))
                      if value}
            if values:
                set_values(desk.db, desk.customer_fields, ticket.customer_id, values, "en", SYSTEM)
            if number % 4:
                desk.organizations.set_customer(ticket.customer_id, rng.choice((acme, other)))


def former(automations: Automations, now: object) -> set[tuple[str, int]]:
    """What fired when Python alone checked the conditions: every ticket past the rule's time, `_due` on each."""
    found = set()
    with automations.db.session() as session:
        for rule in automations.rules:
            assert rule.since is not None
            cutoff = now - timedelta(hours=rule.since.hours)  # type: ignore[operator]
            for ticket in session.scalars(select(Ticket).order_by(Ticket.id)):
                start = session.scalar(select(moment(rule.since.key)).where(Ticket.id == ticket.id))
                if start is not None and as_utc(start) <= cutoff and automations._due(rule, ticket, start, now):
                    found.add((rule.name, ticket.id))
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_tickets_fire_and_a_rule_sql_checks_whole_reads_only_those(
        desk: Desk, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    populate(desk, random.Random(seed))
    now = utcnow() + timedelta(hours=2)
    automations = desk.automations
    read: list[tuple[str, int]] = []
    checked = Automations._one

    def one(self: Automations, rule, ticket_id, *args):  # type: ignore[no-untyped-def]
        read.append((rule.name, ticket_id))
        return checked(self, rule, ticket_id, *args)

    monkeypatch.setattr(Automations, "_one", one)
    fired = {(f.rule, f.ticket_id) for f in automations.run(now=now, limit=10_000, dry_run=True)}
    expected = former(automations, now)
    assert fired == expected
    assert {rule for rule, _ in expected} == {rule.name for rule in automations.rules}  # every rule fires somewhere
    assert {pair for pair in read if pair[0] in WHOLE} == {pair for pair in fired if pair[0] in WHOLE}
    assert len(read) < 6 * 30 / 2  # the former pass read every ticket for every rule


def test_the_requesters_conditions_are_looked_up_through_indexes(desk: Desk) -> None:
    """SQLite's plan (EXPLAIN QUERY PLAN on the real schema) of each rule's page: no table scanned for the customer's
    or ticket's values, the customer or the tags."""
    planned = desk if desk.db.engine.dialect.name == "sqlite" else Desk(Settings(
        data_dir=desk.settings.data_dir / "plan", content_dir=desk.settings.content_dir, database_url=None))
    try:
        for rule in planned.automations.rules:
            query = planned.automations.candidates_query(rule, utcnow())
            compiled = query.compile(planned.db.engine, compile_kwargs={"literal_binds": True})
            with planned.db.engine.connect() as connection:
                plan = [row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
            assert not any(step.startswith("SCAN") for step in plan), (rule.name, plan)
    finally:
        if planned is not desk:
            planned.close()
